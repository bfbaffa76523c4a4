"""Routes of the legal pages (namespace legal, composed by config/urls.py)."""

from django.urls import path

from legal import views

app_name = "legal"
urlpatterns = [
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
]
