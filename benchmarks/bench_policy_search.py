"""Policy search speed: ``search_policies`` over a large generated catalogue, against the same
match written by hand in SQL on the bare driver, in the same run.

    python benchmarks/bench_policy_search.py [--backend sqlite|postgresql|both]
                                             [--policies 10000,100000] [--repeat 5]

For each catalogue size a fresh copy of the Jiaozuo example database gets that many generated
policies (realistic Chinese titles and texts of 250-700 characters from templates of the nine
categories, ~15% expired), loaded through ``import_policies`` from a CSV file. Then, for each
query (one to seven characters, two terms, Chinese with ASCII, common and rare words):

- **bare SQL** (the baseline): the query written by hand, run on the bare driver connection
  (sqlite3 / psycopg): the same index lookup for terms of three or more characters (FTS5
  ``MATCH`` / ``LIKE`` served by pg_trgm), the same scan for shorter terms, the same ranking
  (validity, terms in the title, occurrences, date), the total by a window function, the first
  page of 20 rows with their title, issuer, number and dates. Its parameters are prepared
  before the clock starts.
- **search_policies**: the service, as the portal calls it: folding and splitting the query,
  the ranked page, the page's categories, industries and sizes, and a snippet of each text.
- **bare SQL, no index** (a second reference): the hand-written query with every term matched
  by scanning (``instr`` / ``strpos``), i.e. what the index saves.

Figures are seconds per search (best of ``--repeat``; bare SQL and the service take turns)
and ratios: service ÷ bare SQL (lower
is better, 1× costs what the database costs), bare SQL ÷ no index.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import (
    NOW,
    Report,
    backend,
    backends,
    best_of,
    emit,
    header,
    parser,
    say,
    server_version,
    timed,
    write_json,
)

from serviceframe.app import App
from serviceframe.domain.policy import query_terms
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.policies import import_policies, search_index, search_policies

TODAY = NOW.astimezone(SHANGHAI).date()
PAGE = 20

QUERIES = (
    "煤",  # one character
    "融资",  # two characters, common
    "用电",
    "5G",  # two ASCII characters
    "贷款贴息",  # four characters
    "安全生产标准化",
    "ISO9001",
    "融资 担保",  # two terms
    "铬鞣废液",  # rare
)

PLACES = ("焦作市", "解放区", "中站区", "马村区", "山阳区", "修武县", "博爱县", "武陟县", "温县", "沁阳市", "孟州市")  # fmt: skip
ISSUERS = (
    "人民政府", "人民政府办公室", "企业发展服务局", "财政局", "发展和改革委员会",
    "人民政府金融工作办公室", "科学技术局", "人力资源和社会保障局", "安全生产监督管理局",
    "环境保护局", "市场监督管理局", "工业和信息化局",
)  # fmt: skip
# Per category: title topics, and sentences the text is made of ({n}, {m} vary).
TOPICS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    1: (
        ("降低工业企业用电成本", "天然气保供", "电煤储备", "大宗物资运输保障", "用电报装提速"),
        (
            "对年用电量{n}万千瓦时以上的工业企业，支持参与电力市场化交易。",
            "新建厂房用电报装实行限时办理，高压用户接电时限压缩至{m}个工作日。",
            "采暖季压减工业用气指标须提前{m}小时通知企业。",
            "发电企业电煤库存不得低于{m}天用量，煤炭运输优先安排铁路车皮。",
            "对错峰用电、参与需求响应的企业按削减负荷每千瓦给予{m}元补偿。",
        ),
    ),
    2: (
        ("工业经济运行监测", "重点企业运行调度", "统计数据直报"),
        (
            "对重点企业的产值、用电量、订单、库存和用工情况按月监测。",
            "产值连续{m}个月下降的企业及时预警，分包领导上门了解情况。",
            "企业通过网上直报系统报送主要经济指标，同时可在线反映困难。",
        ),
    ),
    3: (
        (
            "中小企业融资担保",
            "转贷应急周转资金",
            "工业企业贷款贴息",
            "银企对接",
            "信用贷款风险补偿",
        ),
        (
            "市财政安排{n}万元融资担保风险补偿资金，担保费率不高于1%。",
            "设立转贷应急周转资金，帮助企业续贷，降低过桥资金成本。",
            "对技术改造贷款按合同利率的{m}%给予贷款贴息。",
            "每季度举办银企对接会，推广应收账款融资和知识产权质押融资。",
            "对暂时困难但有订单的企业不抽贷、不压贷、不断贷。",
        ),
    ),
    4: (
        ("高新技术企业培育", "质量品牌提升", "研发中心建设", "科技创新券", "专精特新培育"),
        (
            "对首次认定的高新技术企业给予{m}万元奖励。",
            "对通过ISO9001质量管理体系认证的中小企业每项补助{m}万元。",
            "新认定为省级企业技术中心的奖励{n}万元。",
            "科技创新券用于购买检验检测、研发设计等科技服务。",
        ),
    ),
    5: (
        ("重大工业项目审批服务", "重大项目协调推进", "项目建设用地保障", "项目代办服务"),
        (
            "总投资{n}万元以上的工业项目实行一站式审批，审批时限压缩一半。",
            "项目在用地、用电、融资、审批等方面的问题由项目专员限期协调。",
            "工业用地推行标准地出让，用地手续{m}个工作日内办结。",
        ),
    ),
    6: (
        (
            "技术改造和设备更新",
            "清洁生产和节能减排",
            "绿色工厂认定",
            "智能工厂建设",
            "落后产能淘汰",
        ),
        (
            "对设备投资额{n}万元以上的技术改造项目按投资额的{m}%给予补助。",
            "对完成清洁生产审核的企业给予{m}万元奖励。",
            "支持企业开展5G+工业互联网应用和数字化转型。",
            "对年节能量{n}吨标准煤以上的节能技改项目给予奖励。",
        ),
    ),
    7: (
        ("涉企检查综合查一次", "涉企收费清单管理", "首问责任制和限时办结", "优化营商环境"),
        (
            "同一部门对同一企业的多项检查合并进行，每年不超过{m}次。",
            "涉企收费实行目录清单管理，清单之外一律不得收费。",
            "一般问题{m}个工作日内办结，逾期的由服务企业办公室督办。",
        ),
    ),
    8: (
        ("技能人才培训补贴", "高层次人才引进", "经营管理人才培训", "校企合作订单培养"),
        (
            "职工取得职业技能等级证书的，按每人{n}元给予培训补贴。",
            "企业引进的博士给予每月{n}元生活补贴。",
            "与职业院校开展订单式培养，企业接收实习生按月给予补助。",
        ),
    ),
    9: (
        ("安全生产标准化建设", "和谐劳动关系与稳岗", "安全生产专项整治"),
        (
            "对达到安全生产标准化二级的企业给予{m}万元奖补。",
            "对不裁员少裁员的企业返还失业保险费的{m}%。",
            "劳资纠纷由劳动保障部门在{m}个工作日内介入调解。",
            "组织专家为企业免费安全体检，排查有限空间作业和粉尘防爆隐患。",
        ),
    ),
}
INDUSTRIES = ("", "", "", "C", "C13", "C26", "C27", "C30", "C32", "C3216", "C33", "C36", "C38", "C19", "D44")  # fmt: skip
SIZES = ("", "", "", "中型;小型;微型", "小型;微型", "大型;中型")
HEADER = (
    "文号",
    "标题",
    "发文机关",
    "发文日期",
    "失效日期",
    "服务类别",
    "适用行业",
    "企业规模",
    "正文",
)


def generate(n: int, seed: int = 20251112) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        main = rng.randint(1, 9)
        categories = [main] + ([rng.randint(1, 9)] if rng.random() < 0.3 else [])
        topics, sentences = TOPICS[main]
        place = rng.choice(PLACES)
        issued = date(2019, 1, 1) + timedelta(days=rng.randrange(2900))
        valid_to = ""
        if rng.random() < 0.6:
            valid_to = (issued + timedelta(days=rng.choice((365, 730, 1095, 1826)))).isoformat()
        pool = list(sentences) + [s for c in categories[1:] for s in TOPICS[c][1]]
        body = "".join(
            rng.choice(pool).format(n=rng.randint(10, 5000), m=rng.randint(2, 60))
            for _ in range(rng.randint(10, 24))
        )
        if rng.random() < 0.002:  # a rare subject: a few policies in a thousand
            body += "对建设铬鞣废液回收设施的皮革企业按投资额的20%给予补助。"
        rows.append(
            (
                f"焦政〔{issued.year}〕{i + 1}号",
                f"{place}关于{rng.choice(topics)}的若干措施（第{i + 1}号）",
                place + rng.choice(ISSUERS),
                issued.isoformat(),
                valid_to,
                ";".join(map(str, categories)),
                rng.choice(INDUSTRIES),
                rng.choice(SIZES),
                body,
            )
        )
    return rows


def load(app: App, rows: Sequence[tuple[str, ...]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policies.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(rows)
        seconds, report = timed(lambda: import_policies(app, path))
    assert not report.errors, report.errors[:3]
    with app.engine.connect() as conn:
        if app.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE policies"
            )
        else:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return seconds


def bare_sql(dialect: str, terms: Sequence[str], indexed: bool) -> tuple[str, list[Any]]:
    """The search written by hand: the statement and its parameters."""
    mark = "?" if dialect == "sqlite" else "%s"
    position = "instr" if dialect == "sqlite" else "strpos"
    where: list[str] = []
    params: list[Any] = []
    scanned = list(terms)
    if indexed and dialect == "sqlite":
        long = [t for t in terms if len(t) >= 3]
        if long:
            where.append(
                f"p.id IN (SELECT rowid FROM policy_search WHERE policy_search MATCH {mark})"
            )
            params.append(" AND ".join(f'"{t}"' for t in long))
            scanned = [t for t in terms if len(t) < 3]
    for t in scanned:
        if dialect == "postgresql" and indexed:
            where.append(f"(p.search_title LIKE {mark} OR p.search_body LIKE {mark})")
            params += [f"%{t}%", f"%{t}%"]
        else:
            where.append(f"({position}(p.search_title, {mark}) > 0 OR {position}(p.search_body, {mark}) > 0)")  # fmt: skip
            params += [t, t]
    in_title = " + ".join(
        f"CASE WHEN {position}(p.search_title, {mark}) > 0 THEN 1 ELSE 0 END" for _ in terms
    )
    hits = " + ".join(
        f"(length(p.{c}) - length(replace(p.{c}, {mark}, ''))) / {len(t)}"
        for t in terms
        for c in ("search_title", "search_body")
    )
    select_params = list(terms) + [t for t in terms for _ in range(2)]
    sql = (
        f"SELECT p.id, p.title, p.issuer, p.doc_no, p.issued_on, p.valid_from, p.valid_to, "
        f"count(*) OVER () AS total, {in_title} AS in_title, {hits} AS hits "
        f"FROM policies p WHERE {' AND '.join(where)} "
        f"ORDER BY CASE WHEN p.valid_to < {mark} THEN 2 WHEN p.valid_from > {mark} THEN 1 ELSE 0 END, "
        f"in_title DESC, hits DESC, p.issued_on DESC, p.id DESC LIMIT {PAGE}"
    )
    today: Any = TODAY.isoformat() if dialect == "sqlite" else TODAY
    return sql, select_params + params + [today, today]


def run_bare(app: App, sql: str, params: list[Any]) -> int:
    conn = app.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        rows = cur.fetchall()
        cur.close()
    finally:
        conn.close()
    return int(rows[0][7]) if rows else 0


def measure(app: App, size: int, repeat: int, report: Report) -> None:
    dialect = app.engine.dialect.name
    indexed = search_index(app).kind is not None
    for query in QUERIES:
        terms = query_terms(query)
        sql, params = bare_sql(dialect, terms, indexed)
        scan_sql, scan_params = bare_sql(dialect, terms, indexed=False)
        # Bare SQL and the service take turns, so that a busy machine slows both alike.
        bare_seconds = service_seconds = float("inf")
        for _ in range(repeat):
            seconds, total = timed(lambda s=sql, p=params: run_bare(app, s, p))
            bare_seconds = min(bare_seconds, seconds)
            seconds, found = timed(lambda q=query: search_policies(app, q, on=TODAY, limit=PAGE))
            service_seconds = min(service_seconds, seconds)
            assert found.total == total, (query, found.total, total)
        scan_seconds, scan_total = best_of(
            max(1, repeat // 2), lambda s=scan_sql, p=scan_params: run_bare(app, s, p)
        )
        assert scan_total == total
        label = f"{size:,} 「{query}」"
        bare = f"{label} bare SQL ({total:,} found)"
        report.add(bare, bare_seconds)
        report.add(
            f"{label} search_policies", service_seconds, ratio_to=bare, ratio_name="bare SQL"
        )
        report.add(
            f"{label} bare SQL, no index", scan_seconds, ratio_to=bare, ratio_name="bare SQL"
        )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeat=5)
    p.add_argument(
        "--policies",
        default="10000,100000",
        help="catalogue sizes to measure, comma-separated",
    )
    args = p.parse_args(argv)
    header("bench_policy_search", args)
    sizes = [int(x) for x in args.policies.split(",")]
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        with backend(name, args.pg_url) as b:
            report = Report(
                f"policy search, {name} — seconds per search (page of {PAGE}); "
                "ratio to the hand-written SQL",
                "time",
                "bare SQL",
            )
            for size in sizes:
                with b.fresh() as app:
                    if size == sizes[0]:
                        report.note(server_version(app) + f"; index: {search_index(app).kind}")
                    say(f"{name}: generating and importing {size:,} policies")
                    seconds = load(app, generate(size))
                    report.note(
                        f"{size:,} policies imported with import_policies in {seconds:.1f} s "
                        f"({size / seconds:,.0f}/s, search index kept by the database)"
                    )
                    say(f"{name}: searching {size:,} policies")
                    measure(app, size, args.repeat, report)
            emit(report, collected, name)
    write_json(args.json, collected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
