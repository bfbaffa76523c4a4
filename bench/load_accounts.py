"""The load test's login accounts, shared by the seed (bench/load_seed.py, run by Django's
virtualenv) and the locustfile (run by locust's own virtualenv): plain Python, no import.

One password for every account; the e-mails are numbered by role. A published password is
fine here: the accounts only exist in the throwaway load-test database.
"""

PASSWORD = "charge-pix-2026"
DOMAIN = "charge.exemple.gouv.fr"

OWNERS = 3
AMBASSADORS = 8  # two per population
MANAGERS = 110  # 100 heads of a unit (10 to 30 reports) and 10 heads of a bureau (~200)
AGENTS = 500  # five of each unit head's team


def email(role: str, number: int) -> str:
    """The login of the `number`-th account (1-based) of `role`."""
    return f"{role}{number:03d}@{DOMAIN}"


def emails(role: str) -> list[str]:
    count = {"pilote": OWNERS, "ambassadeur": AMBASSADORS, "encadrant": MANAGERS}.get(role, AGENTS)
    return [email(role, number) for number in range(1, count + 1)]
