"""serviceframe's pytest plugin is opt-in: a project that does not turn it on sees no change."""

import subprocess
import sys
from pathlib import Path

import pytest

TEST = """
import sys

def test_fixtures(request):
    print("IMPORTED", "serviceframe.testing.fixtures" in sys.modules)
    try:
        request.getfixturevalue("sf_clock")
        print("HAS True")
    except Exception:
        print("HAS False")
"""


def run(project: Path, ini: str) -> str:
    (project / "pytest.ini").write_text(f"[pytest]\n{ini}\n", encoding="utf-8")
    (project / "test_probe.py").write_text(TEST, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_probe.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_off_unless_the_project_turns_it_on(tmp_path: Path):
    off = run(tmp_path, "")
    assert "IMPORTED False" in off and "HAS False" in off
    on = run(tmp_path, "serviceframe = true")
    assert "IMPORTED True" in on and "HAS True" in on
