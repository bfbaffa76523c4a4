from django.urls import path

from agents import views

app_name = "agents"

urlpatterns = [
    path("agents/import/", views.agent_import, name="import"),
]
