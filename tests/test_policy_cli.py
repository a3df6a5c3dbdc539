"""``serviceframe policy``: the commands a clerk runs, on the bundled catalogue of the Jiaozuo
example (45 fictional policies, loaded with the example)."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.demo import example_dir

ON = "2026-10-15"
CABLE = "914108026469439561"  # 河南东昌电缆集团有限公司, C3831


@pytest.fixture
def run(jiaozuo_app):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), obj=CliContext(app=jiaozuo_app))

    return invoke


def ok(result):
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_the_example_catalogue_is_loaded_and_covers_the_nine_categories(run):
    found = json.loads(ok(run("policy", "list", "--on", ON, "--json")))
    assert len(found) == 45
    assert {c for p in found for c in p["categories"]} == set(range(1, 10))
    assert {p["validity"] for p in found} == {"current", "upcoming", "expired"}


def test_search_prints_chinese_results_best_first(run):
    out = ok(run("policy", "search", "融资", "--on", ON, "--limit", "3"))
    lines = out.splitlines()
    assert lines[0] == "查询「融资」: 6 条 found, showing 1-3"
    assert "焦作市支持中小企业融资担保的若干措施 〔现行有效〕" in lines[1]
    assert "焦政办〔2025〕33号" in lines[2]
    assert "融资" in lines[3]


def test_search_with_several_words_and_punctuation(run):
    out = ok(run("policy", "search", "融资，担保", "--on", ON))
    assert out.startswith("查询「融资，担保」: 2 条")


def test_expired_policies_are_marked_last_or_left_out(run):
    out = ok(run("policy", "search", "认证", "--on", ON))
    assert (
        "焦作市质量品牌提升奖励办法 〔已失效〕" in out.splitlines()[-3]
    )  # the last of three lines
    assert "已失效" not in ok(run("policy", "search", "认证", "--on", ON, "--current"))


def test_search_json(run):
    found = json.loads(ok(run("policy", "search", "用电", "--on", ON, "--json", "--limit", "2")))
    assert found["terms"] == ["用电"]
    assert found["total"] == 7
    assert [h["policy"]["title"] for h in found["hits"]] == [
        "焦作市关于降低工业企业用电成本的若干措施",
        "温县食品加工企业用电用气保障措施",
    ]
    assert found["index"]["kind"] in ("fts5-trigram", "pg_trgm")


def test_search_filters(run):
    out = ok(run("policy", "search", "补助", "--category", "3", "--on", ON))
    assert out.startswith("查询「补助」: 1 条")
    assert "融资服务支持" in out.splitlines()[2]
    out = ok(run("policy", "search", "补助", "--category", "重大项目协调", "--on", ON))
    assert out.startswith("查询「补助」: 0 条")
    out = ok(run("policy", "search", "补助", "--industry", "C36", "--on", ON))
    assert "汽车零部件产业高质量发展若干政策 〔尚未生效〕" in out


def test_search_refuses_a_query_without_words(run):
    result = run("policy", "search", "，。")
    assert result.exit_code == 1
    assert "text='，。': give a word or phrase to search for" in result.stderr


def test_policies_for_an_enterprise(run):
    out = ok(run("policy", "for", CABLE, "--on", ON, "--limit", "3"))
    assert out.splitlines()[0] == "河南东昌电缆集团有限公司 (行业 C3831): 3 条政策 policies"
    assert "适用 行业 C" in out
    found = json.loads(ok(run("policy", "for", CABLE, "--on", ON, "--json")))
    assert all(m["policy"]["validity"] != "expired" for m in found)
    assert json.loads(ok(run("policy", "for", CABLE, "--on", ON, "--json", "--include-expired")))


def test_policies_for_an_unknown_enterprise(run):
    result = run("policy", "for", "91410802MA00000000")
    assert result.exit_code == 1
    assert "credit_code" in result.stderr


def test_show_a_policy(run):
    found = json.loads(ok(run("policy", "search", "转贷", "--json")))
    policy_id = found["hits"][0]["policy"]["id"]
    out = ok(run("policy", "show", str(policy_id), "--on", ON))
    assert out.startswith("焦作市中小企业转贷应急周转资金管理办法\n")
    assert "  文号: 焦金〔2025〕8号" in out
    assert "  有效期: 2025-07-01 至 2028-06-30 (现行有效)" in out
    assert "  企业规模: 中型、小型、微型" in out
    assert "设立5000万元转贷应急周转资金" in out
    shown = json.loads(ok(run("policy", "show", str(policy_id), "--json")))
    assert shown["policy"]["doc_no"] == "焦金〔2025〕8号"
    result = run("policy", "show", "9999")
    assert (result.exit_code, result.stderr.strip()) == (1, "Error: no policy 9999")


def test_a_bad_date_option(run):
    result = run("policy", "list", "--on", "2026-02-30")
    assert result.exit_code == 2
    assert "no such day" in result.stderr


def test_import_reports_counts_and_bad_rows(run, tmp_path):
    again = ok(run("policy", "import", str(example_dir() / "policies.csv")))
    assert again.endswith("45 rows, 0 added, 0 updated, 45 unchanged, 0 rejected\n")

    path = tmp_path / "新政策.csv"
    path.write_text(
        "文号,标题,发文机关,发文日期,服务类别,正文\n"
        "焦政〔2027〕1号,新政策,焦作市人民政府,2027-01-05,3,加大信贷投放。\n"
        "焦政〔2027〕2号,坏日期,焦作市人民政府,2027-02-30,3,内容。\n",
        encoding="gbk",
    )
    result = run("policy", "import", str(path))
    assert result.exit_code == 1
    assert "2 rows, 1 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "line 3, column 发文日期: '2027-02-30': no such day" in result.stderr


def test_reindex(run):
    assert ok(run("policy", "reindex")).startswith("search index: ")


def test_policy_is_on_the_command_list_and_help_stays_light():
    code = (
        "import sys; from serviceframe.cli import cli; "
        "sys.argv = ['serviceframe', '--help']\n"
        "try:\n    cli()\nexcept SystemExit: pass\n"
        "assert 'sqlalchemy' not in sys.modules, 'help imported the store'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "policy" in done.stdout
