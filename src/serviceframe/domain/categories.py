"""The nine service categories of the seed (三、服务工业企业的主要内容)."""

from enum import IntEnum


class Category(IntEnum):
    """A service category; 0 means not yet classified."""

    UNCLASSIFIED = 0
    PRODUCTION_FACTORS = 1  # 生产要素协调: coal, power, oil, transport, gas
    OPERATION_MONITORING = 2  # 工业运行监测
    FINANCING = 3  # 融资服务支持
    TECH_INNOVATION = 4  # 推进技术创新
    MAJOR_PROJECTS = 5  # 重大项目协调
    INDUSTRIAL_UPGRADING = 6  # 产业结构升级
    BUSINESS_ENVIRONMENT = 7  # 优化发展环境
    TALENT_TRAINING = 8  # 人才培训服务
    HARMONIOUS_INDUSTRY = 9  # 构建和谐工业

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Category.UNCLASSIFIED: "未分类",
    Category.PRODUCTION_FACTORS: "生产要素协调",
    Category.OPERATION_MONITORING: "工业运行监测",
    Category.FINANCING: "融资服务支持",
    Category.TECH_INNOVATION: "推进技术创新",
    Category.MAJOR_PROJECTS: "重大项目协调",
    Category.INDUSTRIAL_UPGRADING: "产业结构升级",
    Category.BUSINESS_ENVIRONMENT: "优化发展环境",
    Category.TALENT_TRAINING: "人才培训服务",
    Category.HARMONIOUS_INDUSTRY: "构建和谐工业",
}

SERVICE_CATEGORIES = tuple(c for c in Category if c is not Category.UNCLASSIFIED)


def parse_category(value: object) -> Category:
    """Accept 1-9, "1"-"9", the English member name or the Chinese label."""
    from serviceframe.errors import ValidationError

    if isinstance(value, Category):
        return value
    text = str(value).strip()
    if text.isdigit() and int(text) in Category._value2member_map_:
        return Category(int(text))
    for category, label in LABELS.items():
        if text == label or text.upper() == category.name:
            return category
    raise ValidationError("category", value, "not one of the nine service categories (1-9)")
