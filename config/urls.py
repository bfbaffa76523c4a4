from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from agents import proconnect
from agents.forms import EmailAuthenticationForm
from programmes import urls as core_urls
from programmes.accompaniment.checkins import urls as checkins_urls
from programmes.accompaniment.mentoring import urls as mentoring_urls
from programmes.accompaniment.resources import urls as resources_urls
from programmes.accompaniment.runthrough import urls as runthrough_urls
from programmes.imports import urls as imports_urls
from programmes.pages import urls as pages_urls
from programmes.pages import views as programme_views
from programmes.privacy import urls as privacy_urls
from programmes.reminders import urls as reminders_urls
from programmes.steering import urls as steering_urls

# The programmes app's parts keep their routes beside them; they share one namespace.
programme_routes = [
    *core_urls.urlpatterns,
    *imports_urls.urlpatterns,
    *checkins_urls.urlpatterns,
    *runthrough_urls.urlpatterns,
    *resources_urls.urlpatterns,
    *mentoring_urls.urlpatterns,
    *reminders_urls.urlpatterns,
    *steering_urls.urlpatterns,
    *privacy_urls.urlpatterns,
    *pages_urls.urlpatterns,
]

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
    path("", include((programme_routes, "programmes"))),
    path("entretiens/", include("reviews.urls")),
    path("", include("legal.urls")),
]
