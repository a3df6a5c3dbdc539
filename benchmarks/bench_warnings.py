"""Early warning (预测预警) over a large store against hand-written SQL giving the same figures.

    python benchmarks/bench_warnings.py [--backend sqlite|postgresql|both] [--enterprises 5000]
                                        [--months 24]

The store: the Jiaozuo example plus ``--enterprises`` generated enterprises in its ten
counties and twenty industries (GB/T 4754 divisions), each with ``--months`` months of the four
indicators (electricity, output, tax, employees; 5,000 × 24 × 4 = 480,000 figures), inserted
with set-based statements. About one enterprise in twenty loses power use month after month at
the end, one in ten has a bad year: the rules have something to find. The rules are the
example's: power use down more than 20 % year on year, power use down four months in a row,
output below its industry's median by more than 80 %.

Figures (seconds; ratio = seconds ÷ baseline seconds, lower is better):

(c) the baseline: the three rules written by hand in SQL (a self-join a year back; LAG over
    the last five months; ROW_NUMBER and COUNT windows for the median) on the driver's own
    connection, every row fetched;
(a) ``early_warning.evaluate``: the same figures through the library's queries (checked equal
    to the baseline's);
(b) ``raise_warnings``: evaluate, store each warning once, record its event, on a fresh copy
    (measured once: a second run finds them stored);
(d) ``import_indicators`` of a CSV of the newest twelve months (``--months`` rows per
    enterprise, four figures each), against a raw ``executemany`` of the same figures.
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    NOW,
    Backend,
    Report,
    best_of,
    header,
    measure_each_backend,
    parser,
    say,
    server_version,
    timed,
)
from sqlalchemy import delete, insert

from serviceframe.app import App
from serviceframe.domain.indicators import RuleKind, WarningRule, month_text
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services.early_warning import evaluate, raise_warnings
from serviceframe.services.indicators import import_indicators
from serviceframe.store import tables as t
from serviceframe.testing.sample import credit_code

COUNTIES = ["410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825",
            "410882", "410883"]  # fmt: skip
INDUSTRIES = [f"C{d}{n}" for d in (13, 14, 17, 26, 27, 30, 31, 33, 34, 35) for n in ("11", "21")]
LAST = NOW.astimezone(SHANGHAI).year * 12 + NOW.astimezone(SHANGHAI).month - 2  # last month
RULES = [
    WarningRule("power_yoy", "electricity", RuleKind.YOY_DROP, percent=20),
    WarningRule("power_decline", "electricity", RuleKind.DECLINE, months=4),
    WarningRule("output_band", "output", RuleKind.BELOW_INDUSTRY, percent=80, min_peers=5),
]

# The same rules by hand: what a DBA would write for "this month's warnings".
BASELINE = {
    "power_yoy": """
        SELECT cur.enterprise_code, cur.value, prev.value
        FROM indicators cur JOIN indicators prev
          ON prev.enterprise_code = cur.enterprise_code AND prev.indicator = cur.indicator
         AND prev.month_no = cur.month_no - 12
        WHERE cur.indicator = 'electricity' AND cur.month_no = :m AND prev.value > 0
          AND cur.value * 100 < prev.value * 80""",
    "power_decline": """
        SELECT enterprise_code, value, v4 FROM (
          SELECT enterprise_code, month_no, value,
                 LAG(value, 1) OVER w AS v1, LAG(value, 2) OVER w AS v2,
                 LAG(value, 3) OVER w AS v3, LAG(value, 4) OVER w AS v4,
                 LAG(month_no, 4) OVER w AS first_month
          FROM indicators
          WHERE indicator = 'electricity' AND month_no BETWEEN :m - 4 AND :m
          WINDOW w AS (PARTITION BY enterprise_code ORDER BY month_no)) r
        WHERE month_no = :m AND first_month = :m - 4
          AND value < v1 AND v1 < v2 AND v2 < v3 AND v3 < v4""",
    "output_band": """
        WITH ranked AS (
          SELECT i.enterprise_code, i.value, substr(e.industry, 1, 3) AS industry,
                 ROW_NUMBER() OVER (PARTITION BY substr(e.industry, 1, 3) ORDER BY i.value) AS n,
                 COUNT(*) OVER (PARTITION BY substr(e.industry, 1, 3)) AS peers
          FROM indicators i JOIN enterprises e ON e.credit_code = i.enterprise_code
          WHERE i.indicator = 'output' AND i.month_no = :m),
        middle AS (
          SELECT industry, AVG(value) AS median FROM ranked
          WHERE n IN ((peers + 1) / 2, (peers + 2) / 2) AND peers >= 5 GROUP BY industry)
        SELECT r.enterprise_code, r.value, m.median
        FROM ranked r JOIN middle m ON m.industry = r.industry
        WHERE m.median > 0 AND r.value * 100 < m.median * 20""",
}


def fill(app: App, enterprises: int, months: int) -> list[dict[str, Any]]:
    """Add the generated enterprises and their indicators; returns the figures."""
    rng = random.Random(13)
    codes = [credit_code(COUNTIES[n % 10], 500_000 + n) for n in range(enterprises)]
    companies = [
        {
            "credit_code": code,
            "name": f"测试{n}号工业有限公司",
            "jurisdiction_code": COUNTIES[n % 10],
            "industry": INDUSTRIES[n % len(INDUSTRIES)],
            "key_level": "none",
            "contacts": [],
            "address": "",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n, code in enumerate(codes)
    ]
    figures = []
    for n, code in enumerate(codes):
        size = rng.lognormvariate(0, 0.8)
        falling, bad_year = n % 20 == 0, n % 10 == 3
        for k in range(months):
            month_no = LAST - months + 1 + k
            level = size * (0.7 if bad_year and k >= months - 12 else 1.0)
            power = 100 * level * rng.uniform(0.95, 1.05)
            if falling and k >= months - 5:
                power *= 0.85 ** (k - (months - 6))
            output = 1500 * level * rng.uniform(0.9, 1.1)
            for indicator, value in (
                ("electricity", power),
                ("output", output),
                ("tax", output * 0.06),
                ("employees", float(round(200 * size))),
            ):
                figures.append(
                    {
                        "enterprise_code": code,
                        "indicator": indicator,
                        "month_no": month_no,
                        "value": round(value, 1),
                        "updated_at": NOW,
                    }
                )
    with app.uow() as uow:
        for start in range(0, len(companies), 2000):
            uow.connection.execute(insert(t.enterprises), companies[start : start + 2000])
        for start in range(0, len(figures), 5000):
            uow.connection.execute(insert(t.indicators), figures[start : start + 5000])
        uow.commit()
    return figures


def baseline(app: App) -> set[tuple[str, str, float, float]]:
    """The hand-written queries on the bare driver connection (``:m`` bound by hand)."""
    raw = app.engine.raw_connection()
    try:
        cur = raw.cursor()
        found = set()
        for rule, sql in BASELINE.items():
            if app.engine.dialect.name == "postgresql":
                cur.execute(sql.replace(":m", "%(m)s"), {"m": LAST})
            else:
                cur.execute(sql, {"m": LAST})
            found |= {(r[0], rule, round(r[1], 4), round(r[2], 4)) for r in cur.fetchall()}
        cur.close()
        return found
    finally:
        raw.close()


def library(app: App) -> set[tuple[str, str, float, float]]:
    with app.uow() as uow:
        return {
            (f.enterprise, f.rule, round(f.value, 4), round(f.reference or 0, 4))
            for f in evaluate(uow.connection, RULES, LAST)
        }


def write_import_file(path: Path, figures: Sequence[dict[str, Any]]) -> int:
    rows: dict[tuple[str, int], dict[str, str]] = {}
    names = {
        "electricity": "用电量",
        "output": "工业总产值",
        "tax": "税收",
        "employees": "从业人员",
    }
    for f in figures:
        if f["month_no"] > LAST - 12:
            row = rows.setdefault(
                (f["enterprise_code"], f["month_no"]),
                {"统一社会信用代码": f["enterprise_code"], "月份": month_text(f["month_no"])},
            )
            row[names[f["indicator"]]] = str(f["value"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["统一社会信用代码", "月份", *names.values()])
        writer.writeheader()
        writer.writerows(rows.values())
    return len(rows)


def measure(b: Backend, args: Any) -> Report:
    report = Report(
        f"early warning, {args.enterprises:,} enterprises × {args.months} months, {b.name}",
        "time",
        "hand-written SQL",
    )
    with b.fresh() as app:
        report.note(server_version(app))
        say(f"{b.name}: filling {args.enterprises:,} × {args.months} months")
        seconds, figures = timed(lambda: fill(app, args.enterprises, args.months))
        report.note(f"{len(figures):,} figures stored in {seconds:.1f} s (setup, not measured)")
        rounds = []
        for _ in range(args.repeat):
            base_s, expected = timed(lambda: baseline(app))
            lib_s, found = timed(lambda: library(app))
            assert found == expected, (len(found), len(expected), sorted(found ^ expected)[:5])
            rounds.append((base_s, lib_s))
        report.add("(c) three rules by hand", min(r[0] for r in rounds), len(expected),
                   "warnings", baseline=True)  # fmt: skip
        report.add("(a) evaluate", min(r[1] for r in rounds), len(found), "warnings")
        report.note(
            "median of per-round ratios (a)/(c): "
            f"{statistics.median(r[1] / r[0] for r in rounds):.2f}× over {len(rounds)} rounds"
        )
        seconds, run = timed(lambda: raise_warnings(app, month_text(LAST)))
        report.add("(b) raise_warnings (store + events)", seconds, len(run.raised), "warnings")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "indicators.csv"
            rows = write_import_file(path, figures)
            newest = [f for f in figures if f["month_no"] > LAST - 12]

            def clear() -> None:
                with app.uow() as uow:
                    uow.connection.execute(delete(t.indicators))
                    uow.commit()

            def raw_insert() -> None:
                with app.uow() as uow:
                    for start in range(0, len(newest), 5000):
                        uow.connection.execute(insert(t.indicators), newest[start : start + 5000])
                    uow.commit()

            raw_s, _ = best_of(1, raw_insert, clear)
            imp_s, imported = best_of(1, lambda: import_indicators(app, path), clear)
            assert imported.inserted == len(newest) and not imported.errors
            raw = "raw insert of the file's figures"
            report.add(raw, raw_s, len(newest), "figures", ratio_to=raw)
            report.add(
                f"(d) import_indicators ({rows:,} rows)",
                imp_s,
                imported.inserted,
                "figures",
                ratio_to=raw,
                ratio_name="raw insert",
            )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--enterprises", type=int, default=5000)
    p.add_argument("--months", type=int, default=24)
    p.set_defaults(repeat=5)
    args = p.parse_args(argv)
    header("bench_warnings", args)
    measure_each_backend(args, measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
