"""Routes of the reminders pages (namespace programmes, composed by
config/urls.py)."""

from django.urls import path

from programmes.reminders import unsubscribe as views_unsubscribe
from programmes.reminders import views as views_reminders

urlpatterns = [
    # Public: the signed token of a reminder's unsubscribe link (also one-click, RFC 8058).
    path(
        "desabonnement/<str:token>/",
        views_unsubscribe.reminder_unsubscribe,
        name="reminder_unsubscribe",
    ),
    # The programme's reminders pages (views_reminders): rules, preview, log, failures.
    path(
        "programmes/<slug:slug>/relances/",
        views_reminders.reminder_overview,
        name="reminder_overview",
    ),
    path(
        "programmes/<slug:slug>/relances/regles/",
        views_reminders.reminder_rules,
        name="reminder_rules",
    ),
    path(
        "programmes/<slug:slug>/relances/periodes/",
        views_reminders.quiet_period_add,
        name="quiet_period_add",
    ),
    path(
        "programmes/<slug:slug>/relances/periodes/<int:period_id>/supprimer/",
        views_reminders.quiet_period_delete,
        name="quiet_period_delete",
    ),
    path(
        "programmes/<slug:slug>/relances/apercu/",
        views_reminders.reminder_preview,
        name="reminder_preview",
    ),
    path(
        "programmes/<slug:slug>/relances/apercu/<int:agent_id>/",
        views_reminders.reminder_preview_email,
        name="reminder_preview_email",
    ),
    path(
        "programmes/<slug:slug>/relances/envois/",
        views_reminders.reminder_log,
        name="reminder_log",
    ),
    path(
        "programmes/<slug:slug>/relances/envois/relance/<int:reminder_id>/renvoyer/",
        views_reminders.reminder_retry,
        name="reminder_retry",
    ),
    path(
        "programmes/<slug:slug>/relances/envois/synthese/<int:digest_id>/renvoyer/",
        views_reminders.digest_retry,
        name="digest_retry",
    ),
]
