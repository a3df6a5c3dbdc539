"""The bundled city, run end to end: what ``serviceframe demo`` does.

Each step goes through the same services a clerk's commands use, so the demo is also a
smoke test of the whole mechanism on a fresh database.
"""

from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

from attrs import frozen

from serviceframe.app import App
from serviceframe.errors import ValidationError
from serviceframe.tabular import RowProblem, read_rows

Say = Callable[[str], None]


def example_dir() -> Path:
    """The Jiaozuo example shipped inside the package (examples/jiaozuo in the source tree)."""
    with as_file(files("serviceframe.examples.jiaozuo")) as path:
        return Path(path)


@frozen
class ExampleLoaded:
    jurisdictions: int
    units: int
    officials: int
    groups: int
    enterprises: int
    rejected: int
    contacts: int
    liaisons: int


def load_example(app: App) -> ExampleLoaded:
    """Load the Jiaozuo organisation, enterprises and assignments into a migrated database."""
    from serviceframe.services.assignments import assign
    from serviceframe.services.enterprises import import_enterprises
    from serviceframe.services.organisation import load_organisation

    data = example_dir()
    org = load_organisation(app, data / "organisation.toml")
    imported = import_enterprises(app, data / "enterprises.csv")
    _, rows = read_rows(data / "assignments.csv")
    contacts = liaisons = 0
    for item in rows:
        if isinstance(item, RowProblem):
            raise ValidationError(item.column, item.value, f"line {item.line}: {item.reason}")
        _line, row = item
        result = assign(app, row["统一社会信用代码"], row["官员"], row["单位"] or None)
        if result.assignment.unit:
            liaisons += 1
        else:
            contacts += 1
    return ExampleLoaded(
        org.jurisdictions,
        org.units,
        org.officials,
        org.groups,
        imported.inserted,
        len(imported.errors),
        contacts,
        liaisons,
    )


def run_demo(app: App, say: Say) -> None:
    from serviceframe.services.assignments import coverage
    from serviceframe.store.migrate import upgrade

    _, after = upgrade(app.engine)
    say(f"1. 建库 created the schema (migration {after})")
    loaded = load_example(app)
    say(
        f"2. 组织机制 loaded the organisation: {loaded.jurisdictions} jurisdictions, "
        f"{loaded.units} units, {loaded.officials} officials, {loaded.groups} leading groups"
    )
    say(f"3. 企业名录 imported {loaded.enterprises} enterprises ({loaded.rejected} rejected)")
    say(
        f"4. 领导分包 assigned {loaded.contacts} contact leaders and {loaded.liaisons} department liaisons"
    )
    cover = coverage(app)
    city = cover.quotas[0]
    say(
        f"5. 覆盖情况 city key enterprises {city.key_enterprises}/{city.target}, "
        f"{city.with_contact} with a contact leader; "
        f"{sum(1 for g in cover.gaps if g.level == 'city')} city gaps, "
        f"{sum(1 for g in cover.gaps if g.level != 'city')} county gaps"
    )
    from serviceframe.scenario import run_season

    run_season(app, say)
