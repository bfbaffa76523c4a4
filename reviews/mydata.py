"""The agent's annual review sheets in their data export ("Mes données"): the sheets that
concern them, as they may read them (a sheet still to prepare is not theirs to read yet)."""

from reviews.models import Review, ReviewState


def reviews_of_agent(agent) -> list[dict]:
    """Every sheet about `agent` they may read: its year, manager, state, written fields,
    objectives and addenda. Three queries."""
    reviews = (
        Review.objects.filter(agent=agent)
        .exclude(state=ReviewState.TO_PREPARE)
        .select_related("cycle__programme", "manager")
        .prefetch_related("objectives__competence", "addenda")
        .order_by("cycle__year", "pk")
    )
    return [
        {
            "programme": review.cycle.programme.name,
            "annee": review.cycle.year,
            "encadrant": review.manager.full_name if review.manager else None,
            "etat": review.get_state_display(),
            "date_entretien": review.meeting_on.isoformat() if review.meeting_on else None,
            "competences_acquises": review.acquired_skills,
            "besoins_de_formation": review.training_needs,
            "formations_souhaitees": review.trainings_wanted,
            "perspectives": review.prospects,
            "informe_droits_cpf": review.cpf_informed,
            "commentaire_encadrant": review.manager_comment,
            "commentaire_agent": review.agent_comment,
            "objectifs": [
                {"competence": o.competence.code, "niveau": o.level}
                for o in review.objectives.all()
            ],
            "addenda": [
                {"date": a.created_at.isoformat(), "texte": a.text} for a in review.addenda.all()
            ],
        }
        for review in reviews
    ]
