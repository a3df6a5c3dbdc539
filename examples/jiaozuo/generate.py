"""Generate the Jiaozuo example: organisation.toml, enterprises.csv, assignments.csv and
indicators.csv.

The organisation follows the seed document (焦作市人民政府, 18 September 2009): a city leading group
with its office in the enterprise development service bureau and 21 member departments, and the
same mechanism one level down in each of the ten counties, county-level cities and districts.
Every person, phone number, e-mail address and enterprise is fictional.

The output is deterministic (fixed random seed), so running this again reproduces the committed
files byte for byte::

    PYTHONPATH=src python examples/jiaozuo/generate.py [OUTPUT_DIR]
"""

import csv
import json
import random
import re
import sys
from pathlib import Path

from serviceframe.domain.credit_code import check_character

HERE = Path(__file__).resolve().parent
SEED = 20090918  # the date of the seed document
CITY = "410800"
GOV_DOMAIN = "jiaozuo.gov.example"


def words(text: str) -> list[str]:
    """The whitespace-separated words of a text: keeps long lists of names compact."""
    return text.split()


# ---------------------------------------------------------------------------------------------
# Places (GB/T 2260)
# ---------------------------------------------------------------------------------------------

# code, name, kind, id prefix, phone prefix (0391-…), enterprise name prefix
COUNTIES = [
    ("410802", "解放区", "district", "jf", "392", "焦作市"),
    ("410803", "中站区", "district", "zz", "395", "焦作市"),
    ("410804", "马村区", "district", "mc", "393", "焦作市"),
    ("410811", "山阳区", "district", "sy", "396", "焦作市"),
    ("410821", "修武县", "county", "xw", "712", "修武县"),
    ("410822", "博爱县", "county", "ba", "862", "博爱县"),
    ("410823", "武陟县", "county", "wz", "722", "武陟县"),
    ("410825", "温县", "county", "wx", "612", "温县"),
    ("410882", "沁阳市", "county_city", "qy", "562", "沁阳市"),
    ("410883", "孟州市", "county_city", "mz", "812", "孟州市"),
]

# What the head of a jurisdiction is called: 区长 / 县长 / 市长.
HEAD_WORD = {"district": "区", "county": "县", "county_city": "市"}

# ---------------------------------------------------------------------------------------------
# City units: the government and the 21 member departments the seed names, in its order.
# ---------------------------------------------------------------------------------------------

# id, name, head title, leader title (department_leader) or None
CITY_DEPARTMENTS = [
    ("jz-edsb", "焦作市企业发展服务局", "局长", "副局长"),
    ("jz-fgw", "焦作市发展和改革委员会", "主任", "副主任"),
    ("jz-czj", "焦作市财政局", "局长", "副局长"),
    ("jz-gzb", "焦作市人民政府国有资产监督管理委员会办公室", "主任", None),
    ("jz-jcj", "焦作市监察局", "局长", None),
    ("jz-swj", "焦作市商务局", "局长", None),
    ("jz-jw", "焦作市建设委员会", "主任", None),
    ("jz-jrb", "焦作市人民政府金融工作办公室", "主任", "副主任"),
    ("jz-gsj-tax", "焦作市国家税务局", "局长", None),
    ("jz-dsj-tax", "焦作市地方税务局", "局长", None),
    ("jz-ghj", "焦作市规划局", "局长", None),
    ("jz-gtj", "焦作市国土资源局", "局长", "副局长"),
    ("jz-hbj", "焦作市环境保护局", "局长", "副局长"),
    ("jz-gsj", "焦作市工商行政管理局", "局长", None),
    ("jz-gaj", "焦作市公安局", "局长", None),
    ("jz-ajj", "焦作市安全生产监督管理局", "局长", "副局长"),
    ("jz-zjj", "焦作市质量技术监督局", "局长", "副局长"),
    ("jz-rsj", "焦作市人事局", "局长", None),
    ("jz-ldj", "焦作市劳动和社会保障局", "局长", None),
    ("jz-jtj", "焦作市交通运输局", "局长", None),
    ("jz-fgj", "焦作市房产管理局", "局长", None),
]

# The city leaders: id, title, role, portfolio categories, portfolio departments.
# Together the vice mayors are in charge of all nine service categories.
CITY_LEADERS = [
    ("jz-mayor", "市长", "head", [], []),
    ("jz-evm", "常务副市长", "executive_deputy", [], ["jz-gzb", "jz-czj"]),
    (
        "jz-vm-industry",
        "副市长",
        "deputy",
        [1, 2, 4, 6],
        ["jz-edsb", "jz-fgw", "jz-zjj", "jz-hbj", "jz-swj"],
    ),
    (
        "jz-vm-finance",
        "副市长",
        "deputy",
        [3],
        ["jz-jrb", "jz-czj", "jz-gsj-tax", "jz-dsj-tax", "jz-gsj"],
    ),
    (
        "jz-vm-urban",
        "副市长",
        "deputy",
        [5],
        ["jz-jw", "jz-ghj", "jz-gtj", "jz-fgj", "jz-jtj"],
    ),
    (
        "jz-vm-social",
        "副市长",
        "deputy",
        [7, 8, 9],
        ["jz-ajj", "jz-gaj", "jz-rsj", "jz-ldj", "jz-jcj"],
    ),
]

# How many city key enterprises each city leader is contact for (分包); the rest go to
# department heads and leaders.
CITY_LEADER_LOAD = {
    "jz-mayor": 5,
    "jz-evm": 7,
    "jz-vm-industry": 10,
    "jz-vm-finance": 8,
    "jz-vm-urban": 7,
    "jz-vm-social": 8,
}
CITY_KEY_WITHOUT_CONTACT = 8  # coverage gaps, left on purpose so that reports show them

# County departments: id suffix, name suffix, head title.
COUNTY_DEPARTMENTS = [
    ("edsb", "企业服务局", "局长"),  # the office of the county leading group
    ("fgw", "发展和改革委员会", "主任"),
    ("czj", "财政局", "局长"),
    ("hbj", "环境保护局", "局长"),
    ("ajj", "安全生产监督管理局", "局长"),
    ("ldj", "劳动和社会保障局", "局长"),
]

# ---------------------------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------------------------

# Per county: (city key, county-only key, not key). City key enterprises count as county key too,
# so each county has about 20 key enterprises; the city total is exactly 100.
ENTERPRISE_COUNTS = {
    "410802": (6, 13, 4),
    "410803": (13, 8, 4),
    "410804": (9, 11, 4),
    "410811": (8, 11, 4),
    "410821": (9, 11, 4),
    "410822": (11, 9, 4),
    "410823": (11, 9, 4),
    "410825": (9, 11, 4),
    "410882": (13, 8, 4),
    "410883": (11, 9, 4),
}

# Industry profiles: GB/T 4754-2017 code, words used in names, city departments that liaise.
INDUSTRIES = {
    "aluminium": ("C3216", ["铝业", "铝电"], ["jz-fgw", "jz-hbj", "jz-edsb"]),
    "aluminium_roll": ("C3252", ["铝材", "铝箔", "铝合金"], ["jz-edsb", "jz-zjj"]),
    "tio2": ("C2643", ["钛业", "钛白粉"], ["jz-hbj", "jz-ajj", "jz-edsb"]),
    "chem_inorganic": ("C2613", ["化工", "氟化工", "精细化工"], ["jz-ajj", "jz-hbj"]),
    "chem_organic": ("C2614", ["化工", "有机化工"], ["jz-ajj", "jz-hbj", "jz-fgw"]),
    "coal": ("B0610", ["煤业", "煤矿"], ["jz-ajj", "jz-gtj", "jz-edsb"]),
    "coke": ("C2521", ["焦化", "煤化工"], ["jz-hbj", "jz-ajj", "jz-fgw"]),
    "carbon": ("C3091", ["碳素", "石墨"], ["jz-edsb", "jz-hbj"]),
    "power": ("D4412", ["热电", "发电"], ["jz-fgw", "jz-hbj"]),
    "cement": ("C3011", ["水泥"], ["jz-hbj", "jz-gtj", "jz-zjj"]),
    "brick": ("C3031", ["新型建材", "建材"], ["jz-jw", "jz-gtj"]),
    "refractory": ("C3089", ["耐火材料", "耐材"], ["jz-edsb", "jz-zjj"]),
    "tyre": ("C2911", ["轮胎", "橡胶"], ["jz-edsb", "jz-zjj", "jz-swj"]),
    "brake": ("C3670", ["制动器材", "摩擦材料"], ["jz-edsb", "jz-zjj"]),
    "auto_parts": ("C3670", ["汽车零部件", "汽车配件"], ["jz-edsb", "jz-zjj", "jz-swj"]),
    "engine_parts": ("C3412", ["缸套", "内燃机配件"], ["jz-edsb", "jz-swj"]),
    "mining_machinery": ("C3511", ["矿山机械", "重工"], ["jz-edsb", "jz-zjj"]),
    "conveyor": ("C3434", ["输送机械", "起重运输机械"], ["jz-edsb", "jz-zjj"]),
    "motor": ("C3812", ["电机", "防爆电机"], ["jz-edsb", "jz-zjj"]),
    "cable": ("C3831", ["电缆", "线缆"], ["jz-zjj", "jz-gsj"]),
    "pump": ("C3441", ["泵业"], ["jz-edsb", "jz-zjj"]),
    "valve": ("C3443", ["阀门"], ["jz-edsb", "jz-zjj"]),
    "casting": ("C3391", ["铸造", "铸业"], ["jz-hbj", "jz-edsb"]),
    "metal_structure": ("C3311", ["钢结构"], ["jz-jw", "jz-zjj"]),
    "paper": ("C2221", ["纸业", "造纸"], ["jz-hbj", "jz-fgw", "jz-edsb"]),
    "packaging": ("C2231", ["包装", "纸品"], ["jz-gsj", "jz-zjj"]),
    "pharma_chem": ("C2710", ["药业", "制药"], ["jz-zjj", "jz-fgw", "jz-edsb"]),
    "pharma_tcm": ("C2740", ["药业", "中药"], ["jz-zjj", "jz-edsb"]),
    "herbal_pieces": ("C2730", ["怀药", "中药饮片"], ["jz-zjj", "jz-swj"]),
    "yam": ("C1391", ["山药制品", "怀山药"], ["jz-swj", "jz-zjj"]),
    "flour": ("C1312", ["面业", "粮油"], ["jz-zjj", "jz-swj"]),
    "noodles": ("C1431", ["食品", "面制品"], ["jz-zjj", "jz-gsj"]),
    "meat": ("C1353", ["肉制品", "食品"], ["jz-zjj", "jz-swj"]),
    "feed": ("C1329", ["饲料"], ["jz-zjj", "jz-gsj"]),
    "liquor": ("C1512", ["酒业"], ["jz-zjj", "jz-gsj-tax"]),
    "textile": ("C1711", ["纺织", "棉纺"], ["jz-ldj", "jz-swj"]),
    "leather": ("C1910", ["皮革", "皮业"], ["jz-hbj", "jz-swj"]),
    "fur": ("C1931", ["毛皮制品", "裘革"], ["jz-swj", "jz-hbj"]),
}

# Which industries each county is known for (the first ones most often).
COUNTY_INDUSTRIES = {
    "410802": words("meat noodles pharma_chem cable packaging motor auto_parts"),
    "410803": words("aluminium aluminium_roll tio2 chem_inorganic carbon power tyre cement"),
    "410804": words("coal coke chem_organic mining_machinery refractory conveyor"),
    "410811": words(
        "mining_machinery auto_parts motor flour textile cable metal_structure chem_inorganic"
    ),
    "410821": words("cement aluminium brick refractory flour chem_inorganic casting"),
    "410822": words("brake auto_parts chem_organic meat tyre casting pharma_tcm"),
    "410823": words("paper pump flour pharma_tcm auto_parts textile feed valve"),
    "410825": words("yam herbal_pieces flour casting feed liquor pharma_tcm"),
    "410882": words(
        "paper chem_organic aluminium_roll casting power chem_inorganic mining_machinery"
    ),
    "410883": words("leather fur engine_parts auto_parts pharma_chem meat valve"),
}

# Fictional brand names are two characters, one from each list.
BRAND_FIRST = "金鑫恒宏华瑞盛永嘉润兴丰远通天新宝东德佳正豫怀富昌隆鼎亿康源"
BRAND_SECOND = "源达泰丰盛昌通宇利兴隆海科诚信泽瑞辉茂祥和安凯力"

ROADS = {
    "410802": ["民主南路", "建设东路", "解放中路", "焦东路", "太行路"],
    "410803": ["焦克路", "冯封路", "王封路", "月季大道", "工业路"],
    "410804": ["待王大道", "焦辉路", "九里山路", "工业路"],
    "410811": ["人民路", "丰收路", "塔南路", "山阳路", "工业路"],
    "410821": ["产业集聚区经三路", "云台大道", "东环路", "工业路"],
    "410822": ["产业集聚区纬二路", "鸿昌路", "清化大道", "工业路"],
    "410823": ["产业集聚区詹店大道", "木城路", "龙泉路", "工业路"],
    "410825": ["产业集聚区黄河路", "子夏大街", "太极大道", "工业路"],
    "410882": ["产业集聚区沁北路", "怀府路", "永威大道", "工业路"],
    "410883": ["产业集聚区韩愈大街", "河阳大道", "孟州路", "工业路"],
}

# ---------------------------------------------------------------------------------------------
# Fictional people
# ---------------------------------------------------------------------------------------------

# Character + pinyin, for fictional names and their e-mail addresses.
SURNAMES = [
    (w[0], w[1:])
    for w in words("""
王wang 李li 张zhang 刘liu 陈chen 杨yang 赵zhao 黄huang 周zhou 吴wu 徐xu 孙sun
马ma 朱zhu 胡hu 郭guo 何he 高gao 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang
许xu 韩han 冯feng 曹cao 彭peng 田tian 董dong 袁yuan 于yu 蒋jiang 杜du 程cheng
苏su 魏wei 丁ding 任ren 姚yao 崔cui 范fan 贾jia 孟meng 秦qin 原yuan 牛niu
薛xue 申shen 闫yan 史shi 侯hou 段duan 常chang 武wu 乔qiao 贺he 毋wu
""")
]
GIVEN = [
    (w[0], w[1:])
    for w in words("""
建jian 国guo 伟wei 明ming 华hua 军jun 志zhi 强qiang 平ping 海hai 红hong 立li
新xin 文wen 斌bin 涛tao 磊lei 静jing 丽li 敏min 勇yong 峰feng 刚gang 杰jie
鹏peng 辉hui 玲ling 燕yan 宏hong 卫wei 东dong 俊jun 超chao 晓xiao 春chun 振zhen
广guang 庆qing 德de 永yong 学xue 保bao 长chang 富fu 云yun 芳fang 霞xia 瑞rui
倩qian 宁ning 继ji 松song 洪hong 秀xiu
""")
]
PINYIN = {
    w[0]: w[1:]
    for w in words("""
金jin 鑫xin 恒heng 宏hong 华hua 瑞rui 盛sheng 永yong 嘉jia 润run 兴xing 丰feng
远yuan 通tong 天tian 新xin 宝bao 东dong 德de 佳jia 正zheng 豫yu 怀huai 富fu
昌chang 隆long 鼎ding 亿yi 康kang 源yuan 达da 泰tai 宇yu 利li 海hai 科ke
诚cheng 信xin 泽ze 辉hui 茂mao 祥xiang 和he 安an 凯kai 力li
""")
}


class Names:
    """Unique fictional Chinese names with a pinyin spelling for e-mail addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> tuple[str, str]:
        while True:
            surname, s_py = self.rng.choice(SURNAMES)
            given = self.rng.sample(GIVEN, self.rng.choice((1, 2, 2, 2)))
            name = surname + "".join(ch for ch, _ in given)
            if name not in self.used:
                self.used.add(name)
                return name, s_py + "".join(py for _, py in given)


class Numbers:
    """Unique fictional phone numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make) -> str:
        while True:
            number = make()
            if number not in self.used:
                self.used.add(number)
                return number

    def landline(self, prefix: str) -> str:
        return self._unique(lambda: f"0391-{prefix}{self.rng.randrange(10**4):04d}")

    def mobile(self) -> str:
        head = self.rng.choice(("135", "137", "138", "139", "150", "151", "158", "186", "187"))
        return self._unique(lambda: f"{head}{self.rng.randrange(10**8):08d}")


class Emails:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, local: str, domain: str) -> str:
        address, n = f"{local}@{domain}", 1
        while address in self.used:
            n += 1
            address = f"{local}{n}@{domain}"
        self.used.add(address)
        return address


# ---------------------------------------------------------------------------------------------
# The organisation
# ---------------------------------------------------------------------------------------------


def official(
    id_, name, title, role, jurisdiction, unit, phone, email, categories=(), departments=()
) -> dict:
    record = {
        "id": id_,
        "name": name,
        "title": title,
        "role": role,
        "jurisdiction": jurisdiction,
        "unit": unit,
        "phone": phone,
        "email": email,
    }
    if categories or departments:
        record["portfolio"] = {"categories": list(categories), "departments": list(departments)}
    return record


def build_city(names: Names, numbers: Numbers, emails: Emails) -> tuple[list, list, dict]:
    units = [
        {
            "id": "jz-gov",
            "name": "焦作市人民政府",
            "jurisdiction": CITY,
            "kind": "government",
            "phone": numbers.landline("399"),
        }
    ]
    for unit_id, name, _head, _leader in CITY_DEPARTMENTS:
        units.append(
            {
                "id": unit_id,
                "name": name,
                "jurisdiction": CITY,
                "kind": "department",
                "phone": numbers.landline(random_prefix(numbers.rng)),
            }
        )

    officials = []
    for id_, title, role, categories, departments in CITY_LEADERS:
        name, py = names.person()
        officials.append(
            official(
                id_,
                name,
                title,
                role,
                CITY,
                "jz-gov",
                numbers.landline("399"),
                emails.make(py, GOV_DOMAIN),
                categories,
                departments,
            )
        )
    for unit_id, _name, head_title, leader_title in CITY_DEPARTMENTS:
        name, py = names.person()
        officials.append(
            official(
                f"{unit_id}-head",
                name,
                head_title,
                "department_head",
                CITY,
                unit_id,
                numbers.landline(random_prefix(numbers.rng)),
                emails.make(py, GOV_DOMAIN),
            )
        )
        if leader_title:
            name, py = names.person()
            officials.append(
                official(
                    f"{unit_id}-leader",
                    name,
                    leader_title,
                    "department_leader",
                    CITY,
                    unit_id,
                    numbers.mobile(),
                    emails.make(py, GOV_DOMAIN),
                )
            )
    for n, title in enumerate(("服务企业办公室科长", "服务企业办公室科员"), start=1):
        name, py = names.person()
        officials.append(
            official(
                f"jz-office-{n}",
                name,
                title,
                "office_staff",
                CITY,
                "jz-edsb",
                numbers.landline("398"),
                emails.make(py, GOV_DOMAIN),
            )
        )

    group = {
        "jurisdiction": CITY,
        "name": "焦作市服务工业企业长效机制领导小组",
        "leader": "jz-mayor",
        "office": "jz-edsb",
        "deputies": ["jz-evm", "jz-vm-industry"],
        "members": [unit_id for unit_id, *_ in CITY_DEPARTMENTS],
    }
    return units, officials, group


def random_prefix(rng: random.Random) -> str:
    return rng.choice(("391", "392", "393", "395", "396", "398", "399", "291", "292", "293"))


def build_county(
    county: tuple, names: Names, numbers: Numbers, emails: Emails
) -> tuple[list, list, dict]:
    code, place, kind, tag, phone_prefix, _ = county
    word = HEAD_WORD[kind]
    units = [
        {
            "id": f"{tag}-gov",
            "name": f"{place}人民政府",
            "jurisdiction": code,
            "kind": "government",
            "phone": numbers.landline(phone_prefix),
        }
    ]
    for suffix, name, _title in COUNTY_DEPARTMENTS:
        units.append(
            {
                "id": f"{tag}-{suffix}",
                "name": f"{place}{name}",
                "jurisdiction": code,
                "kind": "department",
                "phone": numbers.landline(phone_prefix),
            }
        )
    leaders = [
        (f"{tag}-mayor", f"{word}长", "head", [], []),
        (f"{tag}-evm", f"常务副{word}长", "executive_deputy", [], [f"{tag}-czj"]),
        (
            f"{tag}-vm-industry",
            f"副{word}长",
            "deputy",
            [1, 2, 4, 5, 6],
            [f"{tag}-edsb", f"{tag}-fgw", f"{tag}-hbj"],
        ),
        (
            f"{tag}-vm-finance",
            f"副{word}长",
            "deputy",
            [3, 7, 8, 9],
            [f"{tag}-czj", f"{tag}-ajj", f"{tag}-ldj"],
        ),
    ]
    officials = []
    for id_, title, role, categories, departments in leaders:
        name, py = names.person()
        officials.append(
            official(
                id_,
                name,
                title,
                role,
                code,
                f"{tag}-gov",
                numbers.landline(phone_prefix),
                emails.make(py, GOV_DOMAIN),
                categories,
                departments,
            )
        )
    for suffix, _name, title in COUNTY_DEPARTMENTS:
        name, py = names.person()
        officials.append(
            official(
                f"{tag}-{suffix}-head",
                name,
                title,
                "department_head",
                code,
                f"{tag}-{suffix}",
                numbers.landline(phone_prefix),
                emails.make(py, GOV_DOMAIN),
            )
        )
    group = {
        "jurisdiction": code,
        "name": f"{place}服务工业企业长效机制领导小组",
        "leader": f"{tag}-mayor",
        "office": f"{tag}-edsb",
        "deputies": [f"{tag}-evm", f"{tag}-vm-industry"],
        "members": [f"{tag}-{suffix}" for suffix, *_ in COUNTY_DEPARTMENTS],
    }
    return units, officials, group


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: object) -> str:
    """TOML text of a value; JSON string escapes are valid in TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_table(header: str, record: dict) -> str:
    lines = [header] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in record.items()]
    return "\n".join(lines) + "\n"


def organisation_toml(city: tuple, counties: list[tuple]) -> str:
    city_units, city_officials, city_group = city
    jurisdictions = [{"code": CITY, "name": "焦作市", "kind": "city"}] + [
        {"code": code, "name": place, "kind": kind, "parent": CITY}
        for code, place, kind, *_ in COUNTIES
    ]
    parts = [
        "# 焦作市服务工业企业长效机制: the organisation of the seed document (2009).\n"
        "# Generated by generate.py; all people, phones and e-mail addresses are fictional.\n\n"
        'name = "焦作市服务工业企业长效机制"\n',
        "# 辖区 (GB/T 2260)\njurisdictions = [\n"
        + "".join(f"    {toml_value(j)},\n" for j in jurisdictions)
        + "]\n",
        "# ===== 单位: 市政府及领导小组成员单位 =====\n",
        *(toml_table("[[units]]", u) for u in city_units),
    ]
    for (code, place, *_), (units, _officials, _group) in zip(COUNTIES, counties, strict=True):
        parts.append(f"# ----- {place} ({code}) -----\n")
        parts.extend(toml_table("[[units]]", u) for u in units)
    parts.append("# ===== 官员: 市领导、部门负责人、办公室工作人员 =====\n")
    parts.extend(toml_table("[[officials]]", o) for o in city_officials)
    for (code, place, *_), (_units, officials, _group) in zip(COUNTIES, counties, strict=True):
        parts.append(f"# ----- {place} ({code}) -----\n")
        parts.extend(toml_table("[[officials]]", o) for o in officials)
    parts.append("# ===== 领导小组及其办公室 =====\n")
    parts.append(toml_table("[[groups]]", city_group))
    parts.extend(toml_table("[[groups]]", group) for _units, _officials, group in counties)
    parts.append(toml_table("# 重点服务企业目标数\n[quotas]", {"city": 100, "county": 20}))
    deadlines = {
        "acknowledge": 1,
        "feedback": 3,
        "resolve_general": 7,
        "resolve_major": 20,
        "resolve_policy": 20,
        "redo": 5,
        "strict_calendar": False,
    }
    parts.append(toml_table("# 限时办理 (工作日)\n[deadlines]", deadlines))
    parts.append(
        "# 本地分类关键词: [taxonomy.N] is service category N, keyword = weight (0 removes one)\n"
    )
    parts.append(toml_table("[taxonomy.1]", {"拉闸限电": 3.0, "电煤": 2.0}))
    parts.append(toml_table("[taxonomy.5]", {"焦作新区": 1.0, "产业集聚区": 1.5}))
    parts.append(WARNING_RULES)
    parts.append(project_template_toml(CITY, PROJECT_STEPS))
    return "\n".join(parts)


# 预测预警: the rules over the monthly indicators (docs/warnings.md).
WARNING_RULES = """# 预测预警规则 (docs/warnings.md): 指标 electricity 用电量, output 工业总产值, tax 税收, employees 从业人员
[[warnings]]
id = "power_yoy"
indicator = "electricity"
kind = "yoy_drop"
percent = 20.0

[[warnings]]
id = "power_decline"
indicator = "electricity"
kind = "decline"
months = 4
issue = true

[[warnings]]
id = "output_below_industry"
indicator = "output"
kind = "below_industry"
percent = 80.0
industry_digits = 2
min_peers = 5
"""


# 重大项目审批环节: the city's template (a county without one of its own uses it).
PROJECT_STEPS = [
    ("立项备案", "jz-fgw", 5),
    ("用地预审", "jz-gtj", 20),
    ("规划许可", "jz-ghj", 20),
    ("环评批复", "jz-hbj", 30),
    ("施工许可", "jz-jw", 15),
    ("竣工验收", "jz-jw", 20),
    ("不动产登记", "jz-fgj", 10),
]


def project_template_toml(code: str, steps: list[tuple[str, str, int]]) -> str:
    rows = "".join(
        f"    {toml_value({'name': name, 'unit': unit, 'limit_days': days})},\n"
        for name, unit, days in steps
    )
    return (
        "# 重大项目审批环节: unit = 审批单位, limit_days = 办理时限 (工作日)\n"
        f"[[project_templates]]\njurisdiction = {toml_value(code)}\nsteps = [\n{rows}]\n"
    )


# ---------------------------------------------------------------------------------------------
# Enterprises and assignments
# ---------------------------------------------------------------------------------------------


def organisation_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and its own check character."""
    body = f"{rng.choice('3456789')}{rng.randrange(10**7):07d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    remainder = 11 - sum(int(ch) * w for ch, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(remainder, str(remainder))


def credit_code(county_code: str, rng: random.Random) -> str:
    first17 = "91" + county_code + organisation_code(rng)
    return first17 + check_character(first17)


def build_enterprises(rng: random.Random, names: Names, numbers: Numbers) -> list[dict]:
    enterprises = []
    used_names: set[str] = set()
    used_codes: set[str] = set()
    used_domains: set[str] = set()
    for code, place, _kind, _tag, _prefix, name_prefix in COUNTIES:
        city_n, county_n, none_n = ENTERPRISE_COUNTS[code]
        levels = ["city"] * city_n + ["county"] * county_n + ["none"] * none_n
        mix = COUNTY_INDUSTRIES[code]
        for level in levels:
            # The county's signature industries come first and are picked more often.
            profile = rng.choices(mix, weights=range(len(mix) + 1, 1, -1))[0]
            industry, name_words, _depts = INDUSTRIES[profile]
            while True:
                first, second = rng.choice(BRAND_FIRST), rng.choice(BRAND_SECOND)
                if first == second:
                    continue
                brand = first + second
                prefix = name_prefix
                if level == "city" and rng.random() < 0.2:
                    prefix = "河南"
                if level == "city":
                    suffix = rng.choice(("有限公司", "有限公司", "股份有限公司", "集团有限公司"))
                else:
                    suffix = rng.choice(("有限公司", "有限公司", "有限公司", "有限责任公司"))
                name = f"{prefix}{brand}{rng.choice(name_words)}{suffix}"
                if name not in used_names:
                    used_names.add(name)
                    break
            while True:
                credit = credit_code(code, rng)
                if credit not in used_codes:
                    used_codes.add(credit)
                    break
            domain = PINYIN[first] + PINYIN[second]
            n = 1
            while f"{domain}{n if n > 1 else ''}.example" in used_domains:
                n += 1
            domain = f"{domain}{n if n > 1 else ''}.example"
            used_domains.add(domain)
            person, py = names.person()
            # A few small enterprises give no e-mail address.
            email = "" if level == "none" and rng.random() < 0.3 else f"{py}@{domain}"
            address = f"河南省焦作市{place}{rng.choice(ROADS[code])}{rng.randrange(1, 300)}号"
            enterprises.append(
                {
                    "统一社会信用代码": credit,
                    "企业名称": name,
                    "所属县区": code,
                    "行业代码": industry,
                    "重点级别": level,
                    "联系人": person,
                    "联系电话": numbers.mobile(),
                    "电子邮箱": email,
                    "地址": address,
                    "_profile": profile,
                }
            )
    return enterprises


def build_assignments(rng: random.Random, enterprises: list[dict], officials: list[dict]):
    by_unit: dict[str, list[dict]] = {}
    for o in officials:
        by_unit.setdefault(o["unit"], []).append(o)
    rows = []

    # City key enterprises: one contact each (分包), except a few left uncovered.
    city_key = [e for e in enterprises if e["重点级别"] == "city"]
    order = rng.sample(city_key, len(city_key))
    covered = order[: len(order) - CITY_KEY_WITHOUT_CONTACT]
    contacts: dict[str, str] = {}
    queue = [leader for leader, n in CITY_LEADER_LOAD.items() for _ in range(n)]
    department_officials = [
        o["id"]
        for o in officials
        if o["jurisdiction"] == CITY and o["role"] in ("department_head", "department_leader")
    ]
    load = dict.fromkeys(department_officials, 0)
    for i, enterprise in enumerate(covered):
        if i < len(queue):
            contacts[enterprise["统一社会信用代码"]] = queue[i]
            continue
        # Prefer department leaders of the enterprise's own liaison departments, at most 3 each.
        _industry, _words, depts = INDUSTRIES[enterprise["_profile"]]
        candidates = [o for d in depts for o in (f"{d}-leader", f"{d}-head") if load.get(o, 99) < 3]
        if not candidates or rng.random() < 0.4:
            candidates = [o for o in department_officials if load[o] < 3]
        chosen = rng.choice(candidates)
        load[chosen] += 1
        contacts[enterprise["统一社会信用代码"]] = chosen

    # County-only key enterprises: a county leader or department head, about nine in ten.
    for enterprise in enterprises:
        if enterprise["重点级别"] != "county" or rng.random() < 0.1:
            continue
        code = enterprise["所属县区"]
        tag = next(c[3] for c in COUNTIES if c[0] == code)
        candidates = [f"{tag}-mayor", f"{tag}-evm", f"{tag}-vm-industry", f"{tag}-vm-industry"]
        candidates += [f"{tag}-vm-finance"] + [f"{tag}-{s}-head" for s, *_ in COUNTY_DEPARTMENTS]
        contacts[enterprise["统一社会信用代码"]] = rng.choice(candidates)

    for enterprise in enterprises:
        credit = enterprise["统一社会信用代码"]
        if credit in contacts:
            rows.append(
                {
                    "统一社会信用代码": credit,
                    "类型": "contact",
                    "官员": contacts[credit],
                    "单位": "",
                }
            )
        if enterprise["重点级别"] != "city":
            continue
        # Department liaisons (挂钩): 1-3 departments, each with its responsible leader.
        _industry, _words, depts = INDUSTRIES[enterprise["_profile"]]
        chosen = rng.sample(depts, rng.randint(1, min(3, len(depts))))
        for dept in chosen:
            # The department's deputy in charge (副职) mostly, otherwise its head.
            people = [
                o for o in by_unit[dept] if o["role"] in ("department_leader", "department_head")
            ]
            people.sort(key=lambda o: o["role"] != "department_leader")
            leader = people[0] if rng.random() < 0.6 else people[-1]
            rows.append(
                {"统一社会信用代码": credit, "类型": "liaison", "官员": leader["id"], "单位": dept}
            )
    return rows


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


ENTERPRISE_HEADER = words(
    "统一社会信用代码 企业名称 所属县区 行业代码 重点级别 联系人 联系电话 电子邮箱 地址"
)
ASSIGNMENT_HEADER = ["统一社会信用代码", "类型", "官员", "单位"]
INDICATOR_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "月份",
    "用电量",
    "工业总产值",
    "税收",
    "从业人员",
]
# Thirteen months, so that the newest has the same month a year earlier.
FIRST_MONTH, MONTHS = (2025, 10), 13
# Enterprises whose power use falls in the last months: what the demo's warning shows.
FALLING = 3


def build_indicators(enterprises: list[dict]) -> list[dict]:
    """A year of monthly indicators per enterprise (万千瓦时, 万元, 人): a steady level by key
    level, seasons and noise; the first FALLING city key enterprises lose a fifth of their
    power use each of the last four months. A separate generator: the other files stay as
    they were."""
    rng = random.Random(SEED + 13)
    rows = []
    scale = {"city": 3.0, "county": 1.0, "none": 0.3}
    falling = [e for e in enterprises if e["重点级别"] == "city"][:FALLING]
    for enterprise in enterprises:
        size = scale[enterprise["重点级别"]] * rng.uniform(0.5, 2.0)
        people = max(8, round(300 * size * rng.uniform(0.8, 1.2)))
        for n in range(MONTHS):
            year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + n, 12)
            season = 1.0 - 0.1 * (month == 1)  # the Spring Festival month
            power = 100 * size * season * rng.uniform(0.95, 1.05)
            if enterprise in falling and n >= MONTHS - 4:
                power *= 0.8 ** (n - (MONTHS - 5))
            output = 1500 * size * season * rng.uniform(0.9, 1.1)
            rows.append(
                {
                    "统一社会信用代码": enterprise["统一社会信用代码"],
                    "企业名称": enterprise["企业名称"],
                    "月份": f"{year}-{month + 1:02d}",
                    "用电量": f"{power:.1f}",
                    "工业总产值": f"{output:.1f}",
                    "税收": f"{output * 0.06 * rng.uniform(0.8, 1.2):.1f}",
                    "从业人员": str(people),
                }
            )
    return rows


def main(out_dir: Path = HERE) -> None:
    rng = random.Random(SEED)
    names, numbers, emails = Names(rng), Numbers(rng), Emails()
    city = build_city(names, numbers, emails)
    counties = [build_county(c, names, numbers, emails) for c in COUNTIES]
    enterprises = build_enterprises(rng, names, numbers)
    officials = city[1] + [o for _u, county_officials, _g in counties for o in county_officials]
    assignments = build_assignments(rng, enterprises, officials)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "organisation.toml").write_text(organisation_toml(city, counties), encoding="utf-8")
    write_csv(out_dir / "enterprises.csv", ENTERPRISE_HEADER, enterprises)
    write_csv(out_dir / "assignments.csv", ASSIGNMENT_HEADER, assignments)
    write_csv(out_dir / "indicators.csv", INDICATOR_HEADER, build_indicators(enterprises))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
