"""Delivering the outbox: claim what is due, send it through its channel, record every attempt.

Nothing is sent twice by serviceframe: a row is claimed by one deliverer at a time (several
deliverers, on several machines against one PostgreSQL, skip each other's rows), and its
outcome is recorded under that claim straight after the send. When a deliverer stops between
sending and recording (killed, the machine lost), the row's lease runs out and another
deliverer takes it over knowing the earlier outcome is unknown: it asks the channel whether
that delivery key got through (:meth:`Channel.confirm`) and sends again only if it did not,
or if the channel cannot tell: then, and only then, delivery is at-least-once, with the same
delivery key on both copies so the far end can recognise them.

Failures worth retrying wait with exponential back-off; permanent ones, and notifications that
used up their attempts, wait for a person (``outbox list --status failed``, ``outbox retry``).
"""

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from attrs import frozen

from serviceframe.app import App
from serviceframe.channels import Channel, Failure, Outgoing, Receipt, Recipient
from serviceframe.domain.principal import Action
from serviceframe.errors import NotFound, ServiceFrameError
from serviceframe.orgfile import OutboxRules
from serviceframe.services.channels import Configured, configured, open_channel, stored_channels

STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


@frozen
class Attempt:
    outbox_id: int
    channel: str | None
    recipient: str
    outcome: str  # sent, confirmed, retry, failed, released
    detail: str = ""


@frozen
class DeliveryReport:
    claimed: int
    attempts: tuple[Attempt, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.attempts if a.outcome == outcome)


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(rules: OutboxRules, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling, capped."""
    seconds = rules.first_retry_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, rules.max_retry_seconds))


def deliver_due(
    app: App,
    limit: int = 100,
    worker: str | None = None,
    stop: threading.Event | None = None,
) -> DeliveryReport:
    """Deliver up to ``limit`` due notifications. With ``stop`` set part-way, the rest of the
    batch is handed back untouched for the next deliverer."""
    worker = worker or default_worker()
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        channels = {c.name: c for c in configured(app, uow, fresh=True)}
        _, rules = stored_channels(uow)
        claim, rows = uow.outbox.claim(
            worker, now, limit, now - timedelta(seconds=rules.lease_seconds)
        )
        uow.commit()
    opened: dict[str, Channel | Failure] = {}
    done: list[Attempt] = []
    try:
        for n, row in enumerate(rows):
            if stop is not None and stop.is_set():
                _release(app, rows[n:], claim)
                done += [
                    Attempt(r["id"], r["channel"], r["recipient_name"], "released")
                    for r in rows[n:]
                ]
                break
            result, detail = _attempt(app, row, channels, opened)
            done.append(_record(app, row, claim, result, detail, rules))
    finally:
        for channel in opened.values():
            if isinstance(channel, Channel):
                # Closing a broken connection must not lose the records made.
                with contextlib.suppress(Exception):
                    channel.close()
    return DeliveryReport(len(rows), tuple(done))


def _attempt(
    app: App, row: dict[str, Any], channels: dict[str, Configured], opened: dict[str, Any]
) -> tuple[Receipt | Failure, str]:
    """Try one notification; returns what happened and a note for the record."""
    name = row["channel"]
    configured_ = channels.get(name)
    if configured_ is None:
        return Failure(f"channel {name!r} is no longer in the organisation file", True), ""
    if name not in opened:
        opened[name] = _open(app, configured_)
    channel = opened[name]
    if isinstance(channel, Failure):
        return channel, ""
    plugin = configured_.plugin or configured_.config.kind
    message = outgoing(row)
    note = ""
    if row["unknown"]:
        if type(channel).confirm is not Channel.confirm:
            try:
                confirmed = channel.confirm(message)
            except Exception as exc:
                confirmed = None
                note = f"confirm raised {type(exc).__name__}: {exc}; "
            if isinstance(confirmed, Receipt):
                return confirmed, "confirmed: the earlier attempt got through"
            note += "the earlier attempt did not get through; "
        else:
            note = (
                f"the earlier attempt's outcome is unknown and {configured_.config.kind} cannot "
                "confirm it: sent again with the same delivery key (at-least-once); "
            )
    try:
        result = channel.deliver(message)
    except Exception as exc:
        return Failure(f"plugin {plugin!r} raised {type(exc).__name__}: {exc}"), note
    if not isinstance(result, Receipt | Failure):
        return Failure(f"plugin {plugin!r} returned {result!r}, not a Receipt or Failure"), note
    return result, note


def _open(app: App, channel: Configured) -> Channel | Failure:
    if channel.kind is None:
        return Failure(
            f"no installed plugin provides channel kind {channel.config.kind!r} here; "
            "install it where `serviceframe outbox deliver` runs"
        )
    try:
        return open_channel(app, channel)
    except ServiceFrameError as exc:
        return Failure(str(exc))
    except Exception as exc:
        return Failure(
            f"plugin {channel.plugin!r} could not open channel {channel.name!r}: "
            f"{type(exc).__name__}: {exc}"
        )


def outgoing(row: dict[str, Any]) -> Outgoing:
    data = row["data"] or {}
    return Outgoing(
        id=row["id"],
        key=row["key"],
        channel=row["channel"] or "",
        kind=row["kind"],
        recipient=Recipient(
            row["recipient_kind"],
            row["recipient_id"],
            row["recipient_name"],
            row["jurisdiction"],
            data.get("addresses", {}),
            data.get("enterprise"),
        ),
        address=row["address"],
        subject=row["subject"],
        body=row["body"],
        issue_id=row["issue_id"],
        round=row["round"],
        data=data,
        attempt=row["attempts"],
    )


def _record(
    app: App,
    row: dict[str, Any],
    claim: str,
    result: Receipt | Failure,
    note: str,
    rules: OutboxRules,
) -> Attempt:
    now = app.now()
    attempts = row["attempts"]
    with app.uow() as uow:
        if isinstance(result, Receipt):
            outcome = "confirmed" if note.startswith("confirmed") else "sent"
            detail = (note + result.reference).strip("; ")
            uow.outbox.record(
                row["id"], claim, now, outcome, detail, status="sent", receipt=result.reference
            )
        elif result.permanent or attempts >= rules.max_attempts:
            outcome = "failed"
            detail = note + result.reason
            if not result.permanent:
                detail += f" (gave up after {attempts} attempts)"
            uow.outbox.record(row["id"], claim, now, outcome, detail, status="failed")
        else:
            outcome = "retry"
            detail = note + result.reason
            uow.outbox.record(
                row["id"],
                claim,
                now,
                outcome,
                detail,
                status="pending",
                next_attempt_at=now + backoff(rules, attempts),
            )
        uow.commit()
    return Attempt(row["id"], row["channel"], row["recipient_name"], outcome, detail)


def _release(app: App, rows: list[dict[str, Any]], claim: str) -> None:
    now = app.now()
    with app.uow() as uow:
        for row in rows:
            uow.outbox.record(
                row["id"],
                claim,
                now,
                "released",
                "the deliverer stopped before trying",
                status="pending",
                attempts=row["attempts"] - 1,
            )
        uow.commit()


def run_worker(
    app: App,
    stop: threading.Event,
    batch: int = 100,
    idle_seconds: float = 5.0,
    worker: str | None = None,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> None:
    """Deliver until ``stop`` is set: a batch at a time, resting ``idle_seconds`` when nothing
    is due. Setting ``stop`` (SIGTERM, SIGINT) ends it after the notification being sent."""
    worker = worker or default_worker()
    while not stop.is_set():
        report = deliver_due(app, batch, worker, stop)
        if on_report is not None and report.claimed:
            on_report(report)
        if report.claimed < batch:
            stop.wait(idle_seconds)


# --- reading and retrying --------------------------------------------------------------------


def list_outbox(
    app: App,
    status: str | None = None,
    channel: str | None = None,
    issue_id: int | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        return uow.outbox.find(status, channel, issue_id, limit)


def show_outbox(app: App, outbox_id: int) -> dict[str, Any]:
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        row = uow.outbox.get(outbox_id)
        if row is None:
            raise NotFound("notification", outbox_id)
        return {**row, "attempt_log": uow.outbox.attempts(outbox_id)}


def retry(app: App, outbox_id: int, actor: str | None = None) -> dict[str, Any]:
    """Send a failed notification again from now on, with a fresh count of attempts. One that
    no channel could reach is routed again (its recipient may have an address by now)."""
    from serviceframe.services.configured import organisation_of
    from serviceframe.services.notifications import choose_channel, plan

    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        row = uow.outbox.get(outbox_id)
        if row is None:
            raise NotFound("notification", outbox_id)
        if row["status"] != "failed":
            raise ServiceFrameError(
                f"notification {outbox_id} is {row['status']} "
                f"({STATUS_LABELS.get(row['status'], '')}); only a failed one is retried"
            )
        changes: dict[str, Any] = {"last_error": ""}
        if row["channel"] is None:
            found = _reroute(app, uow, row)
            rules = plan(app, uow)
            org = organisation_of(app, uow)
            rule = rules.rules.get(row["kind"]) if rules is not None else None
            choice = (
                choose_channel(org, rules.channels, rule.channels if rule else (), found)
                if rules is not None and found is not None
                else None
            )
            if choice is None:
                raise ServiceFrameError(
                    f"notification {outbox_id}: still no channel reaches {row['recipient_name']}"
                    f" ({row['recipient_kind']} {row['recipient_id']}); give them an address in "
                    "the organisation file or the registry first"
                )
            assert found is not None
            changes |= {
                "channel": choice[0].name,
                "address": choice[1][:300],
                "data": {**(row["data"] or {}), "addresses": dict(found.addresses)},
            }
        uow.outbox.retry(outbox_id, now, changes)
        uow.commit()
    return show_outbox(app, outbox_id)


def _reroute(app: App, uow: Any, row: dict[str, Any]) -> Recipient | None:
    from serviceframe.services.addresses import find_recipient

    return find_recipient(app, uow, row["recipient_kind"], row["recipient_id"])
