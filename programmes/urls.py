"""Routes of the core: the populations (targets, enrolments) and the manager's team
(namespace programmes, composed with the parts' routes by config/urls.py)."""

from django.urls import path

from programmes import views

urlpatterns = [
    path("populations/", views.population_list, name="population_list"),
    path("populations/<int:pk>/", views.population_detail, name="population_detail"),
    path(
        "programmes/<slug:slug>/populations/nouvelle/",
        views.population_create,
        name="population_create",
    ),
    path(
        "populations/<int:pk>/modifier/",
        views.population_edit,
        name="population_edit",
    ),
    path(
        "populations/<int:pk>/objectifs/",
        views.population_targets,
        name="population_targets",
    ),
    path(
        "populations/<int:pk>/objectifs/historique/",
        views.target_history,
        name="target_history",
    ),
    path(
        "populations/<int:pk>/agents/",
        views.population_members,
        name="population_members",
    ),
    path(
        "populations/<int:pk>/agents/<int:enrolment_id>/retirer/",
        views.enrolment_end,
        name="enrolment_end",
    ),
    path(
        "populations/<int:pk>/inscrire/criteres/",
        views.enrolment_filter,
        name="enrolment_filter",
    ),
    path(
        "populations/<int:pk>/inscrire/liste/",
        views.enrolment_paste,
        name="enrolment_paste",
    ),
    path("equipe/", views.team, name="team"),
]
