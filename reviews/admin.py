from django.contrib import admin

from reviews.models import Review, ReviewAddendum, ReviewCycle, ReviewObjective, ReviewVersion


@admin.register(ReviewCycle)
class ReviewCycleAdmin(admin.ModelAdmin):
    list_display = ["programme", "year", "opens_on", "closes_on"]
    list_filter = ["programme", "year"]


class ReviewObjectiveInline(admin.TabularInline):
    model = ReviewObjective
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["agent", "cycle", "manager", "state", "shared_at"]
    list_filter = ["cycle", "state"]
    search_fields = ["agent__last_name", "agent__first_name", "agent__email"]
    autocomplete_fields = ["agent", "manager"]
    list_select_related = ["agent", "cycle__programme", "manager"]
    inlines = [ReviewObjectiveInline]


@admin.register(ReviewVersion)
class ReviewVersionAdmin(admin.ModelAdmin):
    """Versions are written by the review services only, and never changed."""

    list_display = ["review", "number", "reason", "created_at"]
    readonly_fields = ["review", "number", "reason", "content", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewAddendum)
class ReviewAddendumAdmin(admin.ModelAdmin):
    list_display = ["review", "author", "created_at"]
    readonly_fields = ["review", "author", "text", "created_at"]

    def has_add_permission(self, request):
        return False
