"""`serviceframe serve` comes from this plugin through the `serviceframe_cli_commands` hook;
the CLI's help stays light (no SQLAlchemy, no web framework imported)."""

import subprocess
import sys

from portal_setup import ENTERPRISE


def test_serve_is_a_command_and_help_stays_light():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from serviceframe.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\n"
        "assert r.exit_code == 0 and ' serve ' in r.output, r.output\n"
        "r = CliRunner().invoke(cli, ['serve', '--help'])\n"
        "assert r.exit_code == 0 and '--port' in r.output, r.output\n"
        "assert 'sqlalchemy' not in sys.modules and 'starlette' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_disabling_the_plugin_takes_its_command_away():
    from click.testing import CliRunner
    from serviceframe.cli import cli

    result = CliRunner().invoke(cli, ["--disable-plugin", "portal", "serve"])
    assert result.exit_code != 0 and "No such command 'serve'" in result.output


def test_sign_in_codes_are_limited_per_hour(app):
    import pytest
    from serviceframe.errors import ValidationError

    from serviceframe_portal import signin

    for _ in range(signin.MAX_CODES_PER_HOUR):
        signin.request_code(app, ENTERPRISE, "13903910001")
    with pytest.raises(ValidationError, match="过于频繁"):
        signin.request_code(app, ENTERPRISE, "13903910001")
