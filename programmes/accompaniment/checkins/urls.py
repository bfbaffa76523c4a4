"""Routes of the checkins pages (namespace programmes, composed by
config/urls.py)."""

from django.urls import path

from programmes.accompaniment.checkins import views

urlpatterns = [
    # The barrier list of a programme (its owners and staff).
    path("programmes/<slug:slug>/freins/", views.barrier_list, name="barrier_list"),
    path(
        "programmes/<slug:slug>/freins/<int:barrier_id>/",
        views.barrier_edit,
        name="barrier_edit",
    ),
    path(
        "programmes/<slug:slug>/freins/<int:barrier_id>/deplacer/",
        views.barrier_move,
        name="barrier_move",
    ),
    path(
        "programmes/<slug:slug>/freins/<int:barrier_id>/retirer/",
        views.barrier_retire,
        name="barrier_retire",
    ),
    path(
        "programmes/<slug:slug>/freins/<int:barrier_id>/retablir/",
        views.barrier_restore,
        name="barrier_restore",
    ),
    # Milestones of a population (the run-through: accompaniment.runthrough).
    path("populations/<int:pk>/points-d-etape/", views.milestone_list, name="milestone_list"),
    path(
        "populations/<int:pk>/points-d-etape/nouveau/",
        views.milestone_create,
        name="milestone_create",
    ),
    path("points-d-etape/<int:pk>/", views.milestone_detail, name="milestone_detail"),
    path("points-d-etape/<int:pk>/modifier/", views.milestone_edit, name="milestone_edit"),
    path("points-d-etape/<int:pk>/supprimer/", views.milestone_delete, name="milestone_delete"),
]
