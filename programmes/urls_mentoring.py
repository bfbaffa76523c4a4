"""Routes of the mentoring pages (included by programmes/urls.py, namespace programmes)."""

urlpatterns = []
