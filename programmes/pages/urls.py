"""Routes of the pages that combine several parts: the programmes, « Mon parcours », the
agents (namespace programmes, composed by config/urls.py)."""

from django.urls import path

from programmes.pages import views

urlpatterns = [
    path("a-faire/", views.todo, name="todo"),
    path("mon-parcours/", views.my_page, name="my_page"),
    path("mon-parcours/partage/<slug:slug>/", views.my_sharing, name="my_sharing"),
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme_detail"),
]
