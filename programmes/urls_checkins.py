"""Routes of the checkins pages (included by programmes/urls.py, namespace programmes)."""

urlpatterns = []
