"""Give the programmes that exist before barriers the default list (new ones get it on
creation, see programmes/signals.py)."""

from django.db import migrations

LABELS = [
    "Manque de temps",
    "Difficulté d'accès ou de compte",
    "Contenu trop difficile",
    "Finalité peu claire",
    "Appréhension du numérique",
    "Besoin d'accessibilité",
    "Charge de travail",
    "Absence",
    "Autre",
]


def add_defaults(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Barrier = apps.get_model("programmes", "Barrier")
    for programme in Programme.objects.all():
        existing = set(Barrier.objects.filter(programme=programme).values_list("label", flat=True))
        Barrier.objects.bulk_create(
            Barrier(programme=programme, label=label, position=position)
            for position, label in enumerate(LABELS, start=1)
            if label not in existing
        )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0006_accompaniment")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
