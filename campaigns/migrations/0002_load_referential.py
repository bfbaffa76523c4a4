"""Load Pix's 5 domains and 16 competences with every name they have carried."""

from django.db import migrations


def load(apps, schema_editor):
    from campaigns.referential import COMPETENCES, DOMAINS, normalize_name

    Domain = apps.get_model("campaigns", "Domain")
    DomainAlias = apps.get_model("campaigns", "DomainAlias")
    Competence = apps.get_model("campaigns", "Competence")
    CompetenceAlias = apps.get_model("campaigns", "CompetenceAlias")

    domains = {}
    for code, name, former in DOMAINS:
        domain, _ = Domain.objects.update_or_create(code=code, defaults={"name": name})
        domains[code] = domain
        for alias in [name, *former]:
            DomainAlias.objects.update_or_create(
                normalized_name=normalize_name(alias), defaults={"domain": domain, "name": alias}
            )
    for position, (code, name, pix_id, former) in enumerate(COMPETENCES, start=1):
        competence, _ = Competence.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "pix_id": pix_id,
                "position": position,
                "domain": domains[code.split(".")[0]],
            },
        )
        for alias in [name, *former]:
            CompetenceAlias.objects.update_or_create(
                normalized_name=normalize_name(alias),
                defaults={"competence": competence, "name": alias},
            )


def unload(apps, schema_editor):
    apps.get_model("campaigns", "CompetenceAlias").objects.all().delete()
    apps.get_model("campaigns", "DomainAlias").objects.all().delete()
    apps.get_model("campaigns", "Competence").objects.all().delete()
    apps.get_model("campaigns", "Domain").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
