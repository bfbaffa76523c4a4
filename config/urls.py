from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from agents import proconnect
from agents.forms import EmailAuthenticationForm
from programmes import views as programme_views

admin.site.site_header = _("Pilote Pix — administration")
admin.site.site_title = _("Pilote Pix")

urlpatterns = [
    path("", programme_views.home, name="home"),
    path("healthz/", programme_views.healthz, name="healthz"),
    path(
        "comptes/connexion/",
        proconnect.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("comptes/deconnexion/", proconnect.LogoutView.as_view(), name="logout"),
    path("comptes/proconnect/", proconnect.proconnect_login, name="proconnect_login"),
    path("comptes/proconnect/retour/", proconnect.proconnect_callback, name="proconnect_callback"),
    path(
        "comptes/mot-de-passe/oubli/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "comptes/mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "comptes/mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "comptes/mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("gestion/", admin.site.urls),
    path("", include("agents.urls")),
    path("", include("programmes.urls")),
    path("entretiens/", include("reviews.urls")),
]
