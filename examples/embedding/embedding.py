"""serviceframe as a library, without the CLI: what a county's portal does behind its pages.

    python examples/embedding/embedding.py [DATABASE_URL]     (default: a new SQLite file)

Bootstrap the app on a store, create the schema, load 温县's organisation and enterprises, file
an issue the way a portal form would, accept and dispatch it, let one month pass with the
finance bureau doing nothing, run the sweep (督办), then print the month's circular (通报).
The same functions back the CLI's commands (docs/api.md lists them).
"""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

from serviceframe.app import Settings, bootstrap
from serviceframe.domain.workdays import SHANGHAI  # Beijing time
from serviceframe.reports.run import render, run_report
from serviceframe.services import issues
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.organisation import load_organisation
from serviceframe.services.routing import escalate
from serviceframe.store.migrate import upgrade

WENXIAN = Path(__file__).resolve().parent.parent / "wenxian"


def main(url: str) -> None:
    # One App per process: settings, plugins (entry points too) and the store, wired together.
    # `acting_as` is the principal the embedding application authenticated: here the county's
    # office, which may do everything in its jurisdiction (docs/identities.md).
    app = bootstrap(Settings(db_url=url, acting_as="office", actor="portal:wenxian"))
    try:
        before, after = upgrade(app.engine)  # what `serviceframe db upgrade` does
        print(f"schema {before or '(empty)'} -> {after}")

        org = load_organisation(app, WENXIAN / "organisation.toml")
        print(
            f"organisation: {org.jurisdictions} jurisdiction, {org.units} units, {org.officials} officials"
        )
        imported = import_enterprises(app, WENXIAN / "enterprises.csv")
        print(f"enterprises: {imported.inserted} added, {len(imported.errors)} rejected")

        # "Now" is the app's clock; a portal leaves it alone. Here it is moved to show a month.
        app.clock = lambda: datetime(2026, 11, 2, 9, 30, tzinfo=SHANGHAI)
        draft = issues.IssueDraft(
            enterprise="91410825000000004F",  # 温县金源铝业有限公司
            source="portal",
            title="流动资金续贷",
            body="流动资金贷款下月到期,银行要求先还后贷,企业无力筹措过桥资金,请协调续贷",
            external_id="portal-2026-0001",  # filing the same form twice gives the same issue
        )
        filed = issues.file_issue(app, draft)
        issue = filed.issue
        print(f"filed issue {issue.id}: {issue.title} (received by {issue.received_by})")

        issue = issues.accept(app, issue.id)  # the classifier's category: 3 融资服务支持
        issue = issues.dispatch(app, issue.id, "wx-czj")  # to the finance bureau (主办)
        print(
            f"dispatched to {issue.lead_unit}: category {int(issue.category)} {issue.category.label}"
        )

        # A month later the bureau has not even acknowledged it: the sweep supervises it.
        month_later = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
        app.clock = lambda: month_later
        for order in escalate(app, now=month_later):
            print(f"督办 order {order.order}: {order.deadline} due {order.due}, {order.reason}")

        report = run_report(app, "circular", "2026-11")
        print(render(report, "text"))
    finally:
        app.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f"sqlite:///{folder}/embedding.db")
