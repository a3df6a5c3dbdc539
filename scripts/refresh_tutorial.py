"""Refresh the tutorials' shown output after the CLI's output changed.

    python scripts/refresh_tutorial.py

Runs the commands of docs/tutorial.md as tests/test_tutorial.py does, and in both
docs/tutorial.md and docs/tutorial.zh.md replaces the output shown under each command whose
output no longer matches with what it prints now. Commands that still match keep their text
(and their ``…`` placeholders). It lists the commands it changed: mark in them, with ``…``,
what differs from run to run (times, dates that follow from today, keys), then run
``pytest tests/test_tutorial.py``.
"""

import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tutorial_test():  # the parsing and running rules live with the test
    spec = importlib.util.spec_from_file_location(
        "test_tutorial", ROOT / "tests" / "test_tutorial.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refresh(text: str, printed: list[tuple[str, str]], t) -> tuple[str, list[str]]:
    outputs = iter(printed)
    changed: list[str] = []

    def block(match) -> str:
        lines: list[str] = []
        steps = t.sessions(f"```console\n{match.group(1)}```\n")
        for command, expected in steps:
            _, actual = next(outputs)
            first, *rest = command.split("\n")
            lines.append(f"$ {first}")
            lines += [f"> {line}" if line else ">" for line in rest]
            if t.pattern(expected).match(actual):
                lines += expected
            else:
                changed.append(first)
                lines += actual.rstrip("\n").split("\n") if actual else []
        return "```console\n" + "\n".join(lines) + "\n```"

    return t.BLOCK.sub(block, text), changed


def main() -> int:
    t = _tutorial_test()
    pages = [ROOT / "docs" / name for name in t.PAGES]
    steps = t.sessions(pages[0].read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        printed = t.run_session(steps, Path(folder))
    for page in pages:
        text, changed = refresh(page.read_text(encoding="utf-8"), printed, t)
        page.write_text(text, encoding="utf-8")
        for command in changed:
            print(f"{page.relative_to(ROOT)}: new output under $ {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
