from django.contrib import admin

from .models import (
    Barrier,
    CheckIn,
    Digest,
    Enrolment,
    Mentor,
    Mentoring,
    Milestone,
    PopulationStat,
    Programme,
    ProgrammeImport,
    QuietPeriod,
    Reminder,
    ReminderOptOut,
    ReminderSettings,
    Resource,
    ResourceUse,
    ResultAccessLog,
    SharingConsent,
    Target,
    TargetChange,
    TargetPopulation,
)
from .services_checkins import milestone_counts_refresh, milestone_counts_refresh_all


class TargetPopulationInline(admin.TabularInline):
    model = TargetPopulation
    extra = 0
    fields = ["name"]
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "purpose", "start_date", "end_date", "stall_threshold_days"]
    list_filter = ["purpose", "start_date"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["owners", "ambassadors", "campaigns"]
    inlines = [TargetPopulationInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["competence", "campaign"]


@admin.register(TargetPopulation)
class TargetPopulationAdmin(admin.ModelAdmin):
    list_display = ["name", "programme"]
    list_filter = ["programme"]
    search_fields = ["name", "programme__name"]
    filter_horizontal = ["ambassadors"]
    inlines = [TargetInline]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = [
        "population",
        "kind",
        "competence",
        "level",
        "mastery_rate",
        "stage",
        "deadline",
    ]
    list_filter = ["kind", "population__programme", "competence"]
    search_fields = ["population__name", "competence__name", "competence__code"]
    autocomplete_fields = ["population", "competence", "campaign"]
    list_select_related = ["population__programme", "competence"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["agent", "population", "start_date", "end_date"]
    list_filter = ["population__programme", "population", "end_date"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email", "agent__external_id"]
    autocomplete_fields = ["agent", "population"]
    list_select_related = ["agent", "population__programme"]
    date_hierarchy = "start_date"


@admin.register(SharingConsent)
class SharingConsentAdmin(admin.ModelAdmin):
    list_display = ["agent", "programme", "granted_at", "revoked_at"]
    list_filter = ["programme", "revoked_at"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email"]
    autocomplete_fields = ["agent", "programme"]


@admin.register(ResultAccessLog)
class ResultAccessLogAdmin(admin.ModelAdmin):
    list_display = ["viewed_at", "viewer", "agent", "programme", "path"]
    list_filter = ["programme"]
    search_fields = ["viewer__email", "agent__last_name", "agent__email"]
    date_hierarchy = "viewed_at"
    list_select_related = ["viewer", "agent", "programme"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TargetChange)
class TargetChangeAdmin(admin.ModelAdmin):
    """Append-only: the dated history of each population's targets."""

    list_display = ["changed_at", "population", "action", "kind", "competence", "changed_by"]
    list_filter = ["action", "kind", "population__programme"]
    search_fields = ["population__name", "competence__code", "changed_by__email"]
    date_hierarchy = "changed_at"
    list_select_related = ["population", "competence", "changed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PopulationStat)
class PopulationStatAdmin(admin.ModelAdmin):
    list_display = ["population", "on", "enrolled", "reached", "stalled", "not_started"]
    list_filter = ["population__programme", "population"]
    date_hierarchy = "on"
    list_select_related = ["population"]


@admin.register(ProgrammeImport)
class ProgrammeImportAdmin(admin.ModelAdmin):
    list_display = ["programme", "result_import"]
    list_filter = ["programme"]
    list_select_related = ["programme", "result_import"]


@admin.register(Barrier)
class BarrierAdmin(admin.ModelAdmin):
    list_display = ["label", "programme", "position", "is_active"]
    list_filter = ["programme", "is_active"]
    search_fields = ["label"]


class CheckInInline(admin.TabularInline):
    model = CheckIn
    extra = 0
    fields = ["agent", "status", "next_step", "next_step_due", "recorded_by"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "population", "date"]
    list_filter = ["population__programme", "date"]
    search_fields = ["title", "population__name"]
    autocomplete_fields = ["population"]
    list_select_related = ["population__programme"]
    inlines = [CheckInInline]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["agent", "milestone", "status", "next_step_due", "recorded_at"]
    list_filter = ["milestone__population__programme", "status"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email", "milestone__title"]
    autocomplete_fields = ["agent", "milestone"]
    filter_horizontal = ["barriers"]
    list_select_related = ["agent", "milestone__population"]

    # The dashboard reads the milestones' counts: keep them right after an edit here.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        milestone_counts_refresh(milestone=form.instance.milestone)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        milestone_counts_refresh(milestone=obj.milestone)

    def delete_queryset(self, request, queryset):
        milestones = list(Milestone.objects.filter(checkins__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        milestone_counts_refresh_all(milestones=milestones)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "kind", "level_min", "level_max", "is_active"]
    list_filter = ["programme", "kind", "is_active"]
    search_fields = ["title", "provider", "description"]
    filter_horizontal = ["competences"]


@admin.register(ResourceUse)
class ResourceUseAdmin(admin.ModelAdmin):
    list_display = ["resource", "agent", "state", "useful", "updated_at"]
    list_filter = ["resource__programme", "state", "useful"]
    search_fields = ["resource__title", "agent__last_name", "agent__email"]
    autocomplete_fields = ["agent", "resource"]
    list_select_related = ["resource", "agent"]


@admin.register(Mentor)
class MentorAdmin(admin.ModelAdmin):
    list_display = ["agent", "competence", "programme", "since", "withdrawn_at"]
    list_filter = ["programme", "competence", "withdrawn_at"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email"]
    autocomplete_fields = ["agent", "competence"]
    list_select_related = ["agent", "competence", "programme"]


@admin.register(Mentoring)
class MentoringAdmin(admin.ModelAdmin):
    list_display = ["mentee", "competence", "mentor", "requested_at", "paired_at", "ended_at"]
    list_filter = ["programme", "competence", "ended_at"]
    search_fields = ["mentee__last_name", "mentee__first_name", "mentee__email"]
    autocomplete_fields = ["mentee", "competence", "mentor"]
    list_select_related = ["mentee", "competence", "mentor__agent"]


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
