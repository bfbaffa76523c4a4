"""TargetChange: the dated history of a population's targets.

Targets that exist already get a « created » row dated when they were created (author
unknown), so that the targets in force can be told for any date from the history alone.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill_existing_targets(apps, schema_editor):
    Target = apps.get_model("programmes", "Target")
    TargetChange = apps.get_model("programmes", "TargetChange")
    TargetChange.objects.bulk_create(
        [
            TargetChange(
                population_id=target.population_id,
                competence_id=target.competence_id,
                campaign_id=target.campaign_id,
                kind=target.kind,
                action="created",
                level_after=target.level,
                mastery_rate_after=target.mastery_rate,
                stage_after=target.stage,
                deadline_after=target.deadline,
                changed_at=target.created_at,
            )
            for target in Target.objects.all().iterator()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0005_import_campaign_label'),
        ('programmes', '0002_programmeimport'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TargetChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('level', 'Niveau (collecte de profils)'), ('mastery_rate', "Taux de maîtrise (parcours d'évaluation)"), ('stage', "Palier (parcours d'évaluation)")], max_length=20, verbose_name="type d'objectif")),
                ('action', models.CharField(choices=[('created', 'Objectif fixé'), ('changed', 'Objectif modifié'), ('removed', 'Objectif retiré')], max_length=10, verbose_name='action')),
                ('level_before', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='niveau avant')),
                ('level_after', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='niveau après')),
                ('mastery_rate_before', models.DecimalField(blank=True, decimal_places=3, max_digits=4, null=True, verbose_name='taux de maîtrise avant')),
                ('mastery_rate_after', models.DecimalField(blank=True, decimal_places=3, max_digits=4, null=True, verbose_name='taux de maîtrise après')),
                ('stage_before', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='palier avant')),
                ('stage_after', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='palier après')),
                ('deadline_before', models.DateField(blank=True, null=True, verbose_name='échéance avant')),
                ('deadline_after', models.DateField(blank=True, null=True, verbose_name='échéance après')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='le')),
                ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.campaign', verbose_name="campagne d'évaluation")),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='par')),
                ('competence', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.competence', verbose_name='compétence')),
                ('population', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='target_changes', to='programmes.targetpopulation', verbose_name='population')),
            ],
            options={
                'verbose_name': "changement d'objectif",
                'verbose_name_plural': "changements d'objectifs",
                'ordering': ['-changed_at', '-pk'],
                'indexes': [models.Index(fields=['population', 'changed_at'], name='targetchange_pop_at_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('action', 'created'), _negated=True), models.Q(('deadline_before__isnull', True), ('level_before__isnull', True), ('mastery_rate_before__isnull', True), ('stage_before__isnull', True)), _connector='OR'), name='targetchange_created_has_no_before'), models.CheckConstraint(condition=models.Q(models.Q(('action', 'removed'), _negated=True), models.Q(('deadline_after__isnull', True), ('level_after__isnull', True), ('mastery_rate_after__isnull', True), ('stage_after__isnull', True)), _connector='OR'), name='targetchange_removed_has_no_after')],
            },
        ),
        migrations.RunPython(backfill_existing_targets, migrations.RunPython.noop),
    ]
