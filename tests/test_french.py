"""French as the French write it: dates, numbers and sizes through lib.french, and no known wrong
form in any template, any Python string of the apps or the translation catalogue."""

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import formats, timezone, translation

from lib import french

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted(
    path for path in (ROOT / "templates").rglob("*") if path.suffix in (".html", ".txt")
)
APP_CODE = sorted(
    path
    for package in ("agents", "campaigns", "programmes", "reviews", "lib", "config")
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
)
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# Where a date pattern may be written: the one place that names them, and the Pix Orga export
# format that the test files imitate (its dates are Pix's, not ours).
PATTERNS_ALLOWED_IN = {ROOT / "lib" / "french.py", ROOT / "campaigns" / "pix_writer.py"}

# (what is wrong, how to find it). Each is checked against a planted example below.
WRONG_IN_TEXT = [
    ("« auto-évaluation » : l’application dit « auto-positionnement »", r"auto-?[ée]valuation"),
    ("« Mio », « Kio » : en français, « Mo », « Ko »", r"\d\s*[KMGT]io\b"),
    ("une année répétée autour d’un tiret (« 2026 — 2026 »)", r"\b(\d{4})\s*[—–-]\s*\1\b"),
    ("deux espaces avant une ponctuation", r"\S {2,}[;:!?»]"),
    ("mois abrégé de Django (« Jui » pour juin et juillet)", r"\b\d{1,2} (?:Jui|Jul|Aoû|Fév)\b"),
]
# Words the UI says one way: not checked in code, where recognising a Pix column named
# « courriel » is right.
WRONG_WORDS = [("« courriel » : l’application dit « e-mail »", r"\bcourriels?\b")]
# The app writes most apostrophes ’ and some ' (the e-mails): one sentence mixing both is wrong.
WRONG_IN_STRINGS = [
    ("apostrophes droite et typographique dans une même phrase", r"(?s)^(?=.*\w’\w)(?=.*\w'\w).*"),
]
WRONG_IN_TEMPLATES = [
    # ISO dates (« 2026-07-03 ») are for machines: <input type="date"> values, attributes.
    (
        "filtre date avec un format écrit sur place : lib/french.py les nomme",
        r"\|date:(?![\"']Y-m-d[\"'])",
    ),
    ("`filesizeformat` écrit « Mio » : utiliser |filesize", r"filesizeformat"),
]
WRONG_IN_CODE = [
    ("format de date écrit sur place : lib/french.py les nomme", r"date_format\(\s*[^)]*,"),
    ("strftime : lib/french.py nomme les formats", r"\.strftime\("),
    # Day first is a date for people (lib.french); « {today:%Y-%m-%d} » in a file name is not.
    ("date formatée dans une f-string", r"\{[^{}]+:%[dm]"),
    ("`filesizeformat` écrit « Mio » : utiliser lib.french.filesize", r"filesizeformat\("),
]


def _catalogue_entries():
    """Each entry of the French catalogue as (msgid, [msgid, msgid_plural, msgstr…]), the
    continuation lines joined; obsolete entries (« #~ ») left out."""
    entries, current = [], None
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
        if match:
            if match.group(1) == "msgid":
                entries.append([])
            current = [match.group(2)]
            entries[-1].append(current)
        elif line.startswith('"') and current is not None:
            current.append(line[1:-1])
        else:
            current = None
    texts = [["".join(parts).replace('\\"', '"') for parts in entry] for entry in entries]
    return [(entry[0], entry) for entry in texts if entry[0]]


def _sources_text() -> str:
    text = "".join(path.read_text(encoding="utf-8") for path in TEMPLATES + APP_CODE)
    return re.sub(r"\s+", " ", text)


def _offences(text: str, rules) -> list[str]:
    return [
        f"{label} : {match.group(0)!r}"
        for label, pattern in rules
        for match in re.finditer(pattern, text)
    ]


@pytest.mark.parametrize(
    "rules, planted",
    [
        (WRONG_IN_TEXT, "Votre auto-évaluation"),
        (WRONG_IN_TEXT, "Fichier de 6,5 Mio"),
        (WRONG_IN_TEXT, "Entretiens de mon équipe — Pix 2026 — 2026"),
        (WRONG_WORDS, "Votre courriel"),
        (WRONG_IN_STRINGS, "L’import n'a rien changé"),
        (WRONG_IN_TEXT, "Attention  : rien n’est enregistré"),
        (WRONG_IN_TEXT, "partagé le 3 Jui 2026"),
        (WRONG_IN_TEMPLATES, '{{ day|date:"j M Y" }}'),
        (WRONG_IN_TEMPLATES, "{{ size|filesizeformat }}"),
        (WRONG_IN_CODE, "f\"{months[0]['on']:%m/%Y}\""),
        (WRONG_IN_CODE, 'formats.date_format(day, "j F Y")'),
        (WRONG_IN_CODE, 'day.strftime("%d/%m/%Y")'),
        (WRONG_IN_CODE, 'f"le {day:%d/%m/%Y}"'),
    ],
)
def test_each_rule_finds_its_planted_wrong_form(rules, planted):
    assert _offences(planted, rules), planted


@pytest.mark.parametrize(
    "right",
    [
        "Votre auto-positionnement",
        "Fichier de 6,5 Mo",
        "Entretiens de mon équipe — Pix pour tous 2026",
        "Campagne 2026 — 2027",
        "Votre adresse e-mail",
        "L’import n’a rien changé",
        "L'import n'a rien changé",
        "Attention : rien n’est enregistré",
        "partagé le 3 juil. 2026",
    ],
)
def test_the_rules_leave_right_forms_alone(right):
    assert not _offences(right, WRONG_IN_TEXT + WRONG_WORDS + WRONG_IN_STRINGS), right


def test_iso_dates_for_machines_are_allowed_in_templates():
    assert not _offences("value=\"{{ on|date:'Y-m-d' }}\"", WRONG_IN_TEMPLATES)


TEMPLATE_RULES = WRONG_IN_TEXT + WRONG_WORDS + WRONG_IN_TEMPLATES


def test_no_template_holds_a_known_wrong_form():
    offences = [
        f"{path.relative_to(ROOT)} : {offence}"
        for path in TEMPLATES
        for offence in _offences(
            path.read_text(encoding="utf-8"), WRONG_IN_TEXT + WRONG_IN_TEMPLATES
        )
    ]
    assert not offences, "\n".join(offences)


def test_no_app_code_writes_its_own_date_pattern_or_a_known_wrong_form():
    offences = [
        f"{path.relative_to(ROOT)} : {offence}"
        for path in APP_CODE
        if path not in PATTERNS_ALLOWED_IN
        for offence in _offences(path.read_text(encoding="utf-8"), WRONG_IN_TEXT + WRONG_IN_CODE)
    ]
    assert not offences, "\n".join(offences)


def test_no_catalogue_string_holds_a_known_wrong_form():
    """A wrong form fixed in the sources stays in the catalogue until the next makemessages,
    which marks its entry obsolete: an entry whose msgid no longer appears in the sources is
    not held against the catalogue (the sources themselves are checked above)."""
    entries = _catalogue_entries()
    assert len(entries) > 100  # the catalogue was read
    offences = _catalogue_offences(entries, _sources_text())
    assert not offences, "\n".join(offences)


def test_the_catalogue_check_reports_live_entries_and_excuses_stale_ones():
    live = ("Votre auto-évaluation", ["Votre auto-évaluation", "Votre auto-évaluation"])
    translated = ("Votre fiche", ["Votre fiche", "Votre fichier de 6,5 Mio"])
    stale = ("Ancienne auto-évaluation", ["Ancienne auto-évaluation", ""])
    sources = '{% translate "Votre auto-évaluation" %} _("Votre fiche")'
    offences = _catalogue_offences([live, translated, stale], sources)
    assert len(offences) == 3 and not any("Ancienne" in offence for offence in offences)


def _catalogue_offences(entries, sources: str) -> list[str]:
    return [
        offence
        for msgid, texts in entries
        if re.sub(r"\s+", " ", msgid.replace("\\n", "\n")) in sources
        for text in texts
        for offence in _offences(text, WRONG_IN_TEXT + WRONG_WORDS + WRONG_IN_STRINGS)
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_template_compiles(path):
    get_template(str(path.relative_to(ROOT / "templates")))


# --- The named formats -------------------------------------------------------------------------

JULY_3 = datetime.date(2026, 7, 3)
AFTERNOON = datetime.datetime(2026, 7, 3, 12, 5, tzinfo=datetime.UTC)  # 14:05 in Paris


@pytest.mark.parametrize(
    "function, value, expected",
    [
        (french.long_date, JULY_3, "3 juillet 2026"),
        (french.short_date, JULY_3, "3 juil. 2026"),
        (french.short_date, datetime.date(2026, 6, 3), "3 juin 2026"),
        (french.short_date, datetime.date(2026, 1, 3), "3 janv. 2026"),
        (french.short_date, datetime.date(2026, 2, 3), "3 févr. 2026"),
        (french.date_time, AFTERNOON, "3 juillet 2026 à 14:05"),
        (french.day_month, JULY_3, "3 juillet"),
        (french.month_year, JULY_3, "juillet 2026"),
        (french.weekday_date, JULY_3, "vendredi 3 juillet 2026"),
        (french.month_numeric, JULY_3, "07/2026"),
        (french.file_date, JULY_3, "03/07/2026"),
        (french.file_date_time, AFTERNOON, "03/07/2026 14:05"),
        (french.long_date, None, ""),
        (french.number, 30000, "30\u00a0000"),
        (french.number, 12, "12"),
        (french.number, "moins de 5", "moins de 5"),
        (french.number, None, ""),
        (french.filesize, 6.5 * 1024 * 1024, "6,5\u00a0Mo"),
        (french.filesize, 10 * 1024 * 1024, "10\u00a0Mo"),
        (french.filesize, 2048, "2\u00a0Ko"),
        (french.filesize, 1000, "1\u00a0000\u00a0octets"),
        (french.filesize, 1, "1\u00a0octet"),
    ],
)
def test_named_formats_write_french(function, value, expected):
    with translation.override("fr"):
        assert function(value) == expected


@pytest.mark.parametrize(
    "function, pattern",
    [
        (french.long_date, french.LONG_DATE),
        (french.date_time, french.DATE_TIME),
        (french.day_month, french.DAY_MONTH),
        (french.month_year, french.MONTH_YEAR),
    ],
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_spelled_out_formats_write_what_django_writes(function, pattern, language):
    """The formats written without DateFormat give its text: every month, early years, both
    ends of the day, naive and aware values, in the active language."""
    paris = ZoneInfo("Europe/Paris")
    values = [
        datetime.date(2026, month, day) for month in range(1, 13) for day in (1, 9, 28 - month)
    ]
    values += [datetime.date(987, 3, 4), datetime.datetime(2026, 3, 29, 0, 59)]
    values += [
        datetime.datetime(2026, 10, 25, hour, 7, tzinfo=datetime.UTC) for hour in (0, 1, 12, 23)
    ]
    with translation.override(language), timezone.override(paris):
        for value in values:
            if pattern == french.DATE_TIME and not isinstance(value, datetime.datetime):
                continue  # a date has no time to write (DateFormat refuses it)
            aware = isinstance(value, datetime.datetime) and timezone.is_aware(value)
            expected = formats.date_format(timezone.localtime(value) if aware else value, pattern)
            assert function(value) == expected, value


def test_the_filters_are_there_in_every_template_without_load():
    template = Template(
        "{{ day|long_date }} · {{ day|short_date }} · {{ moment|date_time }} · {{ n|number }}"
        " · {{ size|filesize }} · {{ missing|long_date|default:'—' }}"
    )
    context = Context({"day": JULY_3, "moment": AFTERNOON, "n": 30000, "size": 6_815_744})
    with translation.override("fr"), timezone.override(ZoneInfo("Europe/Paris")):
        rendered = template.render(context)
    assert rendered == (
        "3 juillet 2026 · 3 juil. 2026 · 3 juillet 2026 à 14:05 · 30\u00a0000 · 6,5\u00a0Mo · —"
    )
