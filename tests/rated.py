"""A rated season on the small organisation, with every figure of the assessment computed by
hand (tests/test_assessment.py, tests/test_reports.py).

November 2026, no holidays. All issues are of 焦作市恒泽制药 (JF1, a city key enterprise, so
routed to the vice mayor jz-vm), filed and dispatched on Monday 2 November: acknowledge by the
3rd, feed back by the 5th, resolve by the 11th.

====  =========  ==========  =====================================================
      lead       co          what happens
====  =========  ==========  =====================================================
I1    jz-fgw     jz-edsb     resolved, 不满意; redone, 满意 (two ratings)
I2    jz-fgw                 resolved, 基本满意
I3    jz-edsb                resolved, 满意
I4    jz-edsb                resolved, not rated (unrated)
I5    jf-edsb    jz-fgw      resolved, 满意
I6    jf-edsb                resolved, 不满意; back for redo, still open
I7    jf-gov                 resolved, 不满意; redone, 满意
I8    jz-gov                 never acknowledged; three supervision orders on the 12th
====  =========  ==========  =====================================================

With 基本满意 = 0.8 and co-handling weight 0.5:

* jz-edsb: lead 1 满意, co 1 满意 + 1 不满意 → (1 + 0.5·1) / (1 + 0.5·2) = 0.75   → 1st
* jz-fgw: lead 满意, 基本满意, 不满意; co 满意 → (1 + 0.8 + 0.5) / 3.5 = 23/35   → 2nd
* jf-edsb: 满意, 不满意 → 1/2;  jf-gov: 不满意, 满意 → 1/2                       → 3rd, 3rd
* jz-gov: nothing rated → no result, no rank, listed last
* jz-vm (every issue is routed to the vice mayor): 4 满意, 1 基本满意, 3 不满意 → 0.6
"""

from datetime import datetime
from types import SimpleNamespace

from serviceframe.domain.workdays import SHANGHAI
from serviceframe.services import issues as svc
from serviceframe.services.routing import escalate
from serviceframe.testing.clock import Clock
from serviceframe.testing.sample import JIEFANG, credit_code

JF1 = credit_code(JIEFANG, 1)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def rated_season(app) -> SimpleNamespace:
    clock = Clock(at(2, 9))
    app.clock = clock
    plan = {
        "I1": ("jz-fgw", ("jz-edsb",)),
        "I2": ("jz-fgw", ()),
        "I3": ("jz-edsb", ()),
        "I4": ("jz-edsb", ()),
        "I5": ("jf-edsb", ("jz-fgw",)),
        "I6": ("jf-edsb", ()),
        "I7": ("jf-gov", ()),
        "I8": ("jz-gov", ()),
    }
    ids = {}
    for n, (key, (lead, co)) in enumerate(plan.items()):
        draft = svc.IssueDraft(
            enterprise=JF1, source="hotline", body=f"第{n + 1}个问题:企业用电增容申请迟迟未批。"
        )
        issue = svc.file_issue(app, draft).issue
        svc.accept(app, issue.id, category=1)
        svc.dispatch(app, issue.id, lead, co)
        ids[key] = issue.id
    clock.now = at(2, 15)
    for key, (lead, _co) in plan.items():
        if key != "I8":
            svc.acknowledge(app, ids[key], lead)
    clock.now = at(5)
    for key in ("I1", "I2", "I3", "I4", "I5", "I6", "I7"):
        svc.resolve(app, ids[key], "已协调解决")
    clock.now = at(6)
    for key, verdict in (
        ("I1", "unsatisfied"),
        ("I2", "basic"),
        ("I3", "satisfied"),
        ("I5", "satisfied"),
        ("I6", "unsatisfied"),
        ("I7", "unsatisfied"),
    ):
        svc.rate(app, ids[key], verdict)
    clock.now = at(9)
    svc.resolve(app, ids["I1"], "重新协调")
    svc.resolve(app, ids["I7"], "重新协调")
    clock.now = at(10)
    svc.rate(app, ids["I1"], "satisfied")
    svc.rate(app, ids["I7"], "satisfied")
    escalate(app, now=at(12))
    clock.now = at(20)
    return SimpleNamespace(app=app, ids=ids, clock=clock)
