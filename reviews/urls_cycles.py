"""Routes of the reviews cycles pages (included by reviews/urls.py)."""

from django.urls import path

from reviews import views_cycles

urlpatterns = [
    path("pilotage/", views_cycles.cycle_index, name="cycle_index"),
    path("pilotage/<slug:slug>/", views_cycles.cycle_list, name="cycle_list"),
    path("pilotage/campagne/<int:pk>/", views_cycles.cycle_detail, name="cycle_detail"),
    path(
        "pilotage/campagne/<int:pk>/synchroniser/",
        views_cycles.cycle_sync,
        name="cycle_sync",
    ),
]
