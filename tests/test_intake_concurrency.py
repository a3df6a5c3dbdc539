"""Idempotent intake under real concurrency: processes filing the same message at once."""

import json
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import text

from serviceframe.services.issues import IssueDraft, file_issue
from serviceframe.testing.sample import JIEFANG, credit_code

ENTERPRISE = credit_code(JIEFANG, 1)

FILER = textwrap.dedent(
    """
    import json, os, sys, time
    from serviceframe.app import Settings, bootstrap
    from serviceframe.services.issues import IssueDraft, file_issue

    url, go, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = bootstrap(Settings(acting_as="office", db_url=url, actor=f"channel-{n}", load_entry_points=False))
    # Warm up (imports, schema check, caches), then wait for the start signal, so that the
    # processes really file at the same moment.
    file_issue(app, IssueDraft(enterprise=sys.argv[4], source="hotline", body="预热", external_id=f"warm-{n}"))
    while not os.path.exists(go):
        time.sleep(0.001)
    filed = file_issue(
        app,
        IssueDraft(
            enterprise=sys.argv[4],
            source="portal",
            title="用电报装进度缓慢",
            body="新建厂房用电报装三个月未接电。",
            external_id="portal-2026-0815-001",
        ),
    )
    print(json.dumps({"id": filed.issue.id, "created": filed.created}))
    """
)


@pytest.mark.slow
def test_eight_processes_filing_one_message_make_one_issue(sf_small_app, tmp_path):
    url = sf_small_app.settings.db_url
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", FILER, url, str(go), str(n), ENTERPRISE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    time.sleep(3)  # let them warm up; a slow one still files after the signal
    go.touch()
    answers = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        answers.append(json.loads(out.strip().splitlines()[-1]))

    ids = {a["id"] for a in answers}
    assert len(ids) == 1, answers
    assert sum(a["created"] for a in answers) == 1, answers
    with sf_small_app.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id FROM issues WHERE external_id = 'portal-2026-0815-001'")
        ).all()
        filed = conn.execute(
            text("SELECT count(*) FROM events WHERE kind = 'filed' AND subject = :s"),
            {"s": f"issue:{ids.pop()}"},
        ).scalar()
    assert len(stored) == 1 and filed == 1
    # and the one issue is what the first delivery said
    again = file_issue(
        sf_small_app,
        IssueDraft(
            enterprise=ENTERPRISE,
            source="portal",
            body="再次推送",
            external_id="portal-2026-0815-001",
        ),
    )
    assert not again.created and again.issue.body == "新建厂房用电报装三个月未接电。"
