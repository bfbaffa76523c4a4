import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pilote_pix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The programmes app keeps its tasks in its parts, each in its own tasks module.
app.autodiscover_tasks(
    [
        "programmes.imports",
        "programmes.reminders",
        "programmes.steering",
        "programmes.privacy",
    ]
)
