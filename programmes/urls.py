from django.urls import path

from . import views, views_imports, views_matching

app_name = "programmes"

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme_detail"),
    path(
        "programmes/<slug:slug>/imports/",
        views_imports.import_history,
        name="import_history",
    ),
    path(
        "programmes/<slug:slug>/imports/nouveau/",
        views_imports.import_upload,
        name="import_upload",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/",
        views_imports.import_detail,
        name="import_detail",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/confirmer/",
        views_imports.import_confirm,
        name="import_confirm",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/annuler/",
        views_imports.import_cancel,
        name="import_cancel",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/fichier/",
        views_imports.import_file,
        name="import_file",
    ),
    path(
        "programmes/<slug:slug>/imports/<int:import_id>/erreurs.csv",
        views_imports.import_errors_csv,
        name="import_errors_csv",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/",
        views_matching.unmatched_list,
        name="unmatched_list",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/",
        views_matching.unmatched_detail,
        name="unmatched_detail",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/rapprocher/",
        views_matching.unmatched_match,
        name="unmatched_match",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/confirmer/",
        views_matching.unmatched_confirm,
        name="unmatched_confirm",
    ),
    path(
        "programmes/<slug:slug>/participants-a-rapprocher/<int:participation_id>/creer-agent/",
        views_matching.unmatched_create_agent,
        name="unmatched_create_agent",
    ),
    path("populations/", views.population_list, name="population_list"),
    path("populations/<int:pk>/", views.population_detail, name="population_detail"),
    path("equipe/", views.team, name="team"),
    path("mon-parcours/", views.my_page, name="my_page"),
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
]
