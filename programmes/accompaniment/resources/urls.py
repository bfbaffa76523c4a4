"""Routes of the resources pages (namespace programmes, composed by
config/urls.py)."""

from django.urls import path

from programmes.accompaniment.resources import views

urlpatterns = [
    path("programmes/<slug:slug>/ressources/", views.resource_list, name="resource_list"),
    path(
        "programmes/<slug:slug>/ressources/nouvelle/",
        views.resource_create,
        name="resource_create",
    ),
    path(
        "programmes/<slug:slug>/ressources/<int:pk>/modifier/",
        views.resource_edit,
        name="resource_edit",
    ),
    path(
        "programmes/<slug:slug>/ressources/<int:pk>/retirer/",
        views.resource_retire,
        name="resource_retire",
    ),
    path(
        "programmes/<slug:slug>/ressources/<int:pk>/proposer/",
        views.resource_restore,
        name="resource_restore",
    ),
    path(
        "programmes/<slug:slug>/ressources/export.csv",
        views.resource_export,
        name="resource_export",
    ),
    path(
        "programmes/<slug:slug>/ressources/import/",
        views.resource_import,
        name="resource_import",
    ),
    path("mon-parcours/ressources/<int:pk>/", views.resource_mark, name="resource_mark"),
]
