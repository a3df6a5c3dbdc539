import pytest, attrs
import serviceframe.services.issues as si
import serviceframe.domain.issue as di
from test_issue_properties import Lifecycle, make_app, run_state_machine_as_test, settings

real = di.apply
def buggy_rating(issue, event):
    new = real(issue, event)
    if event.kind == "rated" and event.data["satisfaction"] == "unsatisfied":
        new = attrs.evolve(new, redo_count=issue.redo_count)
    return new
def buggy_owner(issue, event):
    new = real(issue, event)
    if event.kind == "dispatched":
        new = attrs.evolve(new, owner=event.data["lead"])
    return new

@pytest.mark.parametrize("bug", [buggy_rating, buggy_owner])
def test_mut(jiaozuo_url, monkeypatch, bug):
    monkeypatch.setattr(si, "apply", bug)
    app = make_app(jiaozuo_url)
    Lifecycle.app = app
    app.clock = lambda: Lifecycle.clock_at
    run_state_machine_as_test(Lifecycle, settings=settings(max_examples=25, deadline=None, stateful_step_count=20, database=None))
