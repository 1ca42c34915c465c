"""Evaluation data in and out: the JSON export/import commands, the .xlsx template, the upload."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import transfer, xlsx_template
from evaluations.models import (
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    FieldChange,
    FiscalYear,
    Region,
)
from evaluations.selectors import evaluations_for_scoring
from evaluations.workflow import Status

IDENTITY = ("exported_at", "department")


def export(evaluation) -> dict:
    fresh = evaluations_for_scoring().get(pk=evaluation.pk)
    return json.loads(transfer.dumps(transfer.export_data(fresh)))


def without_identity(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in IDENTITY}


def as_blank(data: dict, blank) -> dict:
    """The seed's data addressed to the blank evaluation's department."""
    out = copy.deepcopy(data)
    out["department"]["code"] = blank.department.code
    out["department"]["name"] = blank.department.name
    return out


def write(tmp_path, data, name="data.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("evaluation_import", *args, stdout=out)
    return out.getvalue()


def state(evaluation) -> dict:
    """Everything an import may change, plus the history count and the version."""
    e = Evaluation.objects.get(pk=evaluation.pk)
    return {
        "data": without_identity(export(e)),
        "history": FieldChange.objects.filter(evaluation=e).count(),
        "version": e.version,
    }


# ---------------------------------------------------------------------------- export


def test_export_command_writes_documented_json(seed_eval, tmp_path):
    path = tmp_path / "seed.json"
    call_command("evaluation_export", "nansha-cppcc-office", "2022", "-o", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == transfer.FORMAT and data["version"] == transfer.VERSION
    assert data["department"]["code"] == "nansha-cppcc-office"
    assert data["department"]["region"]["code"] == "nansha"
    assert data["year"] == 2022 and data["rubric"] == seed_eval.rubric.key
    assert data["inputs"]["expenditure_final_total"] == "1954.07"  # a string, never a float
    rubric = seed_eval.rubric.spec
    assert set(data["inputs"]) == {i.key for i in rubric.inputs if not i.derived}
    assert data["answers"]["1.1.2"]["choices"]["duty"] == "yes"
    section = rubric.target_sections()[0].code
    tasks = data["target_rows"][section]
    assert len(tasks) == 4 and tasks[0]["rows"][0]["points"] == "4.50"
    assert data["sections"]["overview"].startswith("中国人民政治协商会议")
    assert data["staffing"]["staff_administrative"] == 26


def test_export_to_stdout_and_unknown_department(seed_eval):
    out = io.StringIO()
    call_command("evaluation_export", "nansha-cppcc-office", "2022", "-o", "-", stdout=out)
    assert json.loads(out.getvalue())["year"] == 2022
    out = io.StringIO()
    call_command("evaluation_export", "nansha-cppcc-office", "2022", stdout=out)
    assert json.loads(out.getvalue())["rubric"] == seed_eval.rubric.key
    with pytest.raises(CommandError, match="没有找到"):
        call_command("evaluation_export", "no-such-dept", "2022", stdout=io.StringIO())


# ---------------------------------------------------------------------------- round trip


def test_round_trip_seed_into_blank(seed_eval, blank_eval, tmp_path):
    first = export(seed_eval)
    output = run_import(write(tmp_path, as_blank(first, blank_eval)))
    assert "已导入" in output
    again = export(blank_eval)
    assert without_identity(again) == without_identity(first)
    blank = Evaluation.objects.get(pk=blank_eval.pk)
    assert blank.version == blank_eval.version + 1
    assert blank.claimed_total == Evaluation.objects.get(pk=seed_eval.pk).claimed_total
    # recorded through the field history, like an edit
    assert FieldChange.objects.filter(evaluation=blank, key="fig.expenditure_final_total").exists()


def test_reimport_keeps_row_identity(seed_eval, tmp_path):
    data = export(seed_eval)
    ids = set(DutyIndicator.objects.filter(task__evaluation=seed_eval).values_list("pk", flat=True))
    section = next(iter(data["target_rows"]))
    data["target_rows"][section][0]["rows"][0]["actual_value"] = "80"
    run_import(write(tmp_path, data))
    after = DutyIndicator.objects.filter(task__evaluation=seed_eval)
    assert set(after.values_list("pk", flat=True)) == ids
    row = after.get(name="开展政治理论学习活动")
    assert row.actual_value == Decimal("80.00")
    # a row left out is marked deleted, not removed
    del data["target_rows"][section][0]["rows"][1]
    run_import(write(tmp_path, data))
    assert DutyIndicator.all_objects.filter(pk__in=ids, deleted_at__isnull=False).count() == 1


def test_dry_run_changes_nothing(seed_eval, blank_eval, tmp_path):
    before = state(blank_eval)
    output = run_import(write(tmp_path, as_blank(export(seed_eval), blank_eval)), "--dry-run")
    assert "试运行" in output
    assert state(blank_eval) == before


def test_part_left_out_is_kept(seed_eval, tmp_path):
    data = export(seed_eval)
    for part in ("answers", "target_rows", "sections", "events"):
        del data[part]
    data["inputs"]["initial_budget"] = "3000.00"
    run_import(write(tmp_path, data))
    after = export(seed_eval)
    assert after["inputs"]["initial_budget"] == "3000.00"
    assert after["answers"] and after["sections"] and after["target_rows"]


# ---------------------------------------------------------------------------- refused


def _bad(data, section):
    def put(path, value):
        def change(d):
            target = d
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    task_row = ["target_rows", section, 0, "rows", 0]
    return {
        "unknown input": put(["inputs", "no_such_input"], "1"),
        "negative amount": put(["inputs", "initial_budget"], "-5"),
        "too many decimals": put(["inputs", "initial_budget"], "1.234"),
        "rate over max": put(["inputs", "project_execution_rate_notified"], "1000.5"),
        "not a number": put(["inputs", "initial_budget"], "一千"),
        "bool as number": put(["inputs", "initial_budget"], True),
        "unknown indicator": put(["answers", "9.9.9"], {"claimed": "1"}),
        "not a leaf": put(["answers", "1"], {"claimed": "1"}),
        "unknown checklist item": put(["answers", "1.1.2", "choices", "nope"], "yes"),
        "unknown checklist option": put(["answers", "1.1.2", "choices", "duty"], "maybe"),
        "claimed over points": put(["answers", "1.1.1", "claimed"], "99"),
        "rows under a non-target leaf": put(["target_rows", "1.1.1"], [{"name": "x", "rows": []}]),
        "bad operator": put([*task_row, "operator"], "≈"),
        "row without points": put([*task_row, "points"], None),
        "row claimed over points": put([*task_row, "claimed"], "99"),
        "unknown row field": put([*task_row, "colour"], "red"),
        "unknown top-level key": put(["surprise"], 1),
        "bad event kind": put(["events"], [{"kind": "prize", "description": "x"}]),
        "unknown section": put(["sections", "no_such_section"], "x"),
        "unknown staffing": put(["staffing", "robots"], 3),
        "too many rows": put(
            ["target_rows", section],
            [{"name": "t", "rows": [{"name": "r", "points": "0"}] * (transfer.MAX_ROWS + 1)}],
        ),
        "wrong rubric": put(["rubric"], "some-other-rubric"),
        "bad date": put(["report_date"], "2022-13-45"),
        "bad phone": put(["report_meta", "contact_phone"], "打电话给我"),
        "unknown report_meta field": put(["report_meta", "fax"], "020-84980001"),
        "contact name too long": put(["report_meta", "contact_name"], "李" * 51),
    }


def test_each_kind_of_bad_data_is_refused_and_changes_nothing(seed_eval, blank_eval, tmp_path):
    good = as_blank(export(seed_eval), blank_eval)
    section = next(iter(good["target_rows"]))
    before = state(blank_eval)
    for name, change in _bad(good, section).items():
        data = copy.deepcopy(good)
        change(data)
        with pytest.raises(CommandError) as info:
            run_import(write(tmp_path, data))
        message = str(info.value)
        assert "未导入" in message or "评分体系" in message, name
        assert state(blank_eval) == before, name


def test_messages_name_the_json_path(seed_eval, tmp_path):
    data = export(seed_eval)
    data["inputs"]["initial_budget"] = "-5"
    data["answers"]["1.1.2"]["choices"]["duty"] = "maybe"
    with pytest.raises(CommandError) as info:
        run_import(write(tmp_path, data))
    message = str(info.value)
    assert "2 个问题" in message
    assert "inputs.initial_budget：“年初预算”不能为负数" in message
    assert 'answers["1.1.2"].choices.duty：选项' in message


def test_malformed_and_oversized_files(blank_eval, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "evaluation-data",', encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON：第 1 行"):
        run_import(str(bad))
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (transfer.MAX_BYTES + 1))
    with pytest.raises(CommandError, match="文件过大"):
        run_import(str(big))
    with pytest.raises(CommandError, match="最外层"):
        run_import(write(tmp_path, [1, 2]))
    with pytest.raises(CommandError, match="无法读取"):
        run_import(str(tmp_path / "missing.json"))


def test_not_editable_is_refused_with_its_status(seed_eval, tmp_path):
    data = export(seed_eval)
    Evaluation.objects.filter(pk=seed_eval.pk).update(status=Status.SUBMITTED)
    with pytest.raises(CommandError, match="“已提交”，不能导入"):
        run_import(write(tmp_path, data))


def test_missing_department_without_create(seed_eval, tmp_path):
    data = export(seed_eval)
    data["department"]["code"] = "new-dept"
    with pytest.raises(CommandError, match=r"没有单位编码为 new-dept 的部门.*--create"):
        run_import(write(tmp_path, data))
    assert not Department.objects.filter(code="new-dept").exists()


# ---------------------------------------------------------------------------- --create


def test_create_makes_region_department_year_and_evaluation(seed_eval, tmp_path):
    data = export(seed_eval)
    data["department"] = {
        "code": "conghua-office",
        "name": "广州市从化区示例办公室",
        "region": {"code": "conghua", "name": "广州市从化区"},
    }
    output = run_import(write(tmp_path, data), "--create")
    assert "新建 区域：广州市从化区" in output and "新建 部门" in output
    region = Region.objects.get(code="conghua")
    assert region.finance_bureau == "广州市从化区财政局"
    department = Department.objects.get(code="conghua-office", region=region)
    assert department.staff_administrative == 26  # the imported staffing, also the department's
    fiscal_year = FiscalYear.objects.get(region=region, year=2022)
    assert fiscal_year.rubric == seed_eval.rubric
    created = Evaluation.objects.get(department=department, fiscal_year=fiscal_year)
    assert without_identity(export(created)) == without_identity(export(seed_eval))


def test_create_dry_run_creates_nothing(seed_eval, tmp_path):
    data = export(seed_eval)
    data["department"]["code"] = "dry-office"
    data["department"]["region"] = {"code": "dry", "name": "试运行区"}
    output = run_import(write(tmp_path, data), "--create", "--dry-run")
    assert "将新建 区域" in output
    assert not Region.objects.filter(code="dry").exists()
    assert not Department.objects.filter(code="dry-office").exists()


def test_create_needs_a_loaded_rubric(seed_eval, tmp_path):
    data = export(seed_eval)
    data["year"] = 2031
    data["rubric"] = "not-loaded-2031"
    with pytest.raises(CommandError, match="not-loaded-2031 尚未载入"):
        run_import(write(tmp_path, data), "--create")
    assert not FiscalYear.objects.filter(year=2031).exists()


# ---------------------------------------------------------------------------- xlsx


def test_template_has_the_rubric_inputs_and_rows(seed_eval):
    body = xlsx_template.build_template(evaluations_for_scoring().get(pk=seed_eval.pk))
    wb = load_workbook(io.BytesIO(body))
    inputs = wb["输入项"]
    assert [c.value for c in inputs[1]] == list(xlsx_template.INPUT_HEADERS)
    by_key = {row[1].value: row for row in inputs.iter_rows(min_row=2)}
    assert float(by_key["expenditure_final_total"][4].value) == pytest.approx(1954.07)
    assert by_key["expenditure_final_total"][3].value == "万元"
    rows = wb["绩效指标"]
    assert [c.value for c in rows[1]][:4] == ["所属指标", "任务", "指标名称", "分值"]
    assert rows.max_row == 1 + 13  # the seed's 13 target rows
    assert rows["E2"].value == "≥" and rows["M2"].value == "是"


def test_xlsx_round_trip(seed_eval, blank_eval):
    body = xlsx_template.build_template(evaluations_for_scoring().get(pk=seed_eval.pk))
    raw, meta, _ = xlsx_template.read_template(body)
    assert meta == {
        "department": "nansha-cppcc-office",
        "year": 2022,
        "rubric": seed_eval.rubric.key,
        "project": "",
    }
    seed = export(seed_eval)
    assert raw["inputs"] == {k: _norm(v) for k, v in seed["inputs"].items()}
    rubric = seed_eval.rubric.spec
    data = transfer.validate(raw, rubric)
    expected = transfer.validate(
        {"inputs": seed["inputs"], "target_rows": seed["target_rows"]}, rubric
    )
    assert data.inputs == expected.inputs
    assert data.tasks == expected.tasks


def _norm(value):
    if value is None:
        return None
    d = Decimal(value)
    return str(int(d)) if d == d.to_integral() else format(d.normalize(), "f")


def _template_for(client, evaluation) -> bytes:
    response = client.get(reverse("filing:data_template", args=[evaluation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx_template.CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    return response.content


def _upload(client, evaluation, body: bytes, name="模板.xlsx"):
    return client.post(
        reverse("filing:data_template", args=[evaluation.pk]),
        {"file": SimpleUploadedFile(name, body, xlsx_template.CONTENT_TYPE)},
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_upload_filled_template_through_the_view(filer_client, seed_eval):
    wb = load_workbook(io.BytesIO(_template_for(filer_client, seed_eval)))
    by_key = {row[1].value: row for row in wb["输入项"].iter_rows(min_row=2)}
    by_key["procurement_actual"][4].value = 1.2
    wb["绩效指标"]["K2"] = 25  # 实际完成值（数值） of the first row
    out = io.BytesIO()
    wb.save(out)
    response = _upload(filer_client, seed_eval, out.getvalue())
    assert response.status_code == 302
    assert response["Location"] == reverse("filing:step", args=[seed_eval.pk, "figures"])
    assert any("已导入数据模板" in m for m in _messages(response))
    data = export(seed_eval)
    assert data["inputs"]["procurement_actual"] == "1.20"
    section = next(iter(data["target_rows"]))
    assert data["target_rows"][section][0]["rows"][0]["actual_value"] == "25.00"
    # the rest of the evaluation is left as it is
    assert data["answers"]["1.1.2"]["choices"]["duty"] == "yes"
    assert FieldChange.objects.filter(evaluation=seed_eval, key="fig.procurement_actual").exists()


def test_upload_bad_template_lists_cells_and_changes_nothing(filer_client, seed_eval):
    wb = load_workbook(io.BytesIO(_template_for(filer_client, seed_eval)))
    by_key = {row[1].value: row for row in wb["输入项"].iter_rows(min_row=2)}
    by_key["initial_budget"][4].value = -1
    by_key["project_execution_rate_notified"][4].value = 50  # the finance bureau's
    wb["绩效指标"]["E3"] = "约等于"
    wb["绩效指标"]["M4"] = "也许"
    out = io.BytesIO()
    wb.save(out)
    before = state(seed_eval)
    response = _upload(filer_client, seed_eval, out.getvalue())
    assert response.status_code == 302
    text = "\n".join(_messages(response))
    assert "未导入任何内容" in text
    row = next(r for r in wb["输入项"].iter_rows(min_row=2) if r[1].value == "initial_budget")
    assert f"输入项!E{row[0].row}：“年初预算”不能为负数" in text
    assert "由财政局填报" in text
    assert "绩效指标!M4" in text
    assert state(seed_eval) == before
    # the operator problem is found once the 是否完成 cell is fixed
    wb["绩效指标"]["M4"] = "是"
    by_key["project_execution_rate_notified"][4].value = None
    by_key["initial_budget"][4].value = 1
    out = io.BytesIO()
    wb.save(out)
    text = "\n".join(_messages(_upload(filer_client, seed_eval, out.getvalue())))
    assert "绩效指标!E3：运算符" in text
    assert state(seed_eval) == before


def test_upload_refuses_non_xlsx_and_other_templates(filer_client, seed_eval, blank_eval, users):
    before = state(seed_eval)
    for body, name, expected in (
        (b"%PDF-1.4 not a sheet", "模板.xlsx", "不是 .xlsx 文件"),
        (b"a,b\n1,2\n", "模板.csv", "只能上传 .xlsx 文件"),
        (b"PK\x03\x04broken", "模板.xlsx", "不是 .xlsx 文件"),
    ):
        text = "\n".join(_messages(_upload(filer_client, seed_eval, body, name)))
        assert expected in text, name
    response = filer_client.post(reverse("filing:data_template", args=[seed_eval.pk]))
    assert "请选择" in "\n".join(_messages(response))
    # another evaluation's template
    from django.test import Client

    other = Client()
    other.force_login(users["filer2"])
    body = _template_for(other, blank_eval)
    text = "\n".join(_messages(_upload(filer_client, seed_eval, body)))
    assert "不是本自评的模板" in text
    assert state(seed_eval) == before


def test_upload_refused_when_not_editable_or_not_a_filer(
    filer_client, reviewer_client, filer2_client, seed_eval
):
    body = _template_for(filer_client, seed_eval)
    before = state(seed_eval)
    # a reviewer may download but not upload
    _template_for(reviewer_client, seed_eval)
    response = _upload(reviewer_client, seed_eval, body)
    assert response.status_code == 302 and state(seed_eval) == before
    # another department's filer: the evaluation does not exist for them
    assert (
        filer2_client.get(reverse("filing:data_template", args=[seed_eval.pk])).status_code == 404
    )
    assert _upload(filer2_client, seed_eval, body).status_code == 404
    Evaluation.objects.filter(pk=seed_eval.pk).update(status=Status.SUBMITTED)
    text = "\n".join(_messages(_upload(filer_client, seed_eval, body)))
    assert "已提交" in text
    assert DutyTask.objects.filter(evaluation=seed_eval).count() == 4
