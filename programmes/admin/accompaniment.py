from django.contrib import admin

from programmes.accompaniment.checkins.services import (
    milestone_counts_refresh,
    milestone_counts_refresh_all,
)
from programmes.models import (
    Barrier,
    CheckIn,
    Mentor,
    Mentoring,
    Milestone,
    Resource,
    ResourceUse,
)


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
