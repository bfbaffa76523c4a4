"""Routes of the mentoring pages (namespace programmes, composed by
config/urls.py)."""

from django.urls import path

from programmes.accompaniment.mentoring import views as views_mentoring

urlpatterns = [
    # The ambassador: requests and pairings, the volunteers.
    path(
        "programmes/<slug:slug>/compagnonnage/",
        views_mentoring.mentoring_list,
        name="mentoring_list",
    ),
    path(
        "programmes/<slug:slug>/compagnonnage/volontaires/",
        views_mentoring.mentor_list,
        name="mentor_list",
    ),
    path(
        "programmes/<slug:slug>/compagnonnage/<int:mentoring_id>/mettre-en-relation/",
        views_mentoring.mentoring_pair,
        name="mentoring_pair",
    ),
    path(
        "programmes/<slug:slug>/compagnonnage/<int:mentoring_id>/terminer/",
        views_mentoring.mentoring_end,
        name="mentoring_end",
    ),
    # The agent, from "Mon parcours" (POST only).
    path(
        "mon-parcours/compagnonnage/<slug:slug>/volontaire/",
        views_mentoring.my_mentor_volunteer,
        name="my_mentor_volunteer",
    ),
    path(
        "mon-parcours/compagnonnage/<slug:slug>/retrait/",
        views_mentoring.my_mentor_withdraw,
        name="my_mentor_withdraw",
    ),
    path(
        "mon-parcours/compagnonnage/<slug:slug>/demande/",
        views_mentoring.my_mentoring_request,
        name="my_mentoring_request",
    ),
    path(
        "mon-parcours/compagnonnage/<slug:slug>/annulation/",
        views_mentoring.my_mentoring_cancel,
        name="my_mentoring_cancel",
    ),
]
