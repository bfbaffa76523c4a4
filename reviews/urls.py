"""Routes of the reviews app; each part keeps its routes in its own module."""

from reviews import urls_cycles, urls_outputs, urls_sheet

app_name = "reviews"

urlpatterns = urls_cycles.urlpatterns + urls_sheet.urlpatterns + urls_outputs.urlpatterns
