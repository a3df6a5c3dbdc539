"""The built-in issue sources (R4): every channel the seed names."""

from serviceframe.hookspecs import hookimpl

BUILTIN_SOURCES = {
    "self_declared": "企业自行申报",
    "government": "政府专门安排",
    "department": "市直部门收集",
    "hotline": "政企快线",
    "portal": "问题投诉及反馈平台",
    "visit": "走访调研",
    "letter": "企业意见建议征询函",
    "warning": "预测预警",  # an early warning over operating indicators (services/warnings.py)
    "project": "重大项目环节超期",
    "event": "服务活动跟进事项",
    "solicitation_letter": "征询函回复",
}


@hookimpl
def serviceframe_sources(app: object) -> list[str]:
    return list(BUILTIN_SOURCES)
