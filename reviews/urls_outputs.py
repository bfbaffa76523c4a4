"""Routes of the reviews outputs pages (included by reviews/urls.py)."""

from django.urls import path

from reviews import views_outputs

urlpatterns = [
    path("fiche/<int:pk>/pdf/", views_outputs.review_pdf, name="review_pdf"),
    path("fiche/<int:pk>/texte/", views_outputs.review_text, name="review_text"),
]
