"""The enterprise registry (R2): import, list, show, designate key enterprises."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen

from serviceframe.app import App
from serviceframe.domain.enterprise import (
    Contact,
    Enterprise,
    KeyLevel,
    key_level_of,
    parse_key_level,
)
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.principal import Action, PrincipalKind
from serviceframe.errors import Forbidden, NotFound, ServiceFrameError, ValidationError, shown
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import organisation_of
from serviceframe.services.events import event_row
from serviceframe.tabular import RowProblem, map_columns, problem_in, read_rows

if TYPE_CHECKING:
    from serviceframe.store.uow import UnitOfWork

# Each field and the headers it may have in a file (Chinese as clerks write it, or English).
COLUMNS = {
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "name": ("企业名称", "名称", "name"),
    "jurisdiction": (
        "所属县区",
        "县区代码",
        "所属县(市)区",
        "所属辖区",
        "辖区",
        "行政区划代码",
        "jurisdiction",
        "county",
    ),
    "industry": ("行业代码", "行业", "industry"),
    "key_level": ("重点级别", "key_level"),
    "person": ("联系人", "contact_person"),
    "phone": ("联系电话", "contact_phone"),
    "email": ("电子邮箱", "contact_email"),
    "address": ("地址", "address"),
}
REQUIRED = ("credit_code", "name", "jurisdiction", "industry")


@frozen
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.value!r}: {self.reason}"


@frozen
class ImportReport:
    source: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    errors: tuple[RowError, ...] = field(factory=tuple)


def import_enterprises(
    app: App,
    path: str | Path,
    encoding: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert enterprises from a CSV or XLSX file by credit code.

    Good rows are stored, bad rows are reported with line, column and reason; the good rows
    go in one transaction, so a failing database leaves nothing half-written. Importing the
    same file again changes nothing.
    """
    actor = actor or app.settings.actor
    headers, lazy_rows = read_rows(path, encoding)
    columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
    rows = list(lazy_rows)  # a registry file fits in memory; counted for the progress
    progress = progress or no_progress
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        if not uow.org.is_loaded():
            raise ServiceFrameError(
                "no organisation loaded yet; run `serviceframe org load FILE` first"
            )
        org = organisation_of(app, uow)
        parsed: list[tuple[int, Enterprise, bool]] = []
        errors: list[RowError] = []
        first_line: dict[str, int] = {}
        count = 0
        for item in rows:
            count += 1
            progress(count, len(rows))
            item = problem_in(item, columns.values())
            if isinstance(item, RowProblem):
                errors.append(RowError(item.line, item.column, item.value, item.reason))
                continue
            line, raw = item
            values = {f: raw.get(h, "") for f, h in columns.items()}
            try:
                enterprise = _parse(values, org)
            except ValidationError as exc:
                column = columns.get(exc.field, exc.field)
                errors.append(RowError(line, column, shown(exc.value), exc.reason))
                continue
            code = enterprise.credit_code
            if code in first_line:
                errors.append(
                    RowError(
                        line,
                        columns["credit_code"],
                        code,
                        f"duplicate code, first on line {first_line[code]}",
                    )
                )
                continue
            first_line[code] = line
            parsed.append((line, enterprise, "key_level" in columns))
        existing = uow.enterprises.get_many(e.credit_code for _, e, _ in parsed)
        final = []
        for _line, enterprise, has_level in parsed:
            old = existing.get(enterprise.credit_code)
            if not has_level and old is not None:  # a file without the column keeps the level
                enterprise = evolve(enterprise, key_level=old.key_level)
            final.append(enterprise)
        inserted, updated = uow.enterprises.save_many(final, now)
        events = [
            event_row("enterprise_added", f"enterprise:{c}", actor, now, source=str(path))
            for c in inserted
        ]
        events += [
            event_row("enterprise_updated", f"enterprise:{c}", actor, now, source=str(path))
            for c in updated
        ]
        events += _end_contacts_of_ordinary(uow, updated, actor, now)
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return ImportReport(
        source=str(path),
        rows=count,
        inserted=len(inserted),
        updated=len(updated),
        unchanged=len(final) - len(inserted) - len(updated),
        errors=tuple(errors),
    )


def _parse(values: dict[str, str], org: Organisation) -> Enterprise:
    jurisdiction = org.resolve(values["jurisdiction"])
    key_level = parse_key_level(values.get("key_level", ""))
    check_key_level(org, jurisdiction, key_level, values.get("key_level"))
    contacts: tuple[Contact, ...] = ()
    if values.get("person") or values.get("phone") or values.get("email"):
        contacts = (
            Contact(values.get("person", ""), values.get("phone", ""), values.get("email", "")),
        )
    return Enterprise(
        credit_code=values["credit_code"],
        name=values["name"],
        jurisdiction=jurisdiction,
        industry=values["industry"],
        key_level=key_level,
        contacts=contacts,
        address=values.get("address", ""),
    )


def check_key_level(
    org: Organisation, jurisdiction: str, level: KeyLevel, given: object = None
) -> None:
    """A key level names a level on the enterprise's own chain: a county-only organisation
    has no city key enterprises, and 温县's enterprise cannot be a province's key one unless
    the province is in the organisation."""
    if level is KeyLevel.NONE:
        return
    levels = {key_level_of(j.kind) for c in org.chain(jurisdiction) if (j := org.jurisdiction(c))}
    if level not in levels:
        raise ValidationError(
            "key_level",
            level.value if given is None else given,
            f"{org.place(jurisdiction)} has no {level.value} level above it in the organisation "
            f"(possible: {', '.join(sorted(k.value for k in levels))} or none)",
        )


def list_enterprises(
    app: App, jurisdiction: str | None = None, key: KeyLevel | None = None
) -> list[Enterprise]:
    """Enterprises of ``jurisdiction`` (code or name) and the places below it; by default all
    the acting principal reaches: a county's office and departments their own county, an
    enterprise user its own enterprise only."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        me = uow.principal
        # An enterprise user is narrowed by ``only`` below; others by the places they reach.
        by_place = not me.everywhere and me.kind is not PrincipalKind.ENTERPRISE
        scope = sorted(me.jurisdictions) if by_place else None
        if jurisdiction:
            org = organisation_of(app, uow)
            code = org.resolve(jurisdiction)
            if by_place and code not in me.jurisdictions:
                raise Forbidden(str(me), "read", f"jurisdiction {code}", "outside its scope")
            scope = list(org.descendants(code))
        only = me.id if me.kind is PrincipalKind.ENTERPRISE else None
        return uow.enterprises.list(scope, key, only)


def get_enterprise(app: App, code: str) -> Enterprise:
    from serviceframe.domain.credit_code import normalise_credit_code

    code = normalise_credit_code(code)
    with app.uow() as uow:
        uow.authorise(Action.READ)
        enterprise = uow.enterprises.get(code)
        if enterprise is None:
            raise NotFound("enterprise", code)
        uow.principal.require_reach(enterprise.credit_code, enterprise.jurisdiction)
    return enterprise


def designate(app: App, code: str, level: KeyLevel, actor: str | None = None) -> Enterprise:
    """Make an enterprise a key enterprise of a level on its chain (province, city, county)
    or an ordinary one.

    A level implies those below it (one ordered value), so designating city never leaves it
    off the county's list, and taking it down to county keeps it a county key enterprise.
    """
    actor = actor or app.settings.actor
    enterprise = get_enterprise(app, code)
    if enterprise.key_level is level:
        return enterprise  # already so: no change, no event
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        check_key_level(organisation_of(app, uow), enterprise.jurisdiction, level)
        uow.enterprises.set_key_level(enterprise.credit_code, level, now)
        events = [
            event_row(
                "key_level_changed",
                f"enterprise:{enterprise.credit_code}",
                actor,
                now,
                before=enterprise.key_level.value,
                after=level.value,
            )
        ]
        events += _end_contacts_of_ordinary(uow, [enterprise.credit_code], actor, now)
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return evolve(enterprise, key_level=level)


def _end_contacts_of_ordinary(
    uow: "UnitOfWork", codes: list[str], actor: str, now: datetime
) -> list[dict[str, Any]]:
    """A contact leader is for key enterprises: taken off the list, the contact ends."""
    reason = "no longer a key enterprise"
    return [
        event_row(
            "assignment_ended",
            f"enterprise:{a.enterprise}",
            actor,
            now,
            assignment=a.id,
            assignment_kind=a.kind.value,
            official=a.official,
            reason=reason,
        )
        for a in uow.assignments.end_contacts_of_ordinary(codes, now.date(), reason)
    ]
