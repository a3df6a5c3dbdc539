"""The unified social credit code (GB 32100-2015): the check character catches every typo."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceframe.domain.credit_code import (
    ALPHABET,
    check_character,
    is_valid_credit_code,
    normalise_credit_code,
)
from serviceframe.errors import ValidationError

# Codes of real, public registrations (Shenzhen); the second ends in a letter.
PUBLIC = ["914403001922038216", "9144030071526726XG"]


def test_alphabet_is_the_standards():
    assert len(ALPHABET) == 31
    assert set("IOZSV").isdisjoint(ALPHABET)


@pytest.mark.parametrize("code", PUBLIC)
def test_public_codes_are_valid(code):
    assert is_valid_credit_code(code)
    assert normalise_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", PUBLIC)
def test_every_single_character_change_is_caught(code):
    missed = []
    for position in range(18):
        for ch in ALPHABET:
            if ch == code[position]:
                continue
            changed = code[:position] + ch + code[position + 1 :]
            if is_valid_credit_code(changed):
                missed.append(changed)
    assert missed == []


@pytest.mark.parametrize("code", PUBLIC)
def test_every_adjacent_swap_is_caught(code):
    for i in range(17):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert not is_valid_credit_code(swapped), swapped


def test_lowercase_and_spaces_are_accepted_and_normalised():
    assert normalise_credit_code(" 9144030071526726xg ") == "9144030071526726XG"
    assert is_valid_credit_code("9144030071526726xg")


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_named(letter):
    code = "91440300715267" + letter + "6XG"
    with pytest.raises(ValidationError) as info:
        normalise_credit_code(code)
    assert letter in info.value.reason
    assert "not allowed" in info.value.reason
    assert info.value.value == code


@pytest.mark.parametrize(
    ("code", "length"),
    [("91440300192203821", 17), ("9144030019220382161", 19), ("", 0), ("9144", 4)],
)
def test_wrong_length_names_the_length(code, length):
    with pytest.raises(ValidationError) as info:
        normalise_credit_code(code)
    assert "18 characters" in str(info.value)
    assert f"got {length}" in str(info.value)


def test_wrong_check_character_names_the_right_one():
    with pytest.raises(ValidationError) as info:
        normalise_credit_code("914403001922038217", field="统一社会信用代码")
    message = str(info.value)
    assert "统一社会信用代码" in message
    assert "914403001922038217" in message
    assert "should be 6" in message


def test_letters_in_the_region_code_are_named():
    with pytest.raises(ValidationError, match="first 8 characters are digits"):
        normalise_credit_code("91A403001922038216")


def test_spaces_and_hyphens_between_groups_are_dropped():
    assert normalise_credit_code("91 440300-192203821 6") == "914403001922038216"


def test_a_missing_value_is_invalid_not_a_crash():
    assert not is_valid_credit_code(None)  # type: ignore[arg-type]


# Registration authority, kind and GB/T 2260 region are digits; then the organisation code.
prefixes = st.builds(
    str.__add__,
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


@given(prefix=prefixes, position=st.integers(0, 17), replacement=st.sampled_from(ALPHABET))
def test_generated_codes_are_valid_and_any_change_breaks_them(prefix, position, replacement):
    code = prefix + check_character(prefix)
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())
    changed = code[:position] + replacement + code[position + 1 :]
    assert is_valid_credit_code(changed) == (changed == code)
