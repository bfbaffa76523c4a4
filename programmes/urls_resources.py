"""Routes of the resources pages (included by programmes/urls.py, namespace programmes)."""

urlpatterns = []
