"""Reading identifiers from query strings, whatever people (or robots) type there."""

# More digits than any primary key: beyond, the database would refuse the number.
MAX_ID_DIGITS = 18


def int_param(value: str | None) -> int | None:
    """The positive integer `value` spells in ASCII digits, else None.

    `str.isdigit()` is not enough: "²" or "٣" are digits to it, and `int()` refuses the first.
    """
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None
