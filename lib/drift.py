"""The nightly checks of stored state (`manage.py check_progress`): what drifted, logged
as errors (nothing stored is meant ever to drift, so each one is a bug in a write path)."""

# Drifts logged one by one; past that, their number only.
SHOWN = 100


def log_drifts(logger, drifted: list, line: str, describe, total: str | None = None) -> None:
    """Log the first SHOWN of `drifted` as errors, `line` %-formatted with `describe(found)`
    (a tuple), then `total` with their number when there are more."""
    for found in drifted[:SHOWN]:
        logger.error(line, *describe(found))
    if total is not None and len(drifted) > SHOWN:
        logger.error(total, len(drifted))


def live_ids(drifted: list) -> dict:
    """The ids of the drifted enrolments by their live value (`found.live`,
    `found.enrolment_id`), for `write_by_value`."""
    ids: dict = {}
    for found in drifted:
        ids.setdefault(found.live, []).append(found.enrolment_id)
    return ids


def write_by_value(queryset, field: str, ids_by_value: dict, chunk: int = 10_000) -> int:
    """Give the rows of `queryset` whose ids are listed under a value that value of `field`:
    one UPDATE per value and chunk of ids. Returns how many rows it wrote."""
    written = 0
    for value, ids in ids_by_value.items():
        for start in range(0, len(ids), chunk):
            written += queryset.filter(pk__in=ids[start : start + chunk]).update(**{field: value})
    return written
