"""Routes of the Pix imports and the matching queue (namespace programmes, composed by
config/urls.py)."""

from django.urls import path

from programmes.imports import views

urlpatterns = [
    path("importer/", views.import_start, name="import_start"),
    path(
        "programmes/<slug:slug>/imports/",
        views.import_history,
        name="import_history",
    ),
    path(
        "programmes/<slug:slug>/imports/nouveau/",
        views.import_upload,
        name="import_upload",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/",
        views.import_detail,
        name="import_detail",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/confirmer/",
        views.import_confirm,
        name="import_confirm",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/annuler/",
        views.import_cancel,
        name="import_cancel",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/fichier/",
        views.import_file,
        name="import_file",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/erreurs.csv",
        views.import_errors_csv,
        name="import_errors_csv",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/",
        views.unmatched_list,
        name="unmatched_list",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/",
        views.unmatched_detail,
        name="unmatched_detail",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/rapprocher/",
        views.unmatched_match,
        name="unmatched_match",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/confirmer/",
        views.unmatched_confirm,
        name="unmatched_confirm",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/creer-agent/",
        views.unmatched_create_agent,
        name="unmatched_create_agent",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/ecarter/",
        views.unmatched_dismiss,
        name="unmatched_dismiss",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/reintegrer/",
        views.unmatched_restore,
        name="unmatched_restore",
    ),
]
