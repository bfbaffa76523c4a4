from django.urls import path

from . import views

app_name = "agents"

urlpatterns = [
    path("agents/import/", views.agent_import, name="import"),
]
