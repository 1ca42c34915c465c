"""The evidence library: a file uploaded once per evaluation (Evidence) attached to any
number of indicators (EvidenceLink). Each existing file keeps its indicator as its one link; a
file of the evaluation as a whole (empty code) gets none."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def links_from_codes(apps, schema_editor):
    Evidence = apps.get_model("evaluations", "Evidence")
    EvidenceLink = apps.get_model("evaluations", "EvidenceLink")
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence_id=pk, indicator_code=code, linked_by_id=user)
        for pk, code, user in Evidence.objects.exclude(indicator_code="").values_list(
            "pk", "indicator_code", "uploaded_by_id"
        )
    )


def codes_from_links(apps, schema_editor):
    """Backwards: a file keeps the first indicator it is attached to (one code per file)."""
    Evidence = apps.get_model("evaluations", "Evidence")
    EvidenceLink = apps.get_model("evaluations", "EvidenceLink")
    for link in EvidenceLink.objects.order_by("evidence_id", "indicator_code", "id"):
        Evidence.objects.filter(pk=link.evidence_id, indicator_code="").update(
            indicator_code=link.indicator_code
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0014_report_signature_and_contact"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EvidenceLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("indicator_code", models.CharField(max_length=30, verbose_name="指标编码")),
                ("linked_at", models.DateTimeField(auto_now_add=True, verbose_name="关联时间")),
                (
                    "evidence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links",
                        to="evaluations.evidence",
                        verbose_name="佐证材料",
                    ),
                ),
                (
                    "linked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="关联人",
                    ),
                ),
            ],
            options={
                "verbose_name": "佐证材料关联",
                "verbose_name_plural": "佐证材料关联",
                "ordering": ["indicator_code", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("evidence", "indicator_code"), name="unique_evidence_link"
                    )
                ],
            },
        ),
        migrations.RunPython(links_from_codes, codes_from_links),
        migrations.AlterModelOptions(
            name="evidence",
            options={
                "ordering": ["id"],
                "verbose_name": "佐证材料",
                "verbose_name_plural": "佐证材料",
            },
        ),
        migrations.RemoveField(
            model_name="evidence",
            name="indicator_code",
        ),
    ]
