"""Routes of an agent's own data (included by programmes/urls.py, namespace programmes)."""

from django.urls import path

from . import views_mydata

urlpatterns = [
    path("mes-donnees/", views_mydata.my_data, name="my_data"),
    path("mes-donnees/export.json", views_mydata.my_data_file, name="my_data_file"),
    path(
        "protection-des-donnees/",
        views_mydata.data_protection,
        name="data_protection",
    ),
]
