"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from an alphabet of digits and 21 letters (no I, O, Z, S, V); the last one is a
check character computed from the first 17 with fixed weights.
"""

from serviceframe.errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(value: str, field: str = "credit_code") -> str:
    """Return the code upper-cased and stripped, or raise naming the field and the value."""
    code = str(value).strip().upper()
    if len(code) != 18:
        raise ValidationError(field, value, f"must be 18 characters, got {len(code)}")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise ValidationError(
            field, value, f"character(s) {''.join(bad)} not allowed (I, O, Z, S, V are never used)"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(field, value, f"check character is {code[17]}, should be {expected}")
    return code


def is_valid_credit_code(value: str) -> bool:
    try:
        normalise_credit_code(value)
    except ValidationError:
        return False
    return True
