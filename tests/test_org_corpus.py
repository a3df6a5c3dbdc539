"""The broken-organisation corpus: each file a clerk or a careless editor could produce is either
refused with a message naming the key and the value, or loads exactly as meant.

Each case is the small sample organisation with one edit (or re-encoded), written to a real file
and read through ``load_org``, as ``org load`` reads it.
"""

from pathlib import Path

import pytest

from serviceframe.domain.categories import Category
from serviceframe.domain.gaps import GapKind, organisation_gaps
from serviceframe.errors import ConfigError
from serviceframe.orgfile import load_org
from serviceframe.testing.sample import SMALL_ORG

XIUWU = '{ code = "410821", name = "修武县", kind = "county", parent = "410800" }'
JIEFANG = '{ code = "410802", name = "解放区", kind = "district", parent = "410800" }'
CITY = '{ code = "410800", name = "焦作市", kind = "city" }'


def edited(old: str, new: str) -> str:
    assert SMALL_ORG.count(old) == 1, f"{old!r} must occur once in the sample"
    return SMALL_ORG.replace(old, new)


def appended(text: str) -> str:
    return SMALL_ORG.replace("[quotas]", text.strip() + "\n\n[quotas]")


# name: (file text, fragments the message must hold)
REFUSED: dict[str, tuple[str, tuple[str, ...]]] = {
    "parent-cycle": (
        edited(XIUWU, XIUWU.replace('"410800"', '"410802"')).replace(
            JIEFANG, JIEFANG.replace('"410800"', '"410821"')
        ),
        ("410821", "circle"),
    ),
    "county-its-own-parent": (edited(XIUWU, XIUWU.replace('"410800"', '"410821"')), ("410821",)),
    "full-width-code": (
        edited(XIUWU, XIUWU.replace('code = "410821"', 'code = "４１０８２１"')),
        ("４１０８２１", "ASCII", "code"),
    ),
    "five-digit-code": (edited(XIUWU, XIUWU.replace('"410821"', '"41082"', 1)), ("41082",)),
    "code-with-space": (edited(XIUWU, XIUWU.replace('"410821"', '"410821 "', 1)), ("410821 ",)),
    "code-with-letters": (edited(XIUWU, XIUWU.replace('"410821"', '"41082X"', 1)), ("41082X",)),
    "parent-missing": (edited(XIUWU, XIUWU.replace('"410800"', '"410899"')), ("410899",)),
    "two-roots": (edited(XIUWU, XIUWU.replace(', parent = "410800"', "")), ("exactly one",)),
    "no-root": (
        edited(CITY, CITY.replace('kind = "city"', 'kind = "city", parent = "410802"')),
        ("exactly one",),
    ),
    "no-jurisdictions": (
        edited(f"    {CITY},\n    {JIEFANG},\n    {XIUWU},\n", ""),
        ("exactly one",),
    ),
    "city-under-a-county": (
        edited(XIUWU, XIUWU.replace('kind = "county"', 'kind = "province"')),
        ("410821", "province"),
    ),
    "unknown-jurisdiction-kind": (
        edited(XIUWU, XIUWU.replace('kind = "county"', 'kind = "village"')),
        ("village",),
    ),
    "duplicate-code": (edited(XIUWU, XIUWU.replace('"410821"', '"410802"', 1)), ("410802",)),
    "unit-id-equal-to-official-id": (
        edited('id = "jz-fgw"\n', 'id = "jz-vm"\n')
        .replace('"jz-edsb", "jz-fgw"]', '"jz-edsb"]')
        .replace('unit = "jz-fgw"', 'unit = "jz-vm"')
        .replace('members = ["jz-edsb", "jz-fgw"]', 'members = ["jz-edsb", "jz-vm"]'),
        ("jz-vm", "unit and an official"),
    ),
    "duplicate-unit-id": (edited('id = "jf-edsb"', 'id = "jz-edsb"'), ("jz-edsb", "twice")),
    "duplicate-official-id": (edited('id = "jf-edsb-head"', 'id = "jz-edsb-head"'), ("twice",)),
    "negative-quota": (edited("county = 2", "county = -1"), ("quotas.county", "-1")),
    "huge-quota": (edited("city = 3", "city = 100000000"), ("quotas.city", "100000000")),
    "acknowledge-negative": (
        appended("[deadlines]\nacknowledge = -1"),
        ("deadlines.acknowledge", "-1"),
    ),
    "acknowledge-huge": (
        appended("[deadlines]\nacknowledge = 100000000"),
        ("deadlines.acknowledge", "100000000"),
    ),
    "resolve-zero": (appended("[deadlines]\nresolve_general = 0"), ("resolve_general", "0")),
    "acknowledge-fraction": (appended("[deadlines]\nacknowledge = 1.5"), ("acknowledge", "1.5")),
    "acknowledge-boolean": (appended("[deadlines]\nacknowledge = true"), ("acknowledge",)),
    "cluster-window-huge": (
        appended("[escalation]\ncluster_window_days = 1000000000000"),
        ("escalation.cluster_window_days", "1000000000000"),
    ),
    "outbox-no-attempts": (
        appended("[outbox]\nmax_attempts = 0"),
        ("outbox.max_attempts", "0"),
    ),
    "official-unknown-unit": (edited('unit = "jf-edsb"', 'unit = "jf-nowhere"'), ("jf-nowhere",)),
    "official-unknown-jurisdiction": (
        edited(
            'jurisdiction = "410802"\nunit = "jf-edsb"', 'jurisdiction = "410899"\nunit = "jf-edsb"'
        ),
        ("410899",),
    ),
    "group-leader-not-head": (edited('leader = "jz-mayor"', 'leader = "jz-vm"'), ("jz-vm", "head")),
    "group-office-unknown": (edited('office = "jz-edsb"', 'office = "jz-ghost"'), ("jz-ghost",)),
    "group-of-unknown-place": (
        edited(
            'jurisdiction = "410802"\nname = "解放区服务',
            'jurisdiction = "410899"\nname = "解放区服务',
        ),
        ("410899",),
    ),
    "category-ten": (
        edited("categories = [1, 2, 3, 4, 5, 6, 7, 8, 9] }", "categories = [1, 10] }"),
        ("10",),
    ),
    "unknown-role": (edited('role = "liaison_officer"', 'role = "secretary"'), ("secretary",)),
    "unknown-key": (appended("[deadlines]\nacknowlege = 2"), ("acknowlege",)),
    "overlong-name": (
        edited('name = "周平"', f'name = "{"周" * 101}"'),
        ("name", "at most 100"),
    ),
    "empty-file": ("", ("name",)),
    "not-toml": ("name = 焦作\n", ("not valid TOML",)),
}


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "organisation.toml"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_broken_file_is_refused_naming_key_and_value(tmp_path, name):
    text, fragments = REFUSED[name]
    with pytest.raises(ConfigError) as info:
        load_org(write(tmp_path, text))
    message = str(info.value)
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, f"{name}: {fragment!r} not in {message}"


def test_a_file_with_a_byte_order_mark_loads(tmp_path):
    path = write(tmp_path, "\ufeff" + SMALL_ORG)
    assert load_org(path).organisation.root.code == "410800"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_a_gbk_file_is_refused_saying_what_to_do(tmp_path, encoding):
    with pytest.raises(ConfigError) as info:
        load_org(write(tmp_path, SMALL_ORG, encoding))
    message = str(info.value)
    assert "GBK/GB18030" in message and "UTF-8" in message
    assert "line 1," in message  # the first Chinese character, in the name on line 1


def test_a_utf16_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="UTF-16"):
        load_org(write(tmp_path, SMALL_ORG, "utf-16"))


def test_a_stray_byte_is_placed_by_line_and_column(tmp_path):
    path = tmp_path / "organisation.toml"
    raw = SMALL_ORG.encode().replace(b'"jf-edsb-head"', b'"jf-\xffedsb-head"')
    path.write_bytes(raw)
    line = SMALL_ORG[: SMALL_ORG.index('"jf-edsb-head"')].count("\n") + 1
    with pytest.raises(ConfigError, match=f"0xff at line {line}, column 10"):
        load_org(path)


def test_a_quoted_whole_number_is_read_as_the_number(tmp_path):
    org = load_org(write(tmp_path, appended('[deadlines]\nacknowledge = "3"')))
    assert org.deadlines.acknowledge == 3


def test_bounds_are_inclusive(tmp_path):
    text = appended("[deadlines]\nacknowledge = 250\n\n[outbox]\nmax_attempts = 1")
    text = text.replace("county = 2", "county = 0")
    org = load_org(write(tmp_path, text))
    assert org.deadlines.acknowledge == 250 and org.quotas.county == 0


def test_only_heads_in_charge_loads_and_every_missing_category_is_a_gap(tmp_path):
    text = edited(
        "portfolio = { categories = [1, 2, 3, 4, 5, 6, 7, 8, 9], "
        'departments = ["jz-edsb", "jz-fgw"] }',
        'portfolio = { departments = ["jz-edsb", "jz-fgw"] }',
    )
    org = load_org(write(tmp_path, text)).organisation
    missing = {int(g.subject) for g in organisation_gaps(org) if g.kind is GapKind.CATEGORY}
    assert missing == {c.value for c in Category if c.value}


def test_the_corpus_is_the_size_the_issue_asked_for():
    assert len(REFUSED) + 7 >= 38
