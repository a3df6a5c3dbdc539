"""examples/embedding: the library used without the CLI runs, on SQLite and PostgreSQL.

And every example under examples/ is run by some test (the issue's "every example runs in CI").
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "embedding" / "embedding.py"


def test_the_embedding_example_files_dispatches_sweeps_and_reports(sf_empty_db_url):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), sf_empty_db_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^schema \(empty\) -> \w+$", out, re.M)
    assert "organisation: 1 jurisdiction, 8 units, 13 officials" in out
    assert "enterprises: 10 added, 0 rejected" in out
    assert "filed issue 1: 流动资金续贷 (received by wx-gxj)" in out
    assert "dispatched to wx-czj: category 3 融资服务支持" in out
    assert out.count("督办 order") == 3 and "提级至县长李建华" in out
    assert "温县服务工业企业工作通报" in out
    assert "共受理企业反映问题1件" in out and "下发督办单3份" in out


def test_every_example_is_run_by_a_test():
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    testpaths = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        if example.name.startswith(("_", ".")):
            continue
        ran = (
            f'"{example.name}"' in tests
            or f"examples/{example.name}" in tests
            or f"examples/{example.name}" in testpaths
            or (example / "tests").is_dir()  # examples/*/tests is a pytest testpath
        )
        assert ran, f"examples/{example.name} is run by no test"
