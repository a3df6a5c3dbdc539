"""A small policy catalogue for tests, written so that every ranking rule shows.

"Today" is :data:`TODAY` (2026-06-01). With the query 融资 the expected order is:

1. ``title`` — in force, 融资 in the title (once in the text);
2. ``body3`` — in force, 融资 three times in the text only;
3. ``body1`` — in force, 融资 once in the text, issued 2026;
4. ``body1_old`` — the same, issued 2025 (older: after it);
5. ``upcoming`` — in force from 2027, 融资 in the title;
6. ``expired`` — expired at the end of 2025, 融资 in the title.

The enterprises are those of :mod:`serviceframe.testing.sample` (industries C2710, C3812,
C1431, C3011).
"""

from datetime import date

from serviceframe.domain.policy import Policy
from serviceframe.testing.fixtures import make_app

TODAY = date(2026, 6, 1)
ISSUER = "焦作市测试局"

CATALOGUE: dict[str, Policy] = {
    "title": Policy(
        title="关于支持企业融资的通知",
        issuer="焦作市人民政府金融工作办公室",
        issued_on=date(2026, 3, 1),
        categories=(3,),
        body="各银行要加大对企业的信贷支持，推动融资成本下降。",
        doc_no="焦金〔2026〕1号",
    ),
    "body3": Policy(
        title="中小企业发展若干措施",
        issuer=ISSUER,
        issued_on=date(2026, 2, 1),
        categories=(3, 7),
        body="拓宽融资渠道；发展供应链融资；降低融资费用。",
        sizes=("small", "micro"),
    ),
    "body1": Policy(
        title="技术改造补助办法",
        issuer=ISSUER,
        issued_on=date(2026, 1, 10),
        categories=(6,),
        industries=("C26",),
        body="技术改造项目可以申请贷款贴息和融资支持，ＩＳＯ９００１认证企业优先。",
    ),
    "body1_old": Policy(
        title="设备更新奖励办法",
        issuer=ISSUER,
        issued_on=date(2025, 1, 10),
        categories=(6,),
        industries=("C2710",),
        body="设备更新项目优先给予融资对接，5G+工业互联网项目另行奖励。",
    ),
    "upcoming": Policy(
        title="融资租赁支持政策",
        issuer=ISSUER,
        issued_on=date(2026, 5, 1),
        valid_from=date(2027, 1, 1),
        categories=(3,),
        industries=("C38",),
        body="自2027年1月1日起，对融资租赁设备给予补助。",
    ),
    "expired": Policy(
        title="融资担保风险补偿办法",
        issuer=ISSUER,
        issued_on=date(2024, 1, 1),
        valid_to=date(2025, 12, 31),
        categories=(3,),
        body="对担保机构的代偿给予补偿，融资担保费率不高于1%。",
        doc_no="焦财〔2024〕3号",
    ),
    "power": Policy(
        title="降低企业用电成本的措施",
        issuer="焦作市发展和改革委员会",
        issued_on=date(2025, 9, 1),
        categories=(1,),
        industries=("C",),
        body="新建厂房报装实行限时办理，保障企业生产用电",
        source_url="https://www.jiaozuo.example/zwgk/power.html",
    ),
    "cement": Policy(
        title="水泥行业错峰生产安排",
        issuer="焦作市企业发展服务局",
        issued_on=date(2026, 4, 1),
        categories=(1, 6),
        industries=("C3011",),
        body="用电高峰期间水泥企业实行错峰生产，Clinker 产能置换按规定执行。",
    ),
    "talent": Policy(
        title="企业技能人才培训补贴办法",
        issuer="焦作市人力资源和社会保障局",
        issued_on=date(2026, 2, 20),
        categories=(8,),
        industries=("C27", "C38"),
        sizes=("large",),
        body="企业组织职工参加技能培训，按每人1500元给予补贴。",
    ),
}


def build_catalogue(url: str) -> None:
    """Builder: the small organisation and enterprises, and :data:`CATALOGUE`."""
    from serviceframe.services.policies import add_policy
    from serviceframe.testing.fixtures import _small

    _small(url)
    app = make_app(url)
    try:
        for policy in CATALOGUE.values():
            add_policy(app, policy)
    finally:
        app.close()


def ids_by_name(app) -> dict[str, int]:
    from serviceframe.services.policies import list_policies

    _, found = list_policies(app, on=TODAY)
    by_title = {s.title: s.id for s in found}
    return {name: by_title[p.title] for name, p in CATALOGUE.items()}
