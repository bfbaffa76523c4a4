"""Routes of an agent's own data, the data-protection page and the access log (namespace
programmes, composed by config/urls.py)."""

from django.urls import path

from programmes.privacy import views

urlpatterns = [
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/export.json", views.my_data_file, name="my_data_file"),
    path("mes-donnees/export.xlsx", views.my_data_workbook, name="my_data_workbook"),
    path("mes-donnees/a-imprimer/", views.my_data_print, name="my_data_print"),
    path(
        "protection-des-donnees/",
        views.data_protection,
        name="data_protection",
    ),
    path(
        "programmes/<slug:slug>/consultations/",
        views.access_log,
        name="access_log",
    ),
    path(
        "programmes/<slug:slug>/consultations.csv",
        views.access_log_csv,
        name="access_log_csv",
    ),
]
