from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme_detail"),
    path("populations/", views.population_list, name="population_list"),
    path("populations/<int:pk>/", views.population_detail, name="population_detail"),
    path("equipe/", views.team, name="team"),
    path("mon-parcours/", views.my_page, name="my_page"),
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
]
