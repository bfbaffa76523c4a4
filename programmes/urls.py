from django.urls import path, register_converter

from . import (
    urls_checkins,
    urls_mentoring,
    urls_mydata,
    urls_reminders,
    urls_resources,
    views,
    views_agents,
    views_dashboard,
    views_imports,
    views_matching,
    views_populations,
    views_team,
)

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
    path("populations/", views_populations.population_list, name="population_list"),
    path("populations/<int:pk>/", views_populations.population_detail, name="population_detail"),
    path("equipe/", views_team.team, name="team"),
    path("mon-parcours/", views_agents.my_page, name="my_page"),
    path("mon-parcours/partage/<slug:slug>/", views_agents.my_sharing, name="my_sharing"),
    path("agents/", views_agents.agent_list, name="agent_list"),
    path("agents/<int:pk>/", views_agents.agent_detail, name="agent_detail"),
]

# Managing a population: targets, enrolments (views_populations).
urlpatterns += [
    path(
        "programmes/<slug:slug>/populations/nouvelle/",
        views_populations.population_create,
        name="population_create",
    ),
    path(
        "populations/<int:pk>/modifier/",
        views_populations.population_edit,
        name="population_edit",
    ),
    path(
        "populations/<int:pk>/objectifs/",
        views_populations.population_targets,
        name="population_targets",
    ),
    path(
        "populations/<int:pk>/objectifs/historique/",
        views_populations.target_history,
        name="target_history",
    ),
    path(
        "populations/<int:pk>/agents/",
        views_populations.population_members,
        name="population_members",
    ),
    path(
        "populations/<int:pk>/agents/<int:enrolment_id>/retirer/",
        views_populations.enrolment_end,
        name="enrolment_end",
    ),
    path(
        "populations/<int:pk>/inscrire/criteres/",
        views_populations.enrolment_filter,
        name="enrolment_filter",
    ),
    path(
        "populations/<int:pk>/inscrire/liste/",
        views_populations.enrolment_paste,
        name="enrolment_paste",
    ),
]


class ExportFormatConverter:
    """The file formats a table downloads as."""

    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormatConverter, "export_format")

# The owner's dashboard, its exports, population lists as files, the access log.
urlpatterns += [
    path(
        "programmes/<slug:slug>/tableau-de-bord/",
        views_dashboard.dashboard,
        name="dashboard",
    ),
    path(
        "programmes/<slug:slug>/tableau-de-bord/export.<export_format:fmt>",
        views_dashboard.dashboard_export,
        name="dashboard_export",
    ),
    path(
        "populations/<int:pk>/agents.<export_format:fmt>",
        views_dashboard.population_export,
        name="population_export",
    ),
    path(
        "programmes/<slug:slug>/consultations/",
        views_dashboard.access_log,
        name="access_log",
    ),
    path(
        "programmes/<slug:slug>/consultations.csv",
        views_dashboard.access_log_csv,
        name="access_log_csv",
    ),
]

# Accompaniment: each feature keeps its routes in its own module.
urlpatterns += urls_checkins.urlpatterns + urls_resources.urlpatterns + urls_mentoring.urlpatterns
urlpatterns += urls_reminders.urlpatterns
urlpatterns += urls_mydata.urlpatterns  # an agent's own data, data protection
