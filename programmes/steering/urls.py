"""Routes of the owner's dashboard, its exports and the population lists as files (namespace
programmes, composed by config/urls.py)."""

from django.urls import path, register_converter

from programmes.steering import views


class ExportFormatConverter:
    """The file formats a table downloads as."""

    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormatConverter, "export_format")

urlpatterns = [
    path(
        "programmes/<slug:slug>/tableau-de-bord/",
        views.dashboard,
        name="dashboard",
    ),
    path(
        "programmes/<slug:slug>/tableau-de-bord/export.<export_format:fmt>",
        views.dashboard_export,
        name="dashboard_export",
    ),
    path(
        "programmes/<slug:slug>/comite-de-pilotage/",
        views.committee_report,
        name="committee_report",
    ),
    path(
        "programmes/<slug:slug>/comite-de-pilotage.pdf",
        views.committee_report_pdf,
        name="committee_report_pdf",
    ),
    path(
        "populations/<int:pk>/agents.<export_format:fmt>",
        views.population_export,
        name="population_export",
    ),
]
