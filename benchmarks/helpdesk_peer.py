"""django-helpdesk 2.6.1 filing tickets one per transaction: the peer ``bench_intake.py`` compares
intake with. Run with a Python that has django-helpdesk (its own venv), never imported by
serviceframe:

    python -m venv /work/venvs/helpdesk
    /work/venvs/helpdesk/bin/pip install 'django-helpdesk==2.6.1' 'psycopg[binary]'
    /work/venvs/helpdesk/bin/python benchmarks/helpdesk_peer.py --sqlite /tmp/hd.db --tickets 300

What is timed is django-helpdesk's own path for a new ticket, as its ticket form saves one: a
``Ticket`` and its first ``FollowUp`` created with the ORM in one transaction
(``transaction.atomic``), ``--tickets`` times; the database is migrated and a queue created
before the clock starts, and one warm-up ticket is filed. Durability as serviceframe's: SQLite in
WAL mode with ``synchronous=NORMAL``; PostgreSQL as configured (``synchronous_commit`` on).
Prints one JSON line: {"tickets": n, "seconds": s}.

With ``--escalate N`` it times django-helpdesk's escalation sweep instead (the peer of
``bench_sweep.py``'s first run): N open tickets created ten days ago in a queue that escalates
after one day are stored in bulk before the clock starts; then ``manage.py escalate_tickets``
runs once, raising every ticket's priority, e-mailing its submitter (Django's dummy mail
backend: the messages are composed, not sent) and recording a follow-up and a ticket change
for each. Prints {"escalated": n, "seconds": s, "cpu_seconds": c} (c: this process's CPU time).
"""

import argparse
import json
import sys
import time


def configure(sqlite: str | None, postgresql: str | None) -> None:
    import django
    from django.conf import settings

    if sqlite:
        database = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite,
            # Django runs this on every new connection: the same pragmas as serviceframe's.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }
    else:
        from urllib.parse import urlparse

        url = urlparse(postgresql)
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": url.username or "postgres",
            "PASSWORD": url.password or "",
            "HOST": url.hostname or "127.0.0.1",
            "PORT": url.port or 5432,
        }
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        USE_TZ=True,
        TIME_ZONE="Asia/Shanghai",
        SITE_ID=1,
        DATABASES={"default": database},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.sites",
            "django.contrib.humanize",
            "rest_framework",
            "helpdesk",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        HELPDESK_USE_CDN=False,
        HELPDESK_TEAMS_MODE_ENABLED=False,  # the optional pinax-teams app is not needed here
        LOGGING_CONFIG=None,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        # its mails are rendered from templates stored in the database by its migrations
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
            }
        ],
    )
    django.setup()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", metavar="PATH", help="a SQLite file (created)")
    where.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--escalate", type=int, default=0, metavar="N", help="time escalate_tickets")
    args = p.parse_args(argv)
    configure(args.sqlite, args.postgresql)
    if args.escalate:
        return escalate(args.escalate)

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket

    call_command("migrate", verbosity=0, interactive=False)
    queue, _ = Queue.objects.get_or_create(title="12345 hotline", slug="hotline")

    def file(n: int) -> None:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                title=f"新建厂房用电报装进度缓慢 {n}",
                queue=queue,
                submitter_email="enterprise@example.com",
                description="我公司新建厂房提交用电报装申请三个月仍未接电,设备无法调试投产。",
                priority=3,
                created=timezone.now(),
            )
            FollowUp.objects.create(
                ticket=ticket,
                title="Ticket Opened",
                comment=ticket.description,
                public=True,
                date=timezone.now(),
            )

    file(0)  # warm-up
    started = time.perf_counter()
    for n in range(1, args.tickets + 1):
        file(n)
    seconds = time.perf_counter() - started
    print(json.dumps({"tickets": args.tickets, "seconds": seconds}))
    return 0


def escalate(n: int) -> int:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from helpdesk.models import Queue, Ticket

    call_command("migrate", verbosity=0, interactive=False)
    queue, _ = Queue.objects.get_or_create(
        title="12345 hotline", slug="hotline", defaults={"escalate_days": 1}
    )
    created = timezone.now() - timedelta(days=10)
    Ticket.objects.bulk_create(
        [
            Ticket(
                title=f"新建厂房用电报装进度缓慢 {i}",
                queue=queue,
                submitter_email="enterprise@example.com",
                description="我公司新建厂房提交用电报装申请三个月仍未接电,设备无法调试投产。",
                priority=3,
                created=created,
                modified=created,
            )
            for i in range(n)
        ],
        batch_size=500,
    )
    Ticket.objects.update(created=created)  # bulk_create stamps them now
    started, cpu = time.perf_counter(), time.process_time()
    call_command("escalate_tickets")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    escalated = Ticket.objects.filter(last_escalation__isnull=False).count()
    print(json.dumps({"escalated": escalated, "seconds": seconds, "cpu_seconds": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
