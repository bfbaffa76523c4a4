"""Writes of the resources feature: the catalogue of a programme (by hand and by CSV
import), and what an agent makes of a resource (started, done, useful or not)."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agents.models import Agent
from campaigns.models import Competence
from lib.drift import log_drifts
from programmes.accompaniment.resources.files import MAX_BYTES, ResourceRow, parse_resources_csv
from programmes.accompaniment.resources.selectors import counted_uses, use_counts_drift
from programmes.enums import ResourceState
from programmes.models import Programme, Resource, ResourceUse

# --- the catalogue -----------------------------------------------------------------------------

logger = logging.getLogger(__name__)


@transaction.atomic
def resource_create(
    *,
    programme: Programme,
    title: str,
    kind: str,
    competences,
    level_min: int,
    level_max: int,
    url: str = "",
    duration_minutes: int | None = None,
    provider: str = "",
    description: str = "",
) -> Resource:
    """A new active resource in the programme's catalogue."""
    resource = Resource.objects.create(
        programme=programme,
        title=title,
        kind=kind,
        level_min=level_min,
        level_max=level_max,
        url=url,
        duration_minutes=duration_minutes,
        provider=provider,
        description=description,
    )
    resource.competences.set(competences)
    return resource


@transaction.atomic
def resource_update(
    *,
    resource: Resource,
    title: str,
    kind: str,
    competences,
    level_min: int,
    level_max: int,
    url: str = "",
    duration_minutes: int | None = None,
    provider: str = "",
    description: str = "",
) -> Resource:
    """Change a resource of the catalogue; what agents did with it stays."""
    values = {
        "title": title,
        "kind": kind,
        "level_min": level_min,
        "level_max": level_max,
        "url": url,
        "duration_minutes": duration_minutes,
        "provider": provider,
        "description": description,
    }
    for name, value in values.items():
        setattr(resource, name, value)
    resource.save()
    resource.competences.set(competences)
    return resource


@transaction.atomic
def resource_set_active(*, resource: Resource, active: bool) -> Resource:
    """Retire a resource (no longer recommended nor markable; agents' marks stay) or offer
    it again. Doing what is already done changes nothing."""
    if resource.is_active != active:
        resource.is_active = active
        resource.save(update_fields=["is_active", "updated_at"])
    return resource


@dataclass
class ResourceImportReport:
    """What an import did; with errors it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = [
            ngettext("%(count)s ressource créée", "%(count)s ressources créées", self.created)
            % {"count": self.created},
            ngettext("%(count)s mise à jour", "%(count)s mises à jour", self.updated)
            % {"count": self.updated},
            ngettext("%(count)s inchangée", "%(count)s inchangées", self.unchanged)
            % {"count": self.unchanged},
        ]
        return _("Catalogue importé : %(counts)s.") % {"counts": ", ".join(parts)}


def resource_import(
    *, programme: Programme, data: bytes, max_bytes: int | None = MAX_BYTES
) -> ResourceImportReport:
    """Load a catalogue file (see `programmes.resources_csv`) into the programme: a resource
    is known by its title (case aside), so the rows of resources already in the catalogue
    update them and the others are created; resources absent from the file stay as they
    are. The file is checked whole first: a single refused row and nothing is written."""
    report = ResourceImportReport()
    competences = {c.code: c for c in Competence.objects.all()}
    parsed = parse_resources_csv(data, competence_codes=set(competences), max_bytes=max_bytes)
    if parsed.errors:
        report.errors = parsed.errors
        return report
    with transaction.atomic():
        existing = _catalogue_by_title(programme)
        for row in parsed.rows:
            wanted = {competences[code].pk for code in row.competence_codes}
            resource = _match(existing, row.title)
            if resource is None:
                _create_from_row(programme, row, wanted)
                report.created += 1
            elif _update_from_row(resource, row, wanted):
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _catalogue_by_title(programme):
    """The programme's resources with their competence ids, by title without case."""
    by_title = defaultdict(list)
    resources = (
        Resource.objects.select_for_update()
        .filter(programme=programme)
        .prefetch_related("competences")
        .order_by("pk")
    )
    for resource in resources:
        resource.competence_ids = {c.pk for c in resource.competences.all()}
        by_title[resource.title.casefold()].append(resource)
    return by_title


def _match(by_title, title):
    """The resource a row's title names: the one spelt exactly so, else one differing by
    case only (titles are unique per programme, but case apart)."""
    candidates = by_title.get(title.casefold(), [])
    exact = [resource for resource in candidates if resource.title == title]
    return (exact or candidates or [None])[0]


def _row_values(row: ResourceRow):
    return {
        "title": row.title,
        "kind": row.kind,
        "level_min": row.level_min,
        "level_max": row.level_max,
        "url": row.url,
        "duration_minutes": row.duration_minutes,
        "provider": row.provider,
        "description": row.description,
        "is_active": row.is_active,
    }


def _create_from_row(programme, row, competence_ids):
    resource = Resource.objects.create(programme=programme, **_row_values(row))
    resource.competences.set(competence_ids)


def _update_from_row(resource, row, competence_ids) -> bool:
    """Apply the row; True when something changed."""
    changed = [name for name, value in _row_values(row).items() if getattr(resource, name) != value]
    for name in changed:
        setattr(resource, name, getattr(row, name))
    if changed:
        resource.save(update_fields=[*changed, "updated_at"])
    if competence_ids != resource.competence_ids:
        resource.competences.set(competence_ids)
        if not changed:
            resource.save(update_fields=["updated_at"])
        return True
    return bool(changed)


# --- what agents make of a resource ------------------------------------------------------------


class ResourceUseRefused(Exception):
    """A mark the rules do not allow; the message says why, in French."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


ACTIONS = ("started", "done", "useful", "not_useful")


def resource_use_mark(*, agent: Agent, resource: Resource, action: str) -> ResourceUse:
    """The agent says they started a resource, finished it, or found it useful or not.
    Idempotent: marking again what is marked changes nothing (the date it was done is the
    first one); marking "started" a resource already done leaves it done. Usefulness is
    asked only once the resource is started or done."""
    if action not in ACTIONS:
        raise ResourceUseRefused(_("Action inconnue sur une ressource."))
    with transaction.atomic():
        use = ResourceUse.objects.select_for_update().filter(agent=agent, resource=resource).first()
        if action in ("useful", "not_useful"):
            if use is None:
                raise ResourceUseRefused(
                    _(
                        "Indiquez d’abord que vous avez commencé ou terminé « %(title)s » : "
                        "vous pourrez ensuite dire si elle vous a été utile."
                    )
                    % {"title": resource.title}
                )
            useful = action == "useful"
            if use.useful is not useful:
                use.useful = useful
                use.save(update_fields=["useful", "updated_at"])
            return use
        if use is None:
            use = _create_use(agent, resource)
        if action == "done" and use.state != ResourceState.DONE:
            use.state = ResourceState.DONE
            use.done_at = timezone.now()
            use.save(update_fields=["state", "done_at", "updated_at"])
    return use


def _create_use(agent, resource):
    try:
        with transaction.atomic():
            return ResourceUse.objects.create(
                agent=agent, resource=resource, state=ResourceState.STARTED
            )
    except IntegrityError:  # marked at the same moment by another request
        return ResourceUse.objects.select_for_update().get(agent=agent, resource=resource)


def use_counts_check(resources=None, *, fix=False) -> list:
    """Hold the use counters of `resources` (or all) to their uses (`manage.py
    check_progress` and its nightly task): each drift is logged as an error (the triggers
    are meant never to let one happen) and, with `fix`, rewritten. Returns the drifts."""
    drifted = use_counts_drift(resources)
    log_drifts(
        logger,
        drifted,
        "Resource use counts drifted: resource %s stored %s, counted %s",
        lambda found: (found.resource_id, found.stored, found.counted),
    )
    if fix and drifted:
        use_counts_rebuild(found.resource_id for found in drifted)
    return drifted


def use_counts_rebuild(resource_ids) -> int:
    """Rewrite the use counters of these resources from their uses (after a drift found by
    `selectors.use_counts_drift`). Returns how many resources were rewritten."""
    return Resource.objects.filter(pk__in=list(resource_ids)).update(**counted_uses())
