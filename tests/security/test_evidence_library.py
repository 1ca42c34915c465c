"""The evidence library (issue 13): a file uploaded once per evaluation, attached to any number
of indicators, detached without being deleted; the same rules of access and audit as uploads;
and the migration that turns each file's indicator into its first attachment."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from evaluations import services
from evaluations.models import AuditLog, Evaluation, Evidence
from evaluations.selectors import evaluations_for_scoring
from evaluations.submission import review

from .conftest import make_submittable
from .helpers import client_for, messages_of, pdf_bytes


@pytest.fixture
def draft(media, users, seed_eval):
    return seed_eval


def _missing(evaluation) -> set[str]:
    """The indicators still warned about for missing 佐证材料."""
    warnings = review(evaluations_for_scoring().get(pk=evaluation.pk)).warnings
    return {p.indicator.split()[0] for p in warnings if "须提供佐证材料" in p.message}


def _library_file(draft, users, label="lib"):
    return services.evidence_upload(
        draft.pk, users["filer"], upload=SimpleUploadedFile(f"{label}.pdf", pdf_bytes(label))
    )


def test_one_file_attached_to_two_indicators_then_detached_from_one(draft, users):
    missing = _missing(draft)
    first, second = sorted(missing)[:2]
    evidence = _library_file(draft, users)
    assert not evidence.links.exists()  # in the library, attached to nothing yet
    for code in (first, second):
        services.evidence_attach(draft.pk, evidence.pk, users["filer"], indicator_code=code)
    services.evidence_attach(draft.pk, evidence.pk, users["filer"], indicator_code=first)  # again
    assert sorted(link.indicator_code for link in evidence.links.all()) == [first, second]
    assert _missing(draft) == missing - {first, second}
    assert Evaluation.objects.get(pk=draft.pk).warning_count is not None

    services.evidence_detach(draft.pk, evidence.pk, users["filer"], indicator_code=first)
    assert Evidence.objects.filter(pk=evidence.pk).exists()  # detached, not deleted
    assert [link.indicator_code for link in evidence.links.all()] == [second]
    assert _missing(draft) == missing - {second}
    events = list(
        AuditLog.objects.filter(event__in=["evidence_attach", "evidence_detach"])
        .order_by("id")
        .values_list("event", "detail__indicator")
    )
    assert events == [
        ("evidence_attach", first),
        ("evidence_attach", second),
        ("evidence_detach", first),
    ]


def test_attach_and_detach_refusals(draft, users):
    evidence = _library_file(draft, users)
    with pytest.raises(services.NotFound, match=r"评分体系中没有指标 9\.9"):
        services.evidence_attach(draft.pk, evidence.pk, users["filer"], indicator_code="9.9")
    with pytest.raises(services.NotFound, match="该材料未关联到这个指标"):
        services.evidence_detach(draft.pk, evidence.pk, users["filer"], indicator_code="1.1.2")
    with pytest.raises(services.ServiceError):  # a reviewer is no filer
        services.evidence_attach(draft.pk, evidence.pk, users["reviewer"], indicator_code="1.1.2")
    other = Evaluation.objects.exclude(pk=draft.pk).filter(department__code="nansha-demo-bureau")
    with pytest.raises(services.ServiceError):  # another evaluation's file id
        services.evidence_attach(
            other.get().pk, evidence.pk, users["filer2"], indicator_code="1.1.2"
        )
    services.evidence_attach(draft.pk, evidence.pk, users["filer"], indicator_code="1.1.2")
    make_submittable(draft, users["filer"])
    services.evaluation_submit(
        draft.pk, users["filer"], Evaluation.objects.get(pk=draft.pk).version
    )
    with pytest.raises(services.ServiceError, match="不能上传或删除佐证材料"):
        services.evidence_detach(draft.pk, evidence.pk, users["filer"], indicator_code="1.1.2")
    assert evidence.links.count() == 1


def test_attach_through_the_page_answers_json_with_the_box_again(draft, users):
    evidence = _library_file(draft, users, "页面")
    client = client_for(users["filer"])
    url = reverse("filing:evidence_attach", args=[draft.pk])
    body = {"indicator": "1.1.3", "evidence-1.1.3": str(evidence.pk)}
    response = client.post(url, body, HTTP_ACCEPT="application/json")
    data = response.json()
    assert response.status_code == 200 and data["ok"]
    assert data["done"] == ["已将“页面.pdf”关联到指标 1.1.3。"]
    assert 'data-evidence-box="1.1.3"' in data["html"] and "页面.pdf" in data["html"]
    assert 'data-testid="evidence-detach"' in data["html"]
    # without the script: a redirect back with the message
    detach = reverse("filing:evidence_detach", args=[draft.pk, evidence.pk])
    response = client.post(detach, {"indicator": "1.1.3"}, follow=True)
    assert "已从指标 1.1.3 移除“页面.pdf”（文件仍在材料库中）。" in messages_of(response)
    # nothing chosen
    response = client.post(url, {"indicator": "1.1.3"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["请先在材料库中选择一个文件。"]


def test_the_management_step_offers_the_library_in_every_indicator(draft, users):
    _library_file(draft, users, "通用材料")
    client = client_for(users["filer"])
    html = client.get(reverse("filing:step", args=[draft.pk, "management"])).content.decode()
    assert html.count('<option value="') >= html.count('data-testid="evidence-choose"') > 10
    assert html.count(">通用材料.pdf</option>") == html.count('data-testid="evidence-choose"')
    assert 'data-testid="evidence-library"' in html


@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_files_indicator_into_a_link(seeded, users):
    executor = MigrationExecutor(connection)
    executor.migrate([("evaluations", "0014_report_signature_and_contact")])
    old = executor.loader.project_state([("evaluations", "0014_report_signature_and_contact")]).apps
    OldEvidence = old.get_model("evaluations", "Evidence")
    evaluation_id = Evaluation.objects.values_list("pk", flat=True).first()
    OldEvidence.objects.create(
        evaluation_id=evaluation_id, indicator_code="1.1.2", original_name="a.pdf", sha256="a"
    )
    OldEvidence.objects.create(
        evaluation_id=evaluation_id, indicator_code="", original_name="b.pdf", sha256="b"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    a = Evidence.objects.get(original_name="a.pdf")
    b = Evidence.objects.get(original_name="b.pdf")
    assert [link.indicator_code for link in a.links.all()] == ["1.1.2"]
    assert not b.links.exists()
