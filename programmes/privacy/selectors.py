"""Everything the application holds about one agent, for their right of access ("Mes
données"): a plain dict with French keys, ready for JSON, read in a fixed number of queries
whatever the amount of data.

Higher apps (reviews) may add their part without programmes importing them: they call
`register_export_section(key, builder)` from their AppConfig.ready(), where `builder(agent)`
returns JSON-ready data in a fixed number of queries.
"""

from collections.abc import Callable

from django.db.models import Prefetch
from django.utils import timezone

from agents.models import Agent
from campaigns.models import CompetenceResult, ParticipationSnapshot
from programmes.models import (
    CheckIn,
    Enrolment,
    Mentor,
    Mentoring,
    PersonalTarget,
    Reminder,
    ReminderOptOut,
    ResourceUse,
    ResultAccessLog,
    SharingConsent,
)

FORMAT_VERSION = 1
# The key under which the reviews app would register its section.
REVIEWS_KEY = "entretiens_professionnels"

# key -> builder(agent); filled by other apps at start-up (see the module docstring).
_EXTRA_SECTIONS: dict[str, Callable] = {}


def register_export_section(key: str, builder: Callable) -> None:
    """Add a section to every agent's data export (idempotent: the same key replaces)."""
    _EXTRA_SECTIONS[key] = builder


def unregister_export_section(key: str) -> None:
    _EXTRA_SECTIONS.pop(key, None)


def agent_of_user(user):
    """The agent linked to the account, with what their identity section shows, or None."""
    if not user.is_authenticated:
        return None
    return Agent.objects.select_related("org_unit", "manager", "user").filter(user=user).first()


def _user_label(user):
    if user is None:
        return None
    return {"nom": user.get_full_name() or None, "email": user.email}


def _identity(agent):
    manager = agent.manager
    return {
        "nom": agent.last_name,
        "prenom": agent.first_name,
        "email": agent.email,
        "matricule": agent.external_id,
        "fonction": agent.job_title,
        "actif": agent.is_active,
        "unite": agent.org_unit.path if agent.org_unit_id else None,
        "responsable": (
            {"nom": manager.last_name, "prenom": manager.first_name, "email": manager.email}
            if manager
            else None
        ),
        "compte": agent.user.email if agent.user_id else None,
        "cree_le": agent.created_at,
        "modifie_le": agent.updated_at,
    }


def _enrolments(agent):
    rows = Enrolment.objects.filter(agent=agent).select_related("population__programme")
    return [
        {
            "programme": e.population.programme.name,
            "finalite": e.population.programme.get_purpose_display(),
            "population": e.population.name,
            "depuis_le": e.start_date,
            "sorti_le": e.end_date,
        }
        for e in rows.order_by("start_date", "pk")
    ]


def _participations(agent):
    rows = (
        agent.participations.select_related("campaign")
        .prefetch_related(
            Prefetch(
                "results",
                queryset=CompetenceResult.objects.select_related("competence").order_by(
                    "competence__position", "observed_at"
                ),
            ),
            Prefetch("snapshots", queryset=ParticipationSnapshot.objects.order_by("observed_at")),
        )
        .order_by("campaign__name", "row_key", "pk")
    )
    return [
        {
            "campagne": p.campaign.name,
            "code_campagne": p.campaign.code,
            "type_campagne": p.campaign.get_kind_display(),
            "nom_dans_pix": p.participant_last_name,
            "prenom_dans_pix": p.participant_first_name,
            "identifiant_externe": p.participant_external_id,
            "statut": p.get_status_display(),
            "progression": p.progression,
            "commencee_le": p.started_at,
            "partagee_le": p.shared_at,
            "palier": p.stage,
            "taux_de_maitrise": p.mastery_rate,
            "pix_total": p.total_pix,
            "resultats_thematiques": p.badges,
            "colonnes_organisation": p.organisation_values,
            "historique": [
                {
                    "observe_le": s.observed_at,
                    "statut": s.get_status_display(),
                    "progression": s.progression,
                    "palier": s.stage,
                }
                for s in p.snapshots.all()
            ],
            "resultats": [
                {
                    "competence": f"{r.competence.code} {r.competence.name}",
                    "observe_le": r.observed_at,
                    "niveau": r.level,
                    "pix": r.pix,
                    "taux_de_maitrise": r.mastery_rate,
                }
                for r in p.results.all()
            ],
        }
        for p in rows
    ]


def _checkins(agent):
    rows = (
        CheckIn.objects.filter(agent=agent)
        .select_related("milestone__population__programme", "recorded_by")
        .prefetch_related("barriers")
        .order_by("milestone__date", "pk")
    )
    return [
        {
            "programme": c.milestone.population.programme.name,
            "point_d_etape": c.milestone.title,
            "date": c.milestone.date,
            "situation": c.get_status_display(),
            "objectifs_atteints": c.targets_met,
            "objectifs_fixes": c.targets_set,
            "freins": [b.label for b in c.barriers.all()],
            "commentaire": c.comment,
            "prochaine_etape": c.next_step,
            "pour_le": c.next_step_due,
            "saisi_par": _user_label(c.recorded_by),
            "saisi_le": c.recorded_at,
        }
        for c in rows
    ]


def _resource_uses(agent):
    rows = ResourceUse.objects.filter(agent=agent).select_related("resource__programme")
    return [
        {
            "programme": u.resource.programme.name,
            "ressource": u.resource.title,
            "etat": u.get_state_display(),
            "utile": u.useful,
            "commencee_le": u.started_at,
            "terminee_le": u.done_at,
        }
        for u in rows.order_by("started_at", "pk")
    ]


def _mentoring(agent):
    requests = (
        Mentoring.objects.filter(mentee=agent)
        .select_related("programme", "competence", "mentor__agent")
        .order_by("requested_at", "pk")
    )
    offers = (
        Mentor.objects.filter(agent=agent)
        .select_related("programme", "competence")
        .order_by("since", "pk")
    )
    return {
        "demandes": [
            {
                "programme": m.programme.name,
                "competence": f"{m.competence.code} {m.competence.name}",
                "demandee_le": m.requested_at,
                "compagnon": m.mentor.agent.full_name if m.mentor_id else None,
                "mis_en_relation_le": m.paired_at,
                "terminee_le": m.ended_at,
            }
            for m in requests
        ],
        "offres_de_compagnon": [
            {
                "programme": o.programme.name,
                "competence": f"{o.competence.code} {o.competence.name}",
                "depuis_le": o.since,
                "retiree_le": o.withdrawn_at,
            }
            for o in offers
        ],
    }


def _consents(agent):
    rows = SharingConsent.objects.filter(agent=agent).select_related("programme")
    return [
        {
            "programme": c.programme.name,
            "partage_avec": "votre encadrant direct",  # whom the consent names, no one above
            "accorde_le": c.granted_at,
            "retire_le": c.revoked_at,
        }
        for c in rows.order_by("granted_at", "pk")
    ]


def _personal_targets(agent):
    rows = PersonalTarget.objects.filter(agent=agent).select_related("programme", "competence")
    return [
        {
            "programme": t.programme.name,
            "competence": f"{t.competence.code} {t.competence.name}",
            "niveau_vise": t.level,
            "a_partir_du": t.valid_from,
            "origine": t.source,
        }
        for t in rows.order_by("valid_from", "pk")
    ]


def _reminders(agent):
    rows = Reminder.objects.filter(agent=agent).select_related("programme")
    opt_outs = ReminderOptOut.objects.filter(agent=agent).select_related("programme")
    return {
        "recues": [
            {
                "programme": r.programme.name,
                "motif": r.get_kind_display(),
                "jour": r.period,
                "adresse": r.email,
                "etat": r.get_status_display(),
                "envoyee_le": r.sent_at,
            }
            for r in rows.order_by("created_at", "pk")
        ],
        "desabonnements": [
            {"programme": o.programme.name, "le": o.created_at}
            for o in opt_outs.order_by("created_at", "pk")
        ],
    }


def _access_log(agent):
    rows = ResultAccessLog.objects.filter(agent=agent).select_related("viewer", "programme")
    return [
        {
            "consulte_par": _user_label(log.viewer),
            "programme": log.programme.name if log.programme_id else None,
            "le": log.viewed_at,
            "page": log.path,
        }
        for log in rows.order_by("viewed_at", "pk")
    ]


def agent_data(agent) -> dict:
    """Everything held about `agent`, section by section (keys documented on the page)."""
    data = {
        "a_propos": {
            "format": FORMAT_VERSION,
            "genere_le": timezone.now(),
            "description": (
                "Données personnelles détenues par Pilote Pix sur l'agent, au titre de son "
                "droit d'accès (RGPD, art. 15)."
            ),
        },
        "identite": _identity(agent),
        "inscriptions": _enrolments(agent),
        "participations_pix": _participations(agent),
        "points_d_etape": _checkins(agent),
        "ressources_suivies": _resource_uses(agent),
        "compagnonnage": _mentoring(agent),
        "consentements_de_partage": _consents(agent),
        "objectifs_personnels": _personal_targets(agent),
        "relances": _reminders(agent),
        "consultations_de_vos_resultats": _access_log(agent),
    }
    for key, builder in _EXTRA_SECTIONS.items():
        data[key] = builder(agent)
    if REVIEWS_KEY not in data:
        data["a_propos"]["non_inclus"] = [
            "Les fiches d'entretien professionnel ne figurent pas dans ce fichier : elles "
            "sont consultables et téléchargeables (PDF) dans « Mes entretiens »."
        ]
    return data
