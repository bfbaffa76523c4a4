from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from legal.models import AccessibilityStatement


@admin.register(AccessibilityStatement)
class AccessibilityStatementAdmin(admin.ModelAdmin):
    """The one statement: staff record it once (until then the page shows the defaults),
    then change it after each audit; deleting it brings the defaults back."""

    list_display = ("__str__", "state", "conformity_rate", "audit_date", "updated_at")
    readonly_fields = ("updated_at",)
    fieldsets = (
        (
            _("État de conformité"),
            {"fields": ("state", "audit_date", "auditor", "conformity_rate")},
        ),
        (
            _("Contenus non accessibles"),
            {"fields": ("non_conformities", "derogations", "exempt_contents")},
        ),
        (
            _("Établissement de cette déclaration"),
            {
                "fields": (
                    "established_on",
                    "technologies",
                    "test_environment",
                    "tools",
                    "pages_checked",
                )
            },
        ),
        (_("Retour d’information et contact"), {"fields": ("contact_email", "contact_details")}),
        (None, {"fields": ("updated_at",)}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not AccessibilityStatement.objects.exists()
