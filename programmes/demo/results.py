"""Pix Orga exports of the demo, made in Pix's exact format and imported through the real
services, so that the demo shows results, progress over several months and a queue of
participants to match.

Two campaigns followed by the programme: a profiles collection (levels on the 16
competences), exported six times, and an assessment on the « Parcours Pix FPE — socle »
(mastery rates, stages, a badge), exported with the last four, all dated by the demo's
calendar (`dates`: the last export two days before the seeding day). Each export is the state of the
campaign at its date: more agents start and send over time, many send again with higher
levels (Pix's « envoi multiple »: the latest sent participation and a newer one under way),
some start and never send, some never start. A few participants match no agent (the queue)
and two only by name (to confirm).

`plan_exports` is plain Python, no database: the same seed gives byte-identical files, so
`build_results` skips an export already imported (same SHA-256) and seeding twice changes
nothing.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from campaigns import pix_writer
from campaigns.pix_writer import PixCampaign, PixParticipant, PixResult
from programmes.demo.data import SEED
from programmes.demo.dates import DemoCalendar
from programmes.demo.plan import AGENT, MANAGER, POPULATIONS, OrgPlan, PlannedAgent

PARIS = pix_writer.PARIS
ORGANISATION_NAME = "DREETS Occitanie"
EXTERNAL_ID_LABEL = "Matricule"
ALL_CODES = pix_writer.ALL_COMPETENCE_CODES
HIGHEST_LEVEL = 7  # the highest level reachable today


def _paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


PROFILES = PixCampaign(
    pix_id=410001,
    code="DREETSCOL26",
    name="Collecte de profils 2026 — DREETS Occitanie",
    kind=pix_writer.KIND_PROFILES,
    organisation_name=ORGANISATION_NAME,
    external_id_label=EXTERNAL_ID_LABEL,
)

# The parcours: its competences and how many of their skills it tests.
SOCLE_SKILLS = {"1.1": 8, "2.1": 6, "2.3": 6, "3.1": 7, "4.1": 8, "4.2": 6}
SOCLE_BADGE = "Socle numérique FPE"
SOCLE_BADGE_RATE = Decimal("0.7")
SOCLE_STAGES = (Decimal("0"), Decimal("0.2"), Decimal("0.4"), Decimal("0.6"), Decimal("0.8"))
SOCLE = PixCampaign(
    pix_id=410002,
    code="DREETSFPE26",
    name="Parcours Pix FPE — socle",
    kind=pix_writer.KIND_ASSESSMENT,
    organisation_name=ORGANISATION_NAME,
    target_profile="Pix FPE — Socle de compétences numériques",
    external_id_label=EXTERNAL_ID_LABEL,
    stage_count=len(SOCLE_STAGES) - 1,
    badge_names=(SOCLE_BADGE,),
    competence_codes=tuple(SOCLE_SKILLS),
)

# People who took part but are no agent of the directorate (a newcomer missing from the HR
# file, a trainee, a colleague of another directorate…), with what they typed as matricule.
STRANGERS = (
    ("Peyrolles", "Anouk", "DR31207"),
    ("Estrade", "Titouan", "STAGIAIRE"),
    ("Vayssière", "Clarisse", "clarisse.vayssiere@travail.gouv.fr"),
    ("Al-Mansour", "Rayan", "DR9O4512"),
)
OTHER_PARTICIPANTS = 12  # agents in no population who took part anyway

# When people first appear in a campaign (index of the export), None: never.
_START_WEIGHTS = ((0, 22), (1, 16), (2, 14), (3, 12), (4, 10), (5, 7), (None, 19))
_SOCLE_START_WEIGHTS = ((0, 36), (1, 26), (2, 14), (3, 3), (None, 21))
# The share of each population scripted to reach every target, at one export or another.
REACHERS = {"assistants": 0.25, "encadrants": 0.2, "informaticiens": 0.2}
_STALLED = 0.12  # started, never sent
_SENT_AT_ONCE = 0.45  # started and sent between two exports
_SENDS_NEXT = 0.7  # a sending under way is sent by the next export
_SENDS_AGAIN = 0.25  # someone who sent starts a new sending before the next export

# Where a population starts, per competence: (offset from its target, level elsewhere).
_BASELINE = {
    "assistants": (-1.3, 1.0),
    "encadrants": (-1.0, 1.6),
    "informaticiens": (-1.4, 2.6),
    None: (0.0, 1.5),
}


@dataclass(frozen=True)
class Attempt:
    """One participation: under way from export `open_from` (None: started and sent between
    two exports), sent by export `sent_at` (None: not yet at the last export)."""

    open_from: int | None
    sent_at: int | None


# Léa Fontanel, the demo agent: three sendings, seen in the second, fourth and fifth
# exports (the second one under way in the third); her levels rise on the targets of her
# population until only the security one is missed. Levels in ALL_CODES order.
_LEA_BASE = dict(zip(ALL_CODES, (2, 1, 1, 2, 1, 1, 1, 2, 0, 1, 0, 1, 1, 1, 0, 1), strict=True))
LEA_PROFILES = (Attempt(None, 1), Attempt(2, 3), Attempt(None, 4))
# The parcours: started before its second export and sent by the third, then taken again
# and sent by the last one (a few weeks ago).
LEA_SOCLE = (Attempt(1, 2), Attempt(None, 3))
LEA_SOCLE_ABILITY = (0.52, 0.74)
LEA_LEVELS = (
    _LEA_BASE,
    {**_LEA_BASE, "1.1": 3, "1.2": 2, "2.2": 2, "3.1": 3, "4.1": 2, "3.3": 2},
    {**_LEA_BASE, "1.1": 3, "1.2": 2, "2.1": 3, "2.2": 2, "2.3": 2, "3.1": 3, "4.1": 2, "3.3": 2},
)


ENROLLED, VOLUNTEER, BY_NAME, STRANGER = "enrolled", "volunteer", "by_name", "stranger"


@dataclass
class Person:
    last_name: str
    first_name: str
    external_id: str  # as typed in Pix: "" when left out
    kind: str  # ENROLLED, VOLUNTEER (an agent in no population), BY_NAME, STRANGER
    population: str | None = None  # key of _BASELINE
    targets: dict[str, int] = field(default_factory=dict)
    demo_agent: bool = False  # Léa Fontanel: a scripted progression
    must_send: bool = False  # the manager's team: the demo needs their results
    reaches_targets: bool = False  # a handful reach every target of their population


@dataclass(frozen=True)
class DemoExport:
    campaign: PixCampaign
    exported_at: datetime.datetime
    participants: tuple[PixParticipant, ...]

    @property
    def filename(self) -> str:
        return pix_writer.export_filename(self.campaign, self.exported_at)

    def content(self) -> bytes:
        return pix_writer.export_bytes(self.campaign, self.participants)


_POPULATION_KEYS = ("assistants", "encadrants", "informaticiens")


def _people(plan: OrgPlan, rng: random.Random) -> list[Person]:
    """Who may take part: the enrolled agents, a few others, two known only by their name,
    and the strangers."""
    people, others = [], []
    cast = {planned.external_id for planned in plan.people.values()}
    demo_agent = plan.people[AGENT.role].external_id
    team_lead = plan.people[MANAGER.role].external_id
    for planned in plan.agents:
        specs = [
            (key, spec)
            for key, spec in zip(_POPULATION_KEYS, POPULATIONS, strict=True)
            if spec.includes(planned)
        ]
        if not specs:
            if planned.external_id not in cast:
                others.append(planned)
            continue
        targets: dict[str, int] = {}
        for _key, spec in specs:
            for code, level, _deadline in spec.targets:
                targets[code] = max(level, targets.get(code, 0))
        people.append(
            _person(
                planned,
                ENROLLED,
                population=specs[0][0],
                targets=targets,
                demo_agent=planned.external_id == demo_agent,
                must_send=planned.manager_id == team_lead,
            )
        )
    lucky = rng.sample(others, OTHER_PARTICIPANTS + 2)
    people += [_person(planned, VOLUNTEER) for planned in lucky[:OTHER_PARTICIPANTS]]
    # Matched by name only: one left the matricule out, one dropped a digit of it.
    no_id, typo = lucky[OTHER_PARTICIPANTS:]
    people.append(_person(no_id, BY_NAME, external_id=""))
    people.append(_person(typo, BY_NAME, external_id=typo.external_id[:-1]))
    names = {(a.last_name.casefold(), a.first_name.casefold()) for a in plan.agents}
    ids = {a.external_id for a in plan.agents} | {a.email for a in plan.agents}
    for last_name, first_name, external_id in STRANGERS:
        if (last_name.casefold(), first_name.casefold()) in names or external_id in ids:
            raise ValueError(f"Demo stranger {first_name} {last_name} matches an agent")
        people.append(Person(last_name, first_name, external_id, STRANGER))
    return people


def _person(planned: PlannedAgent, kind: str, **values) -> Person:
    values.setdefault("external_id", planned.external_id)
    return Person(planned.last_name, planned.first_name, kind=kind, **values)


def _attempts(
    rng: random.Random, exports: int, *, start=..., stalled=None, must_send=False
) -> list[Attempt]:
    """A participant's participations over `exports` exports, drawn at random."""
    if start is ...:
        start = _weighted(rng, _START_WEIGHTS)
    if stalled is None:
        stalled = rng.random() < _STALLED
    if start is None:
        return []
    attempts, index = [], start
    while index < exports:
        if stalled:
            attempts.append(Attempt(index, None))
            break
        if rng.random() < _SENT_AT_ONCE:
            attempts.append(Attempt(None, index))
        else:
            sent = index + 1
            while sent < exports and rng.random() >= _SENDS_NEXT:
                sent += 1
            attempts.append(Attempt(index, sent if sent < exports else None))
        if attempts[-1].sent_at is None:
            break
        index = attempts[-1].sent_at + 1
        while index < exports and rng.random() >= _SENDS_AGAIN:
            index += 1
    if must_send and attempts and attempts[-1].sent_at is None:
        # Sent by the export before the last one, or the last one if opened too late.
        last = attempts[-1]
        sent = max(last.open_from + 1, exports - 2) if exports > 2 else exports - 1
        sent = min(sent, exports - 1)
        opened = last.open_from if last.open_from < sent else None
        attempts[-1] = Attempt(opened, sent)
    return attempts


def _weighted(rng: random.Random, weights):
    values, counts = zip(*weights, strict=True)
    return rng.choices(values, counts)[0]


def _spread(rng: random.Random, count: int, weights) -> list:
    """`count` values in the proportions of `weights` (largest remainders), shuffled: the
    demo's figures do not hang on the luck of the draw."""
    total = sum(weight for _value, weight in weights)
    shares = [(value, count * weight / total) for value, weight in weights]
    numbers = {value: int(share) for value, share in shares}
    by_remainder = sorted(shares, key=lambda item: item[1] - int(item[1]), reverse=True)
    for value, _share in by_remainder[: count - sum(numbers.values())]:
        numbers[value] += 1
    values = [value for value, _weight in weights for _ in range(numbers[value])]
    rng.shuffle(values)
    return values


def _moment(rng: random.Random, low: datetime.datetime, high: datetime.datetime):
    """A working-hours time, in Paris, strictly between two dates a few weeks apart."""
    days = (high.date() - low.date()).days
    day = low.date() + datetime.timedelta(days=rng.randint(1, max(days - 1, 1)))
    return _paris(day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60))


def _windows(opened, exports):
    """The period before each export, from the previous one (or the campaign's opening)."""
    return list(zip((opened, *exports[:-1]), exports, strict=True))


@dataclass
class _Timed:
    """A participation with its times and, once sent, its results."""

    attempt: Attempt
    started_at: datetime.datetime
    shared_at: datetime.datetime | None
    results: tuple[PixResult, ...] = ()


def _timed(rng, attempts, windows) -> list[_Timed]:
    timed = []
    for attempt in attempts:
        if attempt.open_from is not None:
            started = _moment(rng, *windows[attempt.open_from])
            shared = None if attempt.sent_at is None else _moment(rng, *windows[attempt.sent_at])
        else:
            shared = _moment(rng, *windows[attempt.sent_at])
            started = shared - datetime.timedelta(minutes=rng.randint(25, 140))
        timed.append(_Timed(attempt, started, shared))
    return timed


def _rows_at(index: int, timed: list[_Timed]):
    """The participations the export number `index` shows, as (participation, sent): the
    latest one sent (Pix leaves out those a newer sending improved) and one under way."""
    sent = [item for item in timed if item.attempt.sent_at is not None]
    sent = [item for item in sent if item.attempt.sent_at <= index]
    if sent:
        yield sent[-1], True
    for item in timed:
        attempt = item.attempt
        opened = attempt.open_from is not None and attempt.open_from <= index
        if opened and (attempt.sent_at is None or attempt.sent_at > index):
            yield item, False


def _exports(campaign, times, rows_by_export) -> list[DemoExport]:
    return [
        DemoExport(campaign, exported_at, tuple(_pix_order(rows)))
        for exported_at, rows in zip(times, rows_by_export, strict=True)
    ]


# Profiles collection.


def _baseline_levels(rng: random.Random, person: Person) -> dict[str, int]:
    offset, elsewhere = _BASELINE[person.population]
    levels = {}
    for code in ALL_CODES:
        mean = person.targets[code] + offset if code in person.targets else elsewhere
        levels[code] = min(max(round(rng.gauss(mean, 0.8)), 0), HIGHEST_LEVEL - 2)
    return levels


def _raised(rng: random.Random, levels: dict, targets: dict) -> dict[str, int]:
    raised = {}
    for code, level in levels.items():
        draw = rng.random()
        step = 2 if draw < 0.08 else 1 if draw < (0.6 if code in targets else 0.3) else 0
        raised[code] = min(level + step, HIGHEST_LEVEL)
    return raised


def _sendings_levels(rng, person: Person, count: int) -> list[dict[str, int]]:
    """The levels of each sending of a person, never going down."""
    if person.demo_agent:
        return [dict(levels) for levels in LEA_LEVELS[:count]]
    levels = _baseline_levels(rng, person)
    sendings = []
    for number in range(count):
        if number:
            levels = _raised(rng, levels, person.targets)
        if person.reaches_targets and number == count - 1:
            levels = {
                code: max(level, person.targets.get(code, 0)) for code, level in levels.items()
            }
        sendings.append(levels)
    return sendings


def _profile_results(rng, person: Person, sent: list[_Timed]) -> None:
    """Levels and pix for each sending: pix within the level, neither going down."""
    previous: dict[str, int] = {}
    for item, levels in zip(sent, _sendings_levels(rng, person, len(sent)), strict=True):
        pix = {}
        for code, level in levels.items():
            value = level * 8 + (rng.randrange(8) if level or rng.random() < 0.5 else 0)
            pix[code] = max(value, previous.get(code, 0))
        item.results = tuple(
            PixResult(code, level=levels[code], pix=pix[code]) for code in ALL_CODES
        )
        previous = pix


def _profiles_exports(
    rng, people: list[Person], schedules: dict, calendar: DemoCalendar
) -> list[DemoExport]:
    windows = _windows(calendar.profiles_opened, calendar.profiles_exports)
    rows_by_export: list[list[PixParticipant]] = [[] for _ in calendar.profiles_exports]
    for person in people:
        timed = _timed(rng, schedules[id(person)], windows)
        _profile_results(rng, person, [item for item in timed if item.attempt.sent_at is not None])
        for index, rows in enumerate(rows_by_export):
            for item, shared in _rows_at(index, timed):
                rows.append(
                    PixParticipant(
                        last_name=person.last_name,
                        first_name=person.first_name,
                        external_id=person.external_id,
                        shared=shared,
                        shared_at=item.shared_at if shared else None,
                        results=item.results if shared else (),
                    )
                )
    return _exports(PROFILES, calendar.profiles_exports, rows_by_export)


# Assessment.


def _socle_results(rng, person: Person, timed: list[_Timed]) -> None:
    """Skills validated per competence of the parcours, better at each new participation."""
    ability = min(max(rng.gauss(0.5, 0.15), 0.15), 0.85)
    for number, item in enumerate(timed):
        if person.demo_agent:
            ability = LEA_SOCLE_ABILITY[number]
        elif number:
            ability = min(ability + rng.uniform(0.05, 0.2), 1.0)
        item.results = tuple(
            PixResult(
                code,
                skills_total=count,
                skills_validated=min(max(round(count * rng.gauss(ability, 0.12)), 0), count),
            )
            for code, count in SOCLE_SKILLS.items()
        )


def _socle_row(person: Person, item: _Timed, shared: bool, index: int) -> PixParticipant:
    names = {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "external_id": person.external_id,
        "started_at": item.started_at,
    }
    if not shared:  # a little further at the next export, then stuck there
        done = min(index - item.attempt.open_from + 1, 2)
        progression = min(15 + 30 * done + item.started_at.day % 10, 95)
        return PixParticipant(**names, progression=Decimal(progression) / 100)
    rate = pix_writer.rate(
        sum(result.skills_validated for result in item.results),
        sum(result.skills_total for result in item.results),
    )
    stage = max(number for number, low in enumerate(SOCLE_STAGES) if rate >= low)
    return PixParticipant(
        **names,
        shared=True,
        shared_at=item.shared_at,
        progression=Decimal(1),
        stage=stage,
        badges=(SOCLE_BADGE,) if rate >= SOCLE_BADGE_RATE else (),
        results=item.results,
    )


def _socle_exports(rng, people: list[Person], calendar: DemoCalendar) -> list[DemoExport]:
    """The parcours, launched later, proposed to the assistants and the managers."""
    windows = _windows(calendar.socle_opened, calendar.socle_exports)
    rows_by_export: list[list[PixParticipant]] = [[] for _ in calendar.socle_exports]
    for person in people:
        if person.population not in ("assistants", "encadrants"):
            continue
        if person.demo_agent:
            attempts = LEA_SOCLE
        else:
            start = _weighted(rng, _SOCLE_START_WEIGHTS)
            attempts = _attempts(rng, len(windows), start=start, must_send=person.must_send)
        timed = _timed(rng, attempts, windows)
        _socle_results(rng, person, timed)
        for index, rows in enumerate(rows_by_export):
            rows += [
                _socle_row(person, item, shared, index) for item, shared in _rows_at(index, timed)
            ]
    return _exports(SOCLE, calendar.socle_exports, rows_by_export)


def _pix_order(rows: list[PixParticipant]) -> list[PixParticipant]:
    return sorted(rows, key=lambda row: (row.last_name.casefold(), row.first_name.casefold()))


def _scripted(person: Person) -> bool:
    return person.demo_agent or person.reaches_targets or person.must_send


def plan_exports(plan: OrgPlan, *, calendar: DemoCalendar, seed: int = SEED) -> list[DemoExport]:
    """The demo's exports, oldest first within each campaign, dated by `calendar`: the same
    bytes for the same plan, seed and calendar."""
    rng = random.Random(f"pix-exports-{seed}")
    people = _people(plan, rng)
    exports = len(calendar.profiles_exports)
    # A fifth to a quarter of each population reach every target, at exports spread over
    # the year: the share at target rises month after month.
    reach_at = {}
    for key in _POPULATION_KEYS:
        candidates = [
            p
            for p in people
            if p.kind == ENROLLED and p.population == key and not (p.must_send or p.demo_agent)
        ]
        chosen = rng.sample(candidates, round(REACHERS[key] * len(candidates)))
        indexes = _spread(rng, len(chosen), [(index, 1) for index in range(1, exports)])
        for person, index in zip(chosen, indexes, strict=True):
            person.reaches_targets = True
            reach_at[id(person)] = index
    drawn = [p for p in people if p.kind == ENROLLED and not _scripted(p)]
    starts = dict(zip(map(id, drawn), _spread(rng, len(drawn), _START_WEIGHTS), strict=True))
    schedules = {}
    for person in people:
        if person.demo_agent:
            attempts = list(LEA_PROFILES)
        elif person.reaches_targets:
            index = reach_at[id(person)]
            attempts = [Attempt(None, index - 1), Attempt(None, index)]
        elif person.must_send:
            start = rng.choice((0, 1))
            attempts = _attempts(rng, exports, start=start, stalled=False, must_send=True)
        elif person.kind == ENROLLED:
            attempts = _attempts(rng, exports, start=starts[id(person)])
        elif person.kind == VOLUNTEER:  # in the exports because they started
            attempts = _attempts(rng, exports, start=rng.randrange(exports))
        else:  # to match by hand: their results wait for it
            start = rng.randrange(3)
            attempts = _attempts(rng, exports, start=start, stalled=False, must_send=True)
        schedules[id(person)] = attempts
    return [
        *_profiles_exports(rng, people, schedules, calendar),
        *_socle_exports(rng, people, calendar),
    ]
