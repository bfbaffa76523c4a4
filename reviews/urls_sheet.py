"""Routes of the reviews sheet pages (included by reviews/urls.py)."""

from django.urls import path

from reviews import views_sheet

urlpatterns = [
    path("campagnes/<int:pk>/mon-equipe/", views_sheet.cycle_team, name="cycle_team"),
    path("mes-entretiens/", views_sheet.my_reviews, name="my_reviews"),
    path("fiche/<int:pk>/", views_sheet.review_detail, name="review_detail"),
    path("fiche/<int:pk>/preparee/", views_sheet.review_mark_prepared, name="review_mark_prepared"),
    path(
        "fiche/<int:pk>/commentaire/",
        views_sheet.review_agent_comment,
        name="review_agent_comment",
    ),
    path("fiche/<int:pk>/partager/", views_sheet.review_share, name="review_share"),
    path("fiche/<int:pk>/addendum/", views_sheet.review_addendum, name="review_addendum"),
    path("fiche/<int:pk>/tenu/", views_sheet.review_hold, name="review_hold"),
    path("fiche/<int:pk>/cloturer/", views_sheet.review_close, name="review_close"),
    path(
        "fiche/<int:pk>/versions/<int:number>/",
        views_sheet.review_version,
        name="review_version",
    ),
]
