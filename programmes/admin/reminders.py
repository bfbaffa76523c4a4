from django.contrib import admin

from programmes.models import (
    Digest,
    QuietPeriod,
    Reminder,
    ReminderOptOut,
    ReminderSettings,
)


class QuietPeriodInline(admin.TabularInline):
    model = QuietPeriod
    extra = 0


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["programme", "enabled", "first_after_days", "interval_days", "max_count"]
    list_filter = ["enabled"]
    search_fields = ["programme__name"]


@admin.register(QuietPeriod)
class QuietPeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "programme", "start_day", "start_month", "end_day", "end_month"]
    list_filter = ["programme"]


class OutgoingAdmin(admin.ModelAdmin):
    """The log of what was sent is written by the reminder services only."""

    list_filter = ["status", "kind", "programme"]
    readonly_fields = ["status", "attempts", "last_error", "created_at", "sent_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Reminder)
class ReminderAdmin(OutgoingAdmin):
    list_display = ["agent", "programme", "kind", "period", "status", "attempts", "sent_at"]
    search_fields = ["agent__last_name", "agent__first_name", "email"]
    list_select_related = ["agent", "programme"]
    autocomplete_fields = ["agent"]


@admin.register(Digest)
class DigestAdmin(OutgoingAdmin):
    list_display = ["recipient", "programme", "kind", "period", "status", "attempts", "sent_at"]
    search_fields = ["recipient__email", "email"]
    list_select_related = ["recipient", "programme"]


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(admin.ModelAdmin):
    list_display = ["agent", "programme", "created_at"]
    list_filter = ["programme"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email"]
    autocomplete_fields = ["agent"]
