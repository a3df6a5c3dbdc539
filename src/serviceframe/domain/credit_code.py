"""The unified social credit code (统一社会信用代码), GB 32100-2015.

Checked by python-stdnum's ``cn.uscc`` (length, form, check character); this module only turns
its verdicts into messages that name what is wrong and what it should be. stdnum wants the first
eight characters to be digits (registration authority, kind, GB/T 2260 region): so they are for
every enterprise registered with market regulation (91…, 92…, 93…), which is whom serviceframe
registers.
"""

from serviceframe.errors import ValidationError

# python-stdnum is imported where a code is checked: every command that reads issues imports
# this module, few of them check a code.

# The characters GB 32100 uses (no I, O, Z, S, V): to name the ones a clerk mistyped.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    from stdnum.cn import uscc

    return uscc.calc_check_digit(first17)


def normalise_credit_code(value: str, field: str = "credit_code") -> str:
    """Return the code upper-cased without spaces, or raise naming the field and the value."""
    from stdnum import exceptions
    from stdnum.cn import uscc

    code = uscc.compact(str(value))
    try:
        return uscc.validate(code)
    except exceptions.InvalidLength:
        raise ValidationError(field, value, f"must be 18 characters, got {len(code)}") from None
    except exceptions.InvalidChecksum:
        expected = check_character(code[:17])
        raise ValidationError(
            field, value, f"check character is {code[17]}, should be {expected}"
        ) from None
    except (
        exceptions.ValidationError
    ):  # the form: characters outside the alphabet, or letters early
        bad = sorted({ch for ch in code if ch not in ALPHABET})
        if bad:
            reason = f"character(s) {''.join(bad)} not allowed (I, O, Z, S, V are never used)"
        else:
            reason = "the first 8 characters are digits (registration authority, kind, region code)"
        raise ValidationError(field, value, reason) from None


def is_valid_credit_code(value: str) -> bool:
    try:
        normalise_credit_code(value)
    except ValidationError:
        return False
    return True
