"""Report metadata (issue 13 item 3): 报告日期, 联系人, 联系电话 and 署名单位 entered on the
报告正文 step, checked before submission, printed in the PDF's signature block, carried by
the evaluation-data export and import."""

from __future__ import annotations

import datetime
import json

import pytest

from evaluations import services, transfer
from evaluations.models import Evaluation, FieldChange
from evaluations.parsing import PHONE_HINT, InputError, parse_phone
from evaluations.reports import chinese_date, render_html
from evaluations.submission import review

from .filing_helpers import field_error, form_data, input_value, snapshot, step_url, text_of

# ---------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("020-84981234", "020-84981234"),
        ("020 8498 1234", "02084981234"),
        ("（020）84981234", "020-84981234"),
        ("０２０－８４９８１２３４", "020-84981234"),
        ("0757-22334455转123", "0757-22334455转123"),
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("400-123-4567", "400-123-4567"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phone_numbers_as_typed(text, stored):
    assert parse_phone(text) == stored


@pytest.mark.parametrize(
    "text", ["84981234", "12345", "1381234567", "020-1234567", "电话020-84981234", "abc"]
)
def test_not_a_phone_number(text):
    with pytest.raises(InputError) as info:
        parse_phone(text)
    assert str(info.value) == PHONE_HINT


def test_chinese_date():
    assert chinese_date(datetime.date(2023, 6, 14)) == "2023年6月14日"
    assert chinese_date(None) == ""


# ---------------------------------------------------------------------------- the report step


@pytest.mark.django_db
def test_report_step_shows_the_fields_with_the_department_as_default_unit(
    filer2_client, blank_eval
):
    response = filer2_client.get(step_url(blank_eval, "report"))
    page = text_of(response)
    assert "落款与联系人" in page
    for label in ("报告日期", "署名单位", "联系人", "联系电话"):
        assert label in page
    department = blank_eval.department
    assert input_value(response, "signed_unit") == (department.short_name or department.name)
    assert input_value(response, "report_date") == ""


@pytest.mark.django_db
def test_report_step_saves_the_metadata_and_records_the_change(filer2_client, blank_eval):
    url = step_url(blank_eval, "report")
    data = form_data(filer2_client.get(url))
    data.update(
        report_date="2023-06-14",
        signed_unit="广州市南沙区示例局",
        contact_name="张三",
        contact_phone="（020）８４９８１２３４",
        goto="report",
    )
    response = filer2_client.post(url, data)
    assert response.status_code == 302
    e = Evaluation.objects.get(pk=blank_eval.pk)
    assert (e.report_date, e.signed_unit, e.contact_name, e.contact_phone) == (
        datetime.date(2023, 6, 14),
        "广州市南沙区示例局",
        "张三",
        "020-84981234",
    )
    assert FieldChange.objects.filter(evaluation=e, key="meta.contact_phone").exists()


@pytest.mark.django_db
def test_an_invalid_phone_is_refused_next_to_the_field_and_nothing_typed_is_lost(
    filer2_client, blank_eval
):
    before = snapshot(blank_eval)
    url = step_url(blank_eval, "report")
    data = form_data(filer2_client.get(url))
    data.update(report_date="2023-06-14", contact_name="张三", contact_phone="8498", goto="report")
    response = filer2_client.post(url, data)
    assert response.status_code == 200
    assert field_error(response, "id_contact_phone") == PHONE_HINT
    assert input_value(response, "contact_phone") == "8498"
    assert input_value(response, "contact_name") == "张三"
    assert input_value(response, "report_date") == "2023-06-14"
    assert snapshot(blank_eval) == before


# ---------------------------------------------------------------------------- before submission


@pytest.mark.django_db
def test_missing_metadata_blocks_submission_with_links_to_the_fields(filer2_client, blank_eval):
    problems = {p.message: p for p in review(blank_eval).blocking if p.step == "report"}
    for message, anchor in [
        ("未填写报告日期", "meta-report_date"),
        ("未填写联系人", "meta-contact_name"),
        ("未填写联系电话", "meta-contact_phone"),
    ]:
        assert problems[message].anchor == anchor
    response = filer2_client.get(step_url(blank_eval, "review"))
    html = response.content.decode()
    assert f'href="{step_url(blank_eval, "report")}#meta-contact_phone"' in html
    # the anchor exists on the report step
    report = filer2_client.get(step_url(blank_eval, "report")).content.decode()
    assert 'id="meta-contact_phone"' in report


@pytest.mark.django_db
def test_an_invalid_stored_phone_blocks_submission(seed_eval):
    Evaluation.objects.filter(pk=seed_eval.pk).update(contact_phone="12")
    e = Evaluation.objects.get(pk=seed_eval.pk)
    messages = [p.message for p in review(e).blocking]
    assert f"联系电话有误：{PHONE_HINT}" in messages


@pytest.mark.django_db
def test_the_seed_case_is_dated_and_has_a_contact(seed_eval):
    assert seed_eval.report_date == datetime.date(2023, 6, 14)
    assert seed_eval.contact_name and parse_phone(seed_eval.contact_phone)
    assert not [p for p in review(seed_eval).blocking if p.anchor.startswith("meta-")]


# ---------------------------------------------------------------------------- the PDF's signature


@pytest.mark.django_db
def test_signature_block_prints_unit_chinese_date_and_contact(seed_eval):
    html = render_html(Evaluation.objects.get(pk=seed_eval.pk), draft=True)
    block = html[html.index('<div class="signature">') :]
    block = block[: block.index("</div>")]
    assert "<p>政协广州市南沙区委员会办公室</p>" in block
    assert "<p>2023年6月14日</p>" in block
    assert "联系人：李明" in block and "联系电话：020-84980000" in block


@pytest.mark.django_db
def test_signature_block_without_a_date_leaves_the_blanks(blank_eval, users):
    html = render_html(Evaluation.objects.get(pk=blank_eval.pk), draft=True)
    block = html[html.index('<div class="signature">') :]
    assert "　年　月　日" in block[: block.index("</div>")]
    assert "联系人" not in block[: block.index("</div>")]


# ---------------------------------------------------------------------------- data export/import


@pytest.mark.django_db
def test_export_and_import_carry_the_metadata(seed_eval, blank_eval):
    data = transfer.export_data(seed_eval)
    assert data["report_date"] == "2023-06-14"
    assert data["report_meta"] == {
        "signed_unit": "政协广州市南沙区委员会办公室",
        "contact_name": "李明",
        "contact_phone": "020-84980000",
    }
    raw = json.loads(transfer.dumps(data))
    parsed = transfer.validate(
        {"report_meta": {**raw["report_meta"], "contact_phone": "１３８ １２３４ ５６７８"}},
        blank_eval.rubric.spec,
    )
    assert parsed.report_meta["contact_phone"] == "13812345678"


@pytest.mark.django_db
def test_service_keeps_texts_and_metadata_in_one_save(blank_eval, users):
    e = services.evaluation_save_sections(
        blank_eval.pk,
        users["filer2"],
        blank_eval.version,
        texts={},
        meta=services.ReportMeta(contact_name="张三", contact_phone="13812345678"),
    )
    e.refresh_from_db()
    assert (e.contact_name, e.contact_phone, e.version) == (
        "张三",
        "13812345678",
        blank_eval.version + 1,
    )


@pytest.mark.django_db
def test_date_inputs_show_the_stored_date_in_the_format_the_browser_reads(filer_client, seed_eval):
    """<input type=date> takes only 2023-06-14; zh-hans' first input format (2023/06/14)
    left the field blank, so a saved 报告日期 looked unset."""
    response = filer_client.get(step_url(seed_eval, "report"))
    assert input_value(response, "report_date") == "2023-06-14"
