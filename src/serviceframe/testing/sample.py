"""A small organisation and enterprise table for tests: small enough to read in one screen.

One city (焦作市, 410800) with two counties; the city and 解放区 (410802) have leading groups,
修武县 (410821) has none. Officials cover every role a test needs:

========================  ====================  ===========  ======================
id                        role                  jurisdiction unit
========================  ====================  ===========  ======================
``jz-mayor``              head (市长)           410800       ``jz-gov``
``jz-vm``                 deputy (1-9)          410800       ``jz-gov``
``jz-edsb-head``          department_head       410800       ``jz-edsb``
``jz-edsb-liaison``       liaison_officer       410800       ``jz-edsb``
``jz-fgw-leader``         department_leader     410800       ``jz-fgw``
``jf-mayor``              head (区长, 1-9)      410802       ``jf-gov``
``jf-edsb-head``          department_head       410802       ``jf-edsb``
========================  ====================  ===========  ======================
"""

import csv
from collections.abc import Sequence
from pathlib import Path

from serviceframe.domain.credit_code import check_character

CITY = "410800"
JIEFANG = "410802"  # 解放区: has a leading group
XIUWU = "410821"  # 修武县: no leading group of its own

SMALL_ORG = """\
name = "测试市服务工业企业长效机制"

jurisdictions = [
    { code = "410800", name = "焦作市", kind = "city" },
    { code = "410802", name = "解放区", kind = "district", parent = "410800" },
    { code = "410821", name = "修武县", kind = "county", parent = "410800" },
]

[[units]]
id = "jz-gov"
name = "焦作市人民政府"
jurisdiction = "410800"
kind = "government"
phone = "0391-3990000"

[[units]]
id = "jz-edsb"
name = "焦作市企业发展服务局"
jurisdiction = "410800"
phone = "0391-3996052"

[[units]]
id = "jz-fgw"
name = "焦作市发展和改革委员会"
jurisdiction = "410800"
phone = "0391-3921467"

[[units]]
id = "jf-gov"
name = "解放区人民政府"
jurisdiction = "410802"
kind = "government"

[[units]]
id = "jf-edsb"
name = "解放区企业服务局"
jurisdiction = "410802"

[[officials]]
id = "jz-mayor"
name = "于洪"
title = "市长"
role = "head"
jurisdiction = "410800"
unit = "jz-gov"
phone = "0391-3998475"

[[officials]]
id = "jz-vm"
name = "黄秀倩"
title = "副市长"
role = "deputy"
jurisdiction = "410800"
unit = "jz-gov"
phone = "0391-3993955"
portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 9], departments = ["jz-edsb", "jz-fgw"] }

[[officials]]
id = "jz-edsb-head"
name = "王建国"
title = "局长"
role = "department_head"
jurisdiction = "410800"
unit = "jz-edsb"
phone = "13903910001"

[[officials]]
id = "jz-edsb-liaison"
name = "李小红"
title = "企业联络员"
role = "liaison_officer"
jurisdiction = "410800"
unit = "jz-edsb"
phone = "13903910002"

[[officials]]
id = "jz-fgw-leader"
name = "赵刚"
title = "副主任"
role = "department_leader"
jurisdiction = "410800"
unit = "jz-fgw"
phone = "13903910003"

[[officials]]
id = "jf-mayor"
name = "孙丽"
title = "区长"
role = "head"
jurisdiction = "410802"
unit = "jf-gov"
portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 9] }

[[officials]]
id = "jf-edsb-head"
name = "周平"
title = "局长"
role = "department_head"
jurisdiction = "410802"
unit = "jf-edsb"
phone = "13903910004"

[[groups]]
jurisdiction = "410800"
name = "焦作市服务工业企业长效机制领导小组"
leader = "jz-mayor"
office = "jz-edsb"
deputies = ["jz-vm"]
members = ["jz-edsb", "jz-fgw"]

[[groups]]
jurisdiction = "410802"
name = "解放区服务工业企业长效机制领导小组"
leader = "jf-mayor"
office = "jf-edsb"
members = ["jf-edsb"]

[quotas]
city = 3
county = 2
"""

HEADER = (
    "统一社会信用代码",
    "企业名称",
    "所属县区",
    "行业代码",
    "重点级别",
    "联系人",
    "联系电话",
    "电子邮箱",
    "地址",
)


def credit_code(county: str, n: int) -> str:
    """A valid unified social credit code registered in ``county``: 91 + county + n + check."""
    first17 = f"91{county}{n:09d}"
    return first17 + check_character(first17)


def enterprise_row(
    county: str,
    n: int,
    name: str | None = None,
    industry: str = "C3011",
    level: str = "none",
) -> list[str]:
    """One row under :data:`HEADER` for enterprise number ``n`` of ``county``."""
    return [
        credit_code(county, n),
        name or f"焦作市测试{n}号机械有限公司",
        county,
        industry,
        level,
        f"联系人{n}",
        f"1390391{n:04d}",
        f"boss{n}@example.com",
        f"河南省焦作市建设路{n}号",
    ]


# A city key, a county key and an ordinary enterprise in 解放区, one county key in 修武县.
SMALL_ENTERPRISES = [
    enterprise_row(JIEFANG, 1, "焦作市恒泽制药有限公司", "C2710", "city"),
    enterprise_row(JIEFANG, 2, "焦作市宝祥电机有限公司", "C3812", "county"),
    enterprise_row(JIEFANG, 3, "焦作市嘉祥面制品有限公司", "C1431", "none"),
    enterprise_row(XIUWU, 4, "修武县云台山水泥有限公司", "C3011", "county"),
]


def write_org(path: Path, text: str = SMALL_ORG) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HEADER,
    encoding: str = "utf-8",
) -> Path:
    """Write ``rows`` as a clerk's CSV would look (``encoding="gbk"`` for Excel on Windows)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def with_channels(channels_toml: str, org: str = SMALL_ORG) -> str:
    """The small organisation with ``[[channels]]`` (and any other tables) appended, e.g.
    ``with_channels('[[channels]]\\nname = "files"\\nkind = "file"\\nsettings = {…}')``."""
    return f"{org.rstrip()}\n\n{channels_toml.strip()}\n"
