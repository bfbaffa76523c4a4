from django.contrib import admin

from programmes.imports.services import campaign_share
from programmes.models import (
    CampaignOwnership,
    CampaignShare,
    DismissedParticipant,
    Enrolment,
    PopulationStat,
    Programme,
    ProgrammeImport,
    ResultAccessLog,
    SharingConsent,
    Target,
    TargetChange,
    TargetPopulation,
)


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


@admin.register(DismissedParticipant)
class DismissedParticipantAdmin(admin.ModelAdmin):
    """Participants a programme said are not in its organisation (the matching queue's
    « Pas dans notre organisation »); deleting one puts the participant back in the queue."""

    list_display = ["participant_key", "programme", "by", "at"]
    list_filter = ["programme"]
    search_fields = ["participant_key"]
    list_select_related = ["programme", "by"]
    readonly_fields = ["programme", "participant_key", "by", "at"]

    def has_add_permission(self, request):
        return False


@admin.register(CampaignOwnership)
class CampaignOwnershipAdmin(admin.ModelAdmin):
    """The programme each campaign belongs to (set by its first import); staff may correct it."""

    list_display = ["campaign", "programme", "since", "first_import"]
    list_filter = ["programme"]
    search_fields = ["campaign__name", "campaign__code", "programme__name"]
    list_select_related = ["campaign", "programme", "first_import"]
    raw_id_fields = ["first_import"]


@admin.register(CampaignShare)
class CampaignShareAdmin(admin.ModelAdmin):
    """Campaigns followed by a programme other than their owner: a share added here is agreed
    by the staff member who adds it, and the programme follows the campaign at once."""

    list_display = ["campaign", "programme", "shared_by", "shared_at"]
    list_filter = ["programme"]
    search_fields = ["campaign__name", "campaign__code", "programme__name"]
    list_select_related = ["campaign", "programme", "shared_by"]
    fields = ["campaign", "programme", "shared_by", "shared_at"]
    readonly_fields = ["shared_by", "shared_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        share = campaign_share(campaign=obj.campaign, programme=obj.programme, by=request.user)
        obj.pk = share.pk

    def delete_model(self, request, obj):
        """Ending a share: the programme no longer follows the campaign."""
        obj.programme.campaigns.remove(obj.campaign_id)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for share in queryset.select_related("programme"):
            self.delete_model(request, share)
