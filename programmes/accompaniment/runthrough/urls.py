"""Routes of the run-through (namespace programmes, composed by config/urls.py)."""

from django.urls import path

from programmes.accompaniment.runthrough import views

urlpatterns = [
    path("points-d-etape/<int:pk>/revue/", views.milestone_run, name="milestone_run"),
    path(
        "points-d-etape/<int:pk>/revue/<int:agent_id>/ressources/<int:resource_id>/proposer/",
        views.run_resource_propose,
        name="run_resource_propose",
    ),
    path(
        "points-d-etape/<int:pk>/revue/<int:agent_id>/compagnons/<int:mentor_id>/proposer/",
        views.run_mentor_propose,
        name="run_mentor_propose",
    ),
]
