"""``serviceframe plugin new``: each kind of package, as written, passes its own tests.

The generated tests run in a separate pytest process with the package's ``src`` on the path
(installing it here would change the test environment for every other test); the tox ``docs``
env installs one of each with pip and runs them too (scripts/check_plugin_templates.py).
"""

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli


def generate(tmp_path: Path, name: str, kind: str) -> Path:
    result = CliRunner().invoke(
        cli, ["plugin", "new", name, "--kind", kind, "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / name}" in result.output
    return tmp_path / name


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["channel", "report", "classifier"])
def test_the_generated_package_passes_its_tests(tmp_path: Path, kind: str):
    package = generate(tmp_path, f"wenxian-{kind}", kind)
    module = f"wenxian_{kind}"
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["serviceframe"] == {module: module}
    assert project["tool"]["pytest"]["ini_options"]["serviceframe"] is True
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_a_bad_name_or_an_existing_folder_is_refused(tmp_path: Path):
    bad = CliRunner().invoke(cli, ["plugin", "new", "Wenxian SMS", "--kind", "channel"])
    assert bad.exit_code == 1
    assert "NAME='Wenxian SMS': lower-case letters" in bad.output
    generate(tmp_path, "wenxian-sms", "channel")
    again = CliRunner().invoke(
        cli, ["plugin", "new", "wenxian-sms", "--kind", "report", "--dir", str(tmp_path)]
    )
    assert again.exit_code == 1 and "exists already" in again.output
    assert "serviceframe_channel_kinds" in (
        tmp_path / "wenxian-sms/src/wenxian_sms/__init__.py"
    ).read_text(encoding="utf-8")


def test_plugin_new_does_not_import_the_store(tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import sys
        from serviceframe.cli import cli

        for args in (["plugin", "new", "--help"], ["plugin", "new", "x-y", "--kind", "report",
                     "--dir", {str(tmp_path)!r}]):
            try:
                cli.main(args, prog_name="serviceframe", standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
            assert "sqlalchemy" not in sys.modules, args
        print("clean")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("clean") and (tmp_path / "x-y" / "pyproject.toml").exists()
