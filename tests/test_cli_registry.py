"""The registry commands of the reference CLI, through click's CliRunner.

Most commands get the test's app as ``obj`` (``CliContext(app=...)``), as an embedding
application would; ``db upgrade`` is also driven the way a user does, with ``--db``.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.services.enterprises import get_enterprise
from serviceframe.store import migrate
from serviceframe.testing.sample import (
    CITY,
    JIEFANG,
    SMALL_ORG,
    XIUWU,
    credit_code,
    enterprise_row,
    write_csv,
    write_org,
)

CITY_KEY = credit_code(JIEFANG, 1)
COUNTY_KEY = credit_code(JIEFANG, 2)
UNKNOWN = credit_code(JIEFANG, 99)


def invoker(default_app):
    runner = CliRunner()

    def invoke(*args: str, app=default_app):
        return runner.invoke(cli, list(args), obj=CliContext(app=app))

    return invoke


@pytest.fixture
def run(sf_small_app):
    """Run a command on a database of the test's own."""
    return invoker(sf_small_app)


@pytest.fixture
def read(sf_small_app_shared):
    """Run a command that changes nothing, on a database shared by this module."""
    return invoker(sf_small_app_shared)


def ok(result):
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def one_line_error(result) -> str:
    """The command failed with exit 1 and one clear line on stderr, no traceback."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


def unescaped_json(text: str):
    assert "\\u" not in text
    return json.loads(text)


# --- db ----------------------------------------------------------------------------------


def test_db_upgrade_on_a_fresh_database_then_again(sf_empty_db_url):
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", sf_empty_db_url, "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"schema (empty) -> {migrate.head()}" in first.stdout
    again = runner.invoke(cli, ["--db", sf_empty_db_url, "db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert f"already at schema {migrate.head()}" in again.stdout
    current = runner.invoke(cli, ["--db", sf_empty_db_url, "db", "current", "--json"])
    assert json.loads(current.stdout)["current"] == migrate.head()


def test_db_upgrade_on_a_new_sqlite_file(tmp_path):
    path = tmp_path / "新建.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "db", "upgrade", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["before"], report["after"]) == (None, migrate.head())
    assert path.exists()


def test_commands_on_an_unmigrated_database_say_what_to_run(sf_empty_db_url):
    result = CliRunner().invoke(cli, ["--db", sf_empty_db_url, "enterprise", "list"])
    assert "serviceframe db upgrade" in one_line_error(result)


def test_an_unreachable_database_is_one_line(tmp_path):
    url = "postgresql://postgres:secret@127.0.0.1:1/test"
    result = CliRunner().invoke(cli, ["--db", url, "enterprise", "list"])
    line = one_line_error(result)
    assert "127.0.0.1" in line
    assert "secret" not in line


# --- org ---------------------------------------------------------------------------------


def test_org_load_and_reload(run, tmp_path):
    result = run("org", "load", str(write_org(tmp_path / "org.toml")))
    out = ok(result)
    assert "3 个辖区 jurisdictions, 5 个单位 units, 7 名人员 officials (0 new)" in out
    assert "2 个领导小组 leading groups" in out

    start = SMALL_ORG.index('[[officials]]\nid = "jz-fgw-leader"')
    end = SMALL_ORG.index("[[", start + 2)
    smaller = write_org(tmp_path / "smaller.toml", SMALL_ORG[:start] + SMALL_ORG[end:])
    ok(run("assign", CITY_KEY, "--official", "jz-fgw-leader"))
    out = ok(run("org", "load", str(smaller), "--json"))
    report = unescaped_json(out)
    assert (report["retired_officials"], report["ended_assignments"]) == (1, 1)


def test_org_load_of_a_bad_file_lists_the_problems(run, tmp_path):
    bad = SMALL_ORG.replace('role = "department_leader"', 'role = "boss"')
    result = run("org", "load", str(write_org(tmp_path / "bad.toml", bad)))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "'boss' is not a valid Role @ $.officials[4].role" in result.stderr
    assert "bad.toml" in result.stderr


def test_org_show(read):
    out = ok(read("org", "show"))
    assert "焦作市 (410800)" in out
    assert "领导小组 焦作市服务工业企业长效机制领导小组" in out
    assert "组长 于洪 市长" in out
    assert "办公室设在 焦作市企业发展服务局" in out
    assert "黄秀倩" in out and "生产要素协调" in out


def test_org_show_json(read):
    org = unescaped_json(ok(read("org", "show", "--json")))
    assert {j["code"] for j in org["jurisdictions"]} == {"410800", "410802", "410821"}
    vm = next(o for o in org["officials"] if o["id"] == "jz-vm")
    assert vm["name"] == "黄秀倩"
    assert sorted(vm["portfolio"]["categories"]) == list(range(1, 10))
    assert vm["role"] == "deputy"


def test_org_show_before_loading(sf_app):
    assert "org load" in one_line_error(invoker(sf_app)("org", "show"))


# --- enterprise --------------------------------------------------------------------------


def test_enterprise_import_clean_and_with_errors(run, sf_small_app, tmp_path):
    clean = write_csv(tmp_path / "clean.csv", [enterprise_row(JIEFANG, 11, level="city")])
    assert "1 rows, 1 added, 0 updated, 0 unchanged, 0 rejected" in ok(
        run("enterprise", "import", str(clean))
    )
    assert "0 added, 0 updated, 1 unchanged" in ok(run("enterprise", "import", str(clean)))

    bad = enterprise_row(JIEFANG, 12)
    bad[2] = "410899"
    gbk = write_csv(tmp_path / "errors.csv", [enterprise_row(JIEFANG, 13), bad], encoding="gbk")
    result = run("enterprise", "import", str(gbk))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "2 rows, 1 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "line 3, column 所属县区: '410899': not a jurisdiction" in result.stderr
    assert get_enterprise(sf_small_app, credit_code(JIEFANG, 13)).jurisdiction == JIEFANG


def test_enterprise_import_json_and_explicit_encoding(run, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [enterprise_row(JIEFANG, 11)], encoding="gbk")
    report = unescaped_json(
        ok(run("enterprise", "import", str(path), "--encoding", "gbk", "--json"))
    )
    assert (report["rows"], report["inserted"], report["errors"]) == (1, 1, [])


def test_enterprise_import_of_a_missing_file(read, tmp_path):
    line = one_line_error(read("enterprise", "import", str(tmp_path / "nope.csv")))
    assert "nope.csv" in line


def test_enterprise_list_filters(read):
    out = ok(read("enterprise", "list", "--county", JIEFANG, "--key", "county"))
    assert CITY_KEY in out and COUNTY_KEY in out
    assert credit_code(JIEFANG, 3) not in out
    assert "焦作市恒泽制药有限公司" in out
    assert "2 enterprises" in out
    out = ok(read("enterprise", "list", "--key", "city"))
    assert "1 enterprises" in out


def test_enterprise_list_json(read):
    found = unescaped_json(ok(read("enterprise", "list", "--county", JIEFANG, "--json")))
    assert [e["credit_code"] for e in found] == sorted(
        [CITY_KEY, COUNTY_KEY, credit_code(JIEFANG, 3)]
    )
    first = next(e for e in found if e["credit_code"] == CITY_KEY)
    assert first["name"] == "焦作市恒泽制药有限公司"
    assert first["key_level"] == "city"
    assert first["contacts"][0]["person"] == "联系人1"


def test_enterprise_list_rejects_a_bad_key_level(read):
    result = read("enterprise", "list", "--key", "state")
    assert result.exit_code == 2
    assert "state" in result.stderr


def test_enterprise_list_by_name_covers_the_places_below(read):
    out = ok(read("enterprise", "list", "--jurisdiction", "焦作市", "--key", "county"))
    assert CITY_KEY in out and COUNTY_KEY in out and credit_code(XIUWU, 4) in out
    assert "解放区" in out  # the place by name, not only its code


def test_enterprise_show(run):
    ok(run("assign", CITY_KEY, "--official", "jz-vm"))
    ok(run("assign", CITY_KEY, "--official", "jz-mayor"))
    out = ok(run("enterprise", "show", CITY_KEY.lower()))
    assert "焦作市恒泽制药有限公司" in out
    assert f"统一社会信用代码 {CITY_KEY}" in out
    assert "重点级别 市重点" in out
    assert "分包联系人 jz-vm" in out and "handed over to jz-mayor" in out
    assert "分包联系人 jz-mayor" in out and "至今" in out
    shown = unescaped_json(ok(run("enterprise", "show", CITY_KEY, "--json")))
    assert shown["enterprise"]["credit_code"] == CITY_KEY
    assert [a["official"] for a in shown["assignments"]] == ["jz-vm", "jz-mayor"]
    assert shown["assignments"][0]["valid_to"] is not None


def test_enterprise_designate(run):
    code = credit_code(JIEFANG, 3)
    assert "市重点" in ok(run("enterprise", "designate", code, "--level", "city"))
    assert code in ok(run("enterprise", "list", "--key", "city"))
    assert code in ok(run("enterprise", "list", "--county", JIEFANG, "--key", "county"))
    found = unescaped_json(ok(run("enterprise", "designate", code, "--level", "none", "--json")))
    assert found["key_level"] == "none"


@pytest.mark.parametrize(
    "args",
    [
        ("enterprise", "show", UNKNOWN),
        ("enterprise", "designate", UNKNOWN, "--level", "city"),
        ("assign", UNKNOWN, "--official", "jz-vm"),
        ("contact-card", UNKNOWN),
    ],
)
def test_an_unknown_enterprise_is_one_clear_line(read, args):
    assert UNKNOWN in one_line_error(read(*args))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("enterprise", "show", "91410802MA44XXXX"), "91410802MA44XXXX"),
        (("enterprise", "show", CITY_KEY[:17] + "0"), "check character"),
        (("assign", "12345", "--official", "jz-vm"), "12345"),
        (("contact-card", "91410802SA4400000X"), "S"),
        (("assign", CITY_KEY, "--official", "jz-nobody"), "jz-nobody"),
        (("assign", CITY_KEY, "--official", "jz-edsb-liaison"), "jz-edsb-liaison"),
        (("assign", CITY_KEY, "--department", "jz-xyz", "--official", "jz-vm"), "jz-xyz"),
    ],
)
def test_bad_input_is_one_clear_line_naming_the_value(read, args, named):
    assert named in one_line_error(read(*args))


# --- assignments -------------------------------------------------------------------------


def test_assign_contact_and_handover(run):
    assert f"{CITY_KEY}: 分包联系人 jz-vm from" in ok(
        run("assign", CITY_KEY, "--official", "jz-vm")
    )
    out = ok(run("assign", CITY_KEY, "--official", "jz-mayor"))
    assert "handed over from jz-vm" in out
    result = unescaped_json(ok(run("assign", CITY_KEY, "--official", "jz-mayor", "--json")))
    assert result["assignment"]["official"] == "jz-mayor"
    assert result["replaced"] is None  # already so


def test_assign_department_liaison(run):
    out = ok(run("assign", CITY_KEY, "--department", "jz-edsb", "--official", "jz-edsb-head"))
    assert "挂钩服务 (jz-edsb) jz-edsb-head" in out
    wrong = run("assign", CITY_KEY, "--department", "jz-fgw", "--official", "jz-edsb-head")
    assert "does not work in" in one_line_error(wrong)


def test_coverage_json(run):
    ok(run("assign", CITY_KEY, "--official", "jz-vm"))
    result = unescaped_json(ok(run("coverage", "--json")))
    lines = {q["level"]: q for q in result["quotas"]}
    assert lines[CITY] == {
        "level": CITY,
        "name": "焦作市",
        "key_enterprises": 1,
        "target": 3,
        "with_contact": 1,
    }
    assert lines[JIEFANG]["name"] == "解放区"
    gaps = {(g["level"], g["credit_code"]) for g in result["gaps"]}
    assert (JIEFANG, COUNTY_KEY) in gaps
    assert (CITY, CITY_KEY) not in gaps


def test_coverage_table(read):
    out = ok(read("coverage"))
    assert "焦作市" in out and "解放区" in out
    assert "缺联系领导" in out and "市重点" in out
    assert "重点企业没有本级或上级联系领导" in out
    assert "焦作市宝祥电机有限公司" in out


def test_contact_card(run):
    ok(run("assign", CITY_KEY, "--official", "jz-vm"))
    ok(run("assign", CITY_KEY, "--department", "jz-edsb", "--official", "jz-edsb-head"))
    out = ok(run("contact-card", CITY_KEY))
    assert "联系卡 — 焦作市恒泽制药有限公司" in out
    assert "焦作市企业发展服务局" in out and "0391-3996052" in out
    assert "王建国" in out and "局长" in out and "13903910001" in out
    assert "黄秀倩" in out and "副市长" in out
    cards = unescaped_json(ok(run("contact-card", CITY_KEY, "--json")))
    assert {c["kind"] for c in cards} == {"contact", "liaison"}
    assert "no contact leader or liaison" in ok(run("contact-card", COUNTY_KEY))


# --- plugins -----------------------------------------------------------------------------


def test_plugins_list_json(read):
    infos = json.loads(ok(read("plugins", "list", "--json")))
    sources = next(p for p in infos if p["name"] == "serviceframe.plugins.sources")
    assert sources["status"] == "ok"
    assert sources["origin"] == "builtin"
    assert "serviceframe_sources" in sources["hooks"]


def test_plugins_list_needs_no_database():
    result = CliRunner().invoke(
        cli, ["--db", "postgresql://nobody@127.0.0.1:1/x", "plugins", "list"]
    )
    assert result.exit_code == 0, result.output
    assert "serviceframe.plugins.sources" in result.stdout


def test_help_and_plugins_list_do_not_import_the_store(tmp_path):
    script = textwrap.dedent(
        """
        import sys

        import serviceframe.cli
        from serviceframe.cli import cli

        assert "sqlalchemy" not in sys.modules, "import serviceframe.cli"
        for args in (["--help"], ["plugins", "list"], ["plugins", "list", "--json"]):
            try:
                cli.main(args, prog_name="serviceframe", standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
            assert "sqlalchemy" not in sys.modules, args
            assert "alembic" not in sys.modules, args
        print("clean")
        """
    )
    env = {**os.environ, "SERVICEFRAME_DB": str(tmp_path / "untouched.db")}
    env.pop("SERVICEFRAME_DISABLE_PLUGINS", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("clean")
    assert "serviceframe" in done.stdout  # the help text and the plugin table were printed
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert not [m for m in imported if m.startswith("sqlalchemy")]
    # Every command loads the plugins: they import their channels, reports and rules in their
    # hooks, never when loaded (the e-mail plugin's SMTP and mail parsing, the report model).
    heavy = ("smtplib", "html.parser", "serviceframe.channels", "serviceframe.reports.document")
    assert not [m for m in imported if m in heavy]
    assert not (tmp_path / "untouched.db").exists()


def test_commands_that_read_the_store_do_not_import_alembic(sf_small_app):
    """Reading and filing issues checks the schema without alembic (only `db` commands and
    the demo migrate); a SQLite store never loads the PostgreSQL driver, nor SQLAlchemy's
    PostgreSQL dialect (the partial indexes' conditions); no XLSX, no openpyxl."""
    url = sf_small_app.settings.db_url
    script = textwrap.dedent(
        """
        import json, sys
        from serviceframe.cli import cli

        for args in (["issue", "list", "--json"], ["issue", "file", "--enterprise", sys.argv[1],
                     "--source", "hotline", "--body", "频繁停电", "--json"],
                     ["issue", "show", "1", "--json"], ["ledger", "jz-fgw", "--period", "2026"]):
            try:
                cli.main(["--db", sys.argv[2], *args], prog_name="serviceframe", standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
        print(json.dumps(sorted(sys.modules)))
        """
    )
    env = {**os.environ, "SERVICEFRAME_DISABLE_PLUGINS": "eventlog"}
    done = subprocess.run(
        [sys.executable, "-c", script, CITY_KEY, url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "sqlalchemy" in modules  # it did read the store
    assert not [m for m in modules if m.split(".")[0] in ("alembic", "mako", "openpyxl")]
    if url.startswith("sqlite"):
        assert "psycopg" not in modules
        assert "sqlalchemy.dialects.postgresql" not in modules


def test_the_cli_closes_its_database_before_it_exits(sf_small_app):
    """`main` skips the collector's walk at exit (gc.freeze): the app it built is closed
    before, so SQLite's connection ends cleanly and leaves no write-ahead log behind."""
    url = sf_small_app.settings.db_url
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write-ahead log")
    sf_small_app.close()
    path = Path(url.removeprefix("sqlite:///"))
    command = ["issue", "file", "--enterprise", CITY_KEY, "--source", "hotline", "--body", "停电"]
    done = subprocess.run(
        [sys.executable, "-c", "from serviceframe.cli import main; main()", "--db", url, *command],
        capture_output=True,
        text=True,
        env={**os.environ, "SERVICEFRAME_DISABLE_PLUGINS": "eventlog"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert path.exists() and not Path(f"{path}-wal").exists()
