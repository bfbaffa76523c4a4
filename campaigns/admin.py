from django.contrib import admin

from campaigns.models import (
    Campaign,
    Competence,
    CompetenceAlias,
    CompetenceResult,
    Domain,
    DomainAlias,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)


class CompetenceAliasInline(admin.TabularInline):
    model = CompetenceAlias
    extra = 0
    fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name"]


class DomainAliasInline(admin.TabularInline):
    model = DomainAlias
    extra = 0
    fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "aliases__name"]
    inlines = [DomainAliasInline]


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "domain", "pix_id"]
    list_filter = ["domain"]
    search_fields = ["code", "name", "pix_id", "aliases__name"]
    inlines = [CompetenceAliasInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "pix_id", "kind", "target_profile", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "target_profile", "organisation_name"]


@admin.register(ResultImport)
class ResultImportAdmin(admin.ModelAdmin):
    """Imports are written by the import services only: read here, never edited."""

    list_display = [
        "original_name",
        "campaign",
        "status",
        "kind",
        "uploaded_by",
        "uploaded_at",
        "rows",
        "participations_created",
        "results_created",
        "unmatched",
    ]
    list_filter = ["status", "kind", "uploaded_at"]
    search_fields = ["original_name", "sha256", "campaign__name", "campaign__code"]
    list_select_related = ["campaign", "uploaded_by"]
    date_hierarchy = "uploaded_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


class ParticipationSnapshotInline(admin.TabularInline):
    model = ParticipationSnapshot
    extra = 0
    can_delete = False
    fields = ["observed_at", "status", "progression", "stage", "shared_at", "result_import"]
    readonly_fields = fields
    ordering = ["observed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = [
        "participant_last_name",
        "participant_first_name",
        "participant_external_id",
        "campaign",
        "agent",
        "match_status",
        "status",
        "shared_at",
        "last_progress_at",
    ]
    list_filter = ["match_status", "status", "campaign__kind", "campaign"]
    search_fields = [
        "participant_last_name",
        "participant_first_name",
        "participant_external_id",
        "participant_key",
        "campaign__name",
        "campaign__code",
        "agent__last_name",
        "agent__email",
        "agent__external_id",
    ]
    list_select_related = ["campaign", "agent"]
    autocomplete_fields = ["agent"]
    inlines = [ParticipationSnapshotInline]
    readonly_fields = (
        "campaign",
        "participant_last_name",
        "participant_first_name",
        "participant_external_id",
        "participant_key",
        "row_key",
        "status",
        "progression",
        "started_at",
        "shared_at",
        "stage",
        "badges",
        "mastery_rate",
        "total_pix",
        "certifiable",
        "organisation_values",
        "results_digest",
        "first_import",
        "last_import",
        "last_progress_at",
    )
    list_display_links = ["participant_last_name"]

    def has_add_permission(self, request):
        return False


@admin.register(CompetenceResult)
class CompetenceResultAdmin(admin.ModelAdmin):
    """A result is history: never edited, never added by hand."""

    list_display = [
        "participation",
        "competence",
        "level",
        "pix",
        "mastery_rate",
        "observed_at",
        "result_import",
    ]
    list_filter = ["competence", "level"]
    search_fields = [
        "participation__participant_last_name",
        "participation__participant_external_id",
        "participation__campaign__code",
    ]
    list_select_related = ["participation__campaign", "competence", "result_import"]
    raw_id_fields = ["participation", "result_import"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
