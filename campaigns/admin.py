from django.contrib import admin

from .models import Campaign, Competence, CompetenceAlias, Domain, DomainAlias


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
