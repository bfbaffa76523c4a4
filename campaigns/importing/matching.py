"""Matching the participants of an export to the organisation's agents.

Campaign by campaign: a participant already matched in an earlier import of the campaign
keeps their agent (so manual matches survive re-imports); else by external id (the
matricule, or the e-mail address when the campaign asks for one), then by e-mail, then by
name when exactly one agent bears it, which an ambassador must confirm. The agents are read
once per import into dictionaries: one query, whatever the number of rows. A learner Pix
anonymised (« Anonymized » « Anonymized ») is never matched, nor waits for an agent.
"""

import re
from dataclasses import dataclass

from agents.models import Agent
from campaigns.enums import MatchStatus
from campaigns.importing.keys import fold_name, person_key

_EMAIL_LABEL = re.compile(r"mail|courriel|\bmel\b")
_AMBIGUOUS = -1


@dataclass(frozen=True, slots=True)
class Match:
    agent_id: int | None
    status: str

    @property
    def is_confirmed(self) -> bool:
        return self.agent_id is not None and self.status != MatchStatus.TO_CONFIRM


UNMATCHED = Match(None, MatchStatus.UNMATCHED)
ANONYMISED = Match(None, MatchStatus.ANONYMISED)
_ANONYMISED_NAME = "anonymized"


def is_anonymised(last_name: str | None, first_name: str | None) -> bool:
    """Whether a row is a learner Pix anonymised: « Anonymized » for both names."""
    return fold_name(last_name or "") == fold_name(first_name or "") == _ANONYMISED_NAME


def label_asks_for_email(label: str | None) -> bool:
    """Whether the campaign's external id label asks for an e-mail address (« Adresse
    e-mail professionnelle », « Courriel », « Mél »…)."""
    return bool(label) and bool(_EMAIL_LABEL.search(fold_name(label)))


class AgentDirectory:
    """Every agent by e-mail, by external id and by folded name, read in one query."""

    def __init__(self, agents):
        self.by_email: dict[str, int] = {}
        self.by_external_id: dict[str, int] = {}
        self._names: list[tuple[int, str, str]] = []
        self._by_name: dict[str, int] | None = None
        for agent_id, email, external_id, last_name, first_name in agents:
            if email:
                self.by_email[email.strip().casefold()] = agent_id
            if external_id and external_id.strip():
                self.by_external_id[external_id.strip()] = agent_id
            self._names.append((agent_id, last_name, first_name))

    @classmethod
    def load(cls) -> "AgentDirectory":
        return cls(
            Agent.objects.order_by().values_list(
                "id", "email", "external_id", "last_name", "first_name"
            )
        )

    def by_name(self, last_name: str, first_name: str) -> int | None:
        """The only agent with that name, else None (none or several)."""
        if self._by_name is None:  # built on first need: most exports carry external ids
            index: dict[str, int] = {}
            for agent_id, last, first in self._names:
                key = person_key(last, first)
                index[key] = _AMBIGUOUS if key in index else agent_id
            self._by_name = index
        agent_id = self._by_name.get(person_key(last_name, first_name))
        return None if agent_id in (None, _AMBIGUOUS) else agent_id


def match_participant(
    directory: AgentDirectory,
    *,
    external_id: str | None,
    last_name: str,
    first_name: str,
    email_label: bool,
    previous: Match | None = None,
) -> Match:
    """The agent of one participant, by the rules of the module docstring. `previous` is
    how an earlier import of the campaign left this participant: kept when it names an
    agent; a participant unmatched by hand (MANUAL without agent) is not matched by name
    again."""
    if is_anonymised(last_name, first_name):
        return ANONYMISED
    if previous is not None and previous.agent_id is not None:
        return previous
    value = (external_id or "").strip()
    if value:
        by_email = directory.by_email.get(value.casefold()) if "@" in value or email_label else None
        by_external_id = directory.by_external_id.get(value)
        if email_label or "@" in value:
            if by_email is not None:
                return Match(by_email, MatchStatus.EMAIL)
            if by_external_id is not None:
                return Match(by_external_id, MatchStatus.EXTERNAL_ID)
        else:
            if by_external_id is not None:
                return Match(by_external_id, MatchStatus.EXTERNAL_ID)
    if previous is not None and previous.status == MatchStatus.MANUAL:
        return previous
    agent_id = directory.by_name(last_name, first_name)
    if agent_id is not None:
        return Match(agent_id, MatchStatus.TO_CONFIRM)
    return UNMATCHED
