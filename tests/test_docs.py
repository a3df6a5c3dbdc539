"""The reference pages are generated: they must match the code as it is now.

docs/hooks.md comes from src/serviceframe/hookspecs.py and docs/cli.md from the click CLI, both
by scripts/gen_docs.py. When a test here fails, run ``python scripts/gen_docs.py`` and commit
the pages it rewrites.
"""

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

from serviceframe import hookspecs

ROOT = Path(__file__).resolve().parent.parent
FIX = "run `tox exec -e sqlite -- python scripts/gen_docs.py` (or `python scripts/gen_docs.py`) and commit docs/"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_docs", module)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_generator()


def page(name: str) -> str:
    path = ROOT / "docs" / name
    assert path.exists(), f"docs/{name} is missing: {FIX}"
    return path.read_text(encoding="utf-8")


def hook_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "serviceframe_spec")
    ]


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_generated_page_is_up_to_date(name: str):
    text = page(name)
    if name == "cli.md":
        # click's help formatting differs a little between releases: compare the page only
        # under the click it was generated with (test_every_command_is_documented still runs).
        m = re.search(r" with click (\S+?)\. ", text)
        made_with = m.group(1) if m else "?"
        if made_with != gen_docs.CLICK:
            pytest.skip(
                f"docs/cli.md was generated with click {made_with}, this is click "
                f"{gen_docs.CLICK}; regenerate it in the tox env: "
                "tox exec -e sqlite -- python scripts/gen_docs.py"
            )
    assert text == gen_docs.PAGES[name](), f"docs/{name} is out of date: {FIX}"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented(hook: str):
    text = page("hooks.md")
    assert f"\n## {hook}\n" in text, f"hook {hook} is missing from docs/hooks.md: {FIX}"
    assert inspect.getdoc(getattr(hookspecs, hook)), f"hookspec {hook} has no docstring"


def test_every_command_is_documented():
    import click

    from serviceframe.cli import cli

    root = click.Context(cli, info_name="serviceframe")
    text = page("cli.md")
    with gen_docs.own_commands():  # plugins document their commands themselves
        missing = [
            ctx.command_path
            for _command, ctx in gen_docs.walk_commands(cli, root)
            if f"\n## {ctx.command_path}\n" not in text
        ]
    assert not missing, f"commands missing from docs/cli.md: {missing}: {FIX}"


def test_hook_docs_show_firstresult():
    text = page("hooks.md")
    for name, _fn, opts in gen_docs.hookspecs():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert ("**firstresult**" in section) == bool(opts.get("firstresult")), name


def organisation_keys() -> list[str]:
    """Every key the organisation file accepts, as dotted paths (``officials.portfolio``)."""
    import typing

    import attrs

    from serviceframe.orgfile import OrgFile

    def attrs_classes(tp: object) -> list[type]:
        if isinstance(tp, type) and attrs.has(tp):
            return [tp]
        return [c for arg in typing.get_args(tp) for c in attrs_classes(arg)]

    keys: list[str] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            keys.append(prefix + field.name)
            for inner in attrs_classes(hints[field.name]):
                walk(inner, f"{prefix}{field.name}.")

    walk(OrgFile, "")
    return keys


@pytest.mark.parametrize("key", organisation_keys())
def test_every_organisation_file_key_is_documented(key: str):
    # docs/organisation-file.md is written by hand: a new key must be added to it.
    name = key.rsplit(".", 1)[-1]
    assert f"| `{name}` |" in page("organisation-file.md"), (
        f"key {key} of the organisation file is not in the tables of docs/organisation-file.md"
    )


def test_every_page_is_in_the_site_navigation():
    # mkdocs build --strict (tox -e docs) fails on a page left out of the nav; say so here too,
    # where a new page is written, with the fix.
    nav = set(re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text("utf-8"), re.M))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert not pages - nav, f"add these pages to `nav:` in mkdocs.yml: {sorted(pages - nav)}"
    assert not nav - pages, f"mkdocs.yml names pages that do not exist: {sorted(nav - pages)}"
