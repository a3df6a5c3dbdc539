"""Generate one plugin of each kind with `serviceframe plugin new`, install it, run its tests.

    python scripts/check_plugin_templates.py DIR      (tox -e docs runs it)

What a county's IT engineer does with the template, in CI: the packages must install with pip
and pass their tests as generated.
"""

import shutil
import subprocess
import sys
from pathlib import Path

KINDS = ("channel", "report", "classifier")


def run(*args: str, cwd: Path | None = None) -> None:
    print("$", " ".join(args), flush=True)
    subprocess.run(args, cwd=cwd, check=True)


def main() -> int:
    root = Path(sys.argv[1])
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for kind in KINDS:
        name = f"template-{kind}"
        run("serviceframe", "plugin", "new", name, "--kind", kind, "--dir", str(root))
        pip = (sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation")
        run(*pip, "--no-deps", "-e", str(root / name))
        run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root / name)
        run(sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
