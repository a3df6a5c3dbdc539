"""The tutorials (docs/tutorial.md, docs/tutorial.zh.md) run as written, with the output shown.

Every ```console block is a terminal session: a line starting with ``$ `` is a command (lines
starting with ``> `` continue it, as in a shell), the lines after it are what it prints (stdout,
then stderr). The commands run in order, with bash, in a fresh folder holding a link to the
repository's ``examples/``, with the ``serviceframe`` of this environment; each must succeed.
In the expected output ``…`` stands for anything within a line (times, dates that follow from
today, paths), and a line holding only ``…`` for any number of lines.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["tutorial.md", "tutorial.zh.md"]
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.M | re.S)


def sessions(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each command of each console block, in order."""
    steps: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(text):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif line.startswith("> ") or line == ">":
                command, expected = steps[-1]
                steps[-1] = (f"{command}\n{line[2:]}", expected)
            else:
                assert steps, f"output before any command: {line!r}"
                steps[-1][1].append(line)
    return steps


def pattern(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.rstrip().split("…")) + r"[ \t]*\n")
    return re.compile("".join(parts) + r"\Z", re.S)


def normalise(output: str) -> str:
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(f"{line}\n" for line in lines)


def run_session(steps: list[tuple[str, list[str]]], folder: Path) -> list[tuple[str, str]]:
    """Run each command; its output, normalised."""
    (folder / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFRAME_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    outputs = []
    for command, _expected in steps:
        if command.startswith("export "):
            for assignment in shlex.split(command)[1:]:
                name, _, value = assignment.partition("=")
                env[name] = value
            outputs.append((command, ""))
            continue
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (
            f"$ {command}\nexit {done.returncode}\n{done.stdout}{done.stderr}"
        )
        outputs.append((command, normalise(done.stdout + done.stderr)))
    return outputs


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """The English tutorial's commands, run once: both pages run the same commands."""
    steps = sessions((ROOT / "docs" / PAGES[0]).read_text(encoding="utf-8"))
    return run_session(steps, tmp_path_factory.mktemp("tutorial"))


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("SERVICEFRAME_TEST_DB")),
    reason="the tutorial makes its own SQLite files whatever the test database: run once, on SQLite",
)
@pytest.mark.parametrize("page", PAGES)
def test_the_tutorial_runs_as_written(page: str, printed: list[tuple[str, str]]):
    steps = sessions((ROOT / "docs" / page).read_text(encoding="utf-8"))
    assert len(steps) > 20
    for (command, expected), (ran, actual) in zip(steps, printed, strict=True):
        assert command == ran, "docs/tutorial.zh.md runs the commands of docs/tutorial.md"
        shown = normalise("\n".join(expected))
        assert pattern(expected).match(actual), (
            f"docs/{page}: $ {command}\n--- the page shows:\n{shown}--- it printed:\n{actual}"
        )


def test_both_languages_run_the_same_commands():
    english, chinese = (sessions((ROOT / "docs" / p).read_text(encoding="utf-8")) for p in PAGES)
    assert [c for c, _ in english] == [c for c, _ in chinese]


def test_placeholders_match_what_they_should():
    assert pattern(["a … c", "…", "end"]).match("a b b c\nx\ny\nend\n")
    assert not pattern(["a … c"]).match("a b d\n")
    assert not pattern(["one"]).match("one\ntwo\n")  # nothing unshown after the last line
