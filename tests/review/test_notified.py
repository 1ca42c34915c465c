"""财政局通报数据: the execution rate and the 加减分 events set by the reviewer (one department
on the review page, or many from an .xlsx import, all or nothing), read-only for the filer;
and the e-mails sent on submit, return and approve."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from evaluations import selectors, services, tabular
from evaluations.models import BonusEvent, Department, Evaluation, FigureValue
from evaluations.submission import review

from .helpers import RATE_KEY, SEED_DEPARTMENT, by_testid, messages_of, set_status, text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_line(evaluation, code: str):
    return review(selectors.evaluations_for_scoring().get(pk=evaluation.pk)).sheet.line(code)


def rate_of(evaluation) -> Decimal | None:
    row = FigureValue.objects.filter(evaluation=evaluation, key=RATE_KEY).first()
    return row.value if row else None


def events_of(evaluation) -> list[tuple[str, str]]:
    return list(BonusEvent.objects.filter(evaluation=evaluation).values_list("kind", "description"))


def post_notified(client, evaluation, rate: str, bonus: str = "", penalty: str = ""):
    return client.post(
        reverse("review:notified", args=[evaluation.pk]),
        {"rate": rate, "bonus": bonus, "penalty": penalty},
        follow=True,
    )


# ---------------------------------------------------------------------------- one department


@pytest.mark.parametrize(
    ("rate", "score"), [("97.5", "3.90"), ("97.5%", "3.90"), ("50", "2.00"), ("100", "4.00")]
)
def test_rate_and_two_bonus_events_are_scored(reviewer_client, submitted, rate, score):
    response = post_notified(reviewer_client, submitted, rate, bonus="预算编制受表彰\n决算受表彰")
    assert "财政局通报数据已保存，得分已重新计算。" in messages_of(response)
    line = sheet_line(submitted, "1.1.5")
    assert line.computed == Decimal(score)  # rate × 4 points
    assert line.computed == (Decimal(rate.rstrip("%")) / 100 * 4).quantize(Decimal("0.01"))
    assert sheet_line(submitted, "3.1.1").computed == Decimal(5)  # 2 × 2.5
    assert rate_of(submitted) == Decimal(rate.rstrip("%"))
    assert events_of(submitted) == [("bonus", "预算编制受表彰"), ("bonus", "决算受表彰")]
    row = text_of(response.content.decode().split('data-code="1.1.5"', 1)[1].split("</tr>", 1)[0])
    assert score in row
    submitted.refresh_from_db()
    # 90.74 counted 1.1.5 at its claimed 3.9 while the rate was missing; now the rule's score
    assert submitted.computed_total == Decimal("90.74") - Decimal("3.9") + Decimal(score) + 5


def test_penalties_and_clearing(reviewer_client, submitted):
    post_notified(reviewer_client, submitted, "90", bonus="表彰", penalty="批评一\n批评二\n批评三")
    assert sheet_line(submitted, "3.1.1").computed == Decimal("-2.5")  # +2.5 − min(7.5, 5)
    post_notified(reviewer_client, submitted, "", bonus="", penalty="")
    assert rate_of(submitted) is None
    assert events_of(submitted) == []
    assert sheet_line(submitted, "1.1.5").computed is None


@pytest.mark.parametrize("rate", ["abc", "101", "-1"])
def test_invalid_rate_is_refused(reviewer_client, submitted, rate):
    response = post_notified(reviewer_client, submitted, rate, bonus="表彰")
    assert any(m.startswith("执行率：") for m in messages_of(response)), messages_of(response)
    assert rate_of(submitted) is None and events_of(submitted) == []


@pytest.mark.parametrize("state", ["approved", "published"])
def test_notified_figures_are_frozen_once_approved(reviewer_client, submitted, state):
    set_status(submitted, state)
    response = post_notified(reviewer_client, submitted, "97.5", bonus="表彰")
    assert any("财政局数据已不能修改" in m for m in messages_of(response))
    assert rate_of(submitted) is None and events_of(submitted) == []


def test_filer_sees_the_rate_read_only_and_cannot_set_it(
    reviewer_client, filer_client, seed_eval, users
):
    post_notified(reviewer_client, seed_eval, "97.5")
    seed_eval.refresh_from_db()
    page = filer_client.get(reverse("filing:step", args=[seed_eval.pk, "figures"]))
    assert text_of(by_testid(page.content, f"readonly-{RATE_KEY}")) == "97.50%"
    assert f'name="{RATE_KEY}"' not in page.content.decode()

    version = seed_eval.version
    with pytest.raises(services.NotAllowed) as exc:
        services.evaluation_save_figures(
            seed_eval.pk, users["filer"], version, values={RATE_KEY: Decimal(100)}
        )
    assert "不由部门填报" in exc.value.message
    assert rate_of(seed_eval) == Decimal("97.5")
    seed_eval.refresh_from_db()
    assert seed_eval.version == version

    # a forged POST of the figures form with the rate in it: the rate is not a form field
    data = {
        f.key: format(f.value, "f")
        for f in seed_eval.figures.all()
        if f.value is not None and f.key != RATE_KEY
    }
    data.update({RATE_KEY: "100", "version": str(version)})
    response = filer_client.post(reverse("filing:step", args=[seed_eval.pk, "figures"]), data)
    assert response.status_code == 302
    assert rate_of(seed_eval) == Decimal("97.5")


def test_the_reviewer_cannot_set_department_figures(submitted, users):
    with pytest.raises(services.NotAllowed):
        services.evaluation_set_notified(
            submitted.pk, users["reviewer"], values={"expenditure_final_total": Decimal(1)}
        )
    with pytest.raises(services.NotAllowed):
        services.evaluation_set_notified(submitted.pk, users["filer"], values={RATE_KEY: 1})


# ---------------------------------------------------------------------------- import


@pytest.fixture
def third(seeded) -> Evaluation:
    """A third department of the region with an (empty) evaluation."""
    fy = Evaluation.objects.get(department__code=SEED_DEPARTMENT).fiscal_year
    department = Department.objects.create(
        code="nansha-third", name="广州市南沙区第三局", region=fy.region
    )
    return Evaluation.objects.create(department=department, fiscal_year=fy, rubric=fy.rubric)


def workbook(*rows, headers=tabular.IMPORT_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "通报.xlsx", content_type: str = XLSX):
    return client.post(
        reverse("review:import", args=["nansha", 2022]),
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def state(*evaluations):
    return [(rate_of(e), events_of(e)) for e in evaluations]


def outcomes_of(response) -> dict[int, tuple[str, str]]:
    """The outcome table: line -> (status, the row's visible text)."""
    html = response.content.decode()
    table = by_testid(html, "import-outcomes")
    found = {}
    for line, status in re.findall(r'data-testid="outcome-(\d+)" data-status="(\w+)"', table):
        found[int(line)] = (status, text_of(by_testid(table, f"outcome-{line}")))
    return found


def test_import_updates_several_departments(reviewer_client, seed_eval, blank_eval, third):
    services.evaluation_set_notified(
        third.pk,
        blank_eval.department.region.reviewers.get(),
        values={RATE_KEY: Decimal(60)},
        events=[services.EventInput("penalty", "旧的批评")],
    )
    data = workbook(
        (SEED_DEPARTMENT, "政协办", 97.5, "预算编制受表彰；决算受表彰", None),
        ("nansha-demo-bureau", "示例局", "88.8%", None, "绩效评价为差"),
        ("nansha-third", "第三局", None, "无", "无"),  # rate kept, events cleared
        (None, None, None, None, None),  # a blank row is skipped
    )
    response = upload(reviewer_client, data)
    assert response.status_code == 200
    assert "共 3 行：已导入 3 行，无变化 0 行，已跳过 0 行" in text_of(
        by_testid(response.content, "import-summary")
    )
    assert [status for status, _ in outcomes_of(response).values()] == ["applied"] * 3
    assert state(seed_eval, blank_eval, third) == [
        (Decimal("97.5"), [("bonus", "预算编制受表彰"), ("bonus", "决算受表彰")]),
        (Decimal("88.8"), [("penalty", "绩效评价为差")]),
        (Decimal(60), []),
    ]
    assert sheet_line(seed_eval, "1.1.5").computed == Decimal("3.90")
    assert sheet_line(seed_eval, "3.1.1").computed == Decimal(5)
    seed_eval.refresh_from_db()
    # totals refreshed: 1.1.5 computed (3.90, as claimed) and the 加分 5
    assert seed_eval.computed_total == Decimal("90.74") - Decimal("3.9") + Decimal("3.90") + 5


def test_import_template_lists_every_department(reviewer_client, seed_eval, third):
    from openpyxl import load_workbook

    response = reviewer_client.get(reverse("review:import", args=["nansha", 2022]) + "?template=1")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert rows[0] == tabular.IMPORT_HEADERS
    assert sorted(r[0] for r in rows[1:]) == [SEED_DEPARTMENT, "nansha-demo-bureau", "nansha-third"]


def _template(client) -> bytes:
    return client.get(reverse("review:import", args=["nansha", 2022]) + "?template=1").content


def test_the_downloaded_template_imports_unchanged(reviewer_client, submitted, third, users):
    """Issue 13 item 5: the template downloaded for a region where one department is already
    published, uploaded untouched, failed as a whole (that department's row was refused)."""
    services.evaluation_set_notified(
        submitted.pk,
        users["reviewer"],
        values={RATE_KEY: Decimal("97.50")},
        events=[
            services.EventInput("bonus", '=HYPERLINK("http://x")'),
            services.EventInput("bonus", "预算受表彰"),
        ],
    )
    set_status(submitted, "published")
    before = state(submitted, third)
    response = upload(reviewer_client, _template(reviewer_client))
    assert response.status_code == 200
    found = outcomes_of(response)
    assert {status for status, _ in found.values()} == {"unchanged"}, found
    assert "与现有数据相同" in found[2][1] or "与现有数据相同" in found[3][1]
    assert state(submitted, third) == before


def test_rows_that_cannot_be_applied_are_skipped_and_the_rest_applied(
    reviewer_client, submitted, third, blank_eval
):
    set_status(submitted, "published")
    data = workbook(
        (SEED_DEPARTMENT, "政协办", 90, None, None),  # published: refused
        ("nansha-third", "第三局", 80, "表彰", None),  # applied
        ("no-such-dept", "不存在", 90, None, None),
        ("nansha-demo-bureau", "示例局", "abc", None, None),
        (None, "没有编码", 90, None, None),
    )
    response = upload(reviewer_client, data)
    assert response.status_code == 200
    found = outcomes_of(response)
    assert {line: status for line, (status, _) in found.items()} == {
        2: "skipped",
        3: "applied",
        4: "skipped",
        5: "skipped",
        6: "skipped",
    }
    assert "已公开" in found[2][1] and "不能修改" in found[2][1]
    assert "第三局" in found[3][1] and "已导入" in found[3][1]
    assert "没有单位编码为 no-such-dept 的本年度自评" in found[4][1]
    assert "执行率" in found[5][1]
    assert "缺少单位编码" in found[6][1]
    assert state(submitted, third, blank_eval) == [
        (None, []),
        (Decimal(80), [("bonus", "表彰")]),
        (None, []),
    ]
    summary = text_of(by_testid(response.content, "import-summary"))
    assert "已导入 1 行" in summary and "已跳过 4 行" in summary


def test_a_department_listed_twice_takes_the_later_row(reviewer_client, third):
    data = workbook(("nansha-third", "第三局", 70, None, None), ("nansha-third", "第三局", 75))
    found = outcomes_of(upload(reviewer_client, data))
    assert found[2][0] == "skipped" and "第3行" in found[2][1]
    assert found[3][0] == "applied"
    assert rate_of(third) == Decimal(75)


def test_imported_text_that_looks_like_a_formula_round_trips_as_text(reviewer_client, third):
    """Issue 15 item 3: an event text starting with = is stored as typed and written back to
    the template as a text cell, never as a live formula."""
    from openpyxl import load_workbook

    evil = '=HYPERLINK("http://evil.example","点此")'
    sheet = tabular.xlsx_bytes(
        "t", tabular.IMPORT_HEADERS, [("nansha-third", "第三局", None, evil, "@SUM(1+1)")]
    )
    upload(reviewer_client, sheet)
    assert events_of(third) == [("bonus", evil), ("penalty", "@SUM(1+1)")]
    ws = load_workbook(io.BytesIO(_template(reviewer_client))).worksheets[0]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "nansha-third")
    assert row[3].value == evil and row[3].data_type == "s" and row[3].quotePrefix
    assert row[4].value == "@SUM(1+1)" and row[4].data_type == "s"
    found = outcomes_of(upload(reviewer_client, _template(reviewer_client)))
    assert [s for s, _ in found.values()] == ["unchanged"] * len(found)
    assert events_of(third) == [("bonus", evil), ("penalty", "@SUM(1+1)")]


@pytest.mark.parametrize(("cell", "rate"), [(0.98, "98"), (0.975, "97.5")])
def test_a_percent_formatted_cell_is_read_as_a_percentage(reviewer_client, seed_eval, cell, rate):
    """Excel stores “98%” as 0.98 with a percent format. Was a bug (imported as 0.98%, and
    0.975 refused); fixed in 1e99755."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(tabular.IMPORT_HEADERS))
    ws.append([SEED_DEPARTMENT, "政协办", cell])
    ws["C2"].number_format = "0.0%"  # what Excel stores when “98%” is typed in
    out = io.BytesIO()
    wb.save(out)
    upload(reviewer_client, out.getvalue())
    assert rate_of(seed_eval) == Decimal(rate)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"department,rate\nnansha-third,90\n", "通报.csv", "无法读取该文件"),
        (b"\x00\x01not a zip", "通报.xlsx", "无法读取该文件"),
        (b"PK\x03\x04broken zip", "通报.xlsx", "无法读取该文件"),
        (workbook(headers=("编码", "名称")), "通报.xlsx", "表头不符"),
        (workbook(), "通报.xlsx", "表中没有可导入的数据行"),
    ],
)
def test_a_file_that_is_not_the_import_sheet(reviewer_client, third, data, name, message):
    response = upload(reviewer_client, data, name, "application/octet-stream")
    assert response.status_code == 400
    assert message in text_of(by_testid(response.content, "import-error"))
    assert state(third) == [(None, [])]


def test_import_without_a_file(reviewer_client, seeded):
    response = reviewer_client.post(reverse("review:import", args=["nansha", 2022]))
    assert response.status_code == 400
    assert "请选择要导入的 .xlsx 文件" in response.content.decode()


# ---------------------------------------------------------------------------- e-mails


def _only_mail():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def test_submit_emails_the_regions_reviewers(
    submittable, users, other_region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    message = _only_mail()
    assert message.to == ["reviewer@example.cn"]  # not the other region's reviewer
    assert message.subject.startswith("【待审核】")
    assert (
        "中国人民政治协商会议广州市南沙区委员会办公室2022年度部门整体支出绩效自评" in message.body
    )
    assert "已由filer提交，请审核" in message.body
    assert f"http://127.0.0.1:8000/review/evaluations/{submittable.pk}/" in message.body


@pytest.mark.parametrize(("action", "verb"), [("return", "已退回"), ("approve", "已审核通过")])
def test_return_and_approve_email_the_filers(
    submitted, users, django_capture_on_commit_callbacks, action, verb
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if action == "return":
            services.evaluation_return(submitted.pk, users["reviewer"], "请补充佐证材料。")
        else:
            services.evaluation_approve(submitted.pk, users["reviewer"], "同意。")
    message = _only_mail()
    assert message.to == ["filer@example.cn"]
    assert (
        message.subject
        == f"【{verb}】中国人民政治协商会议广州市南沙区委员会办公室2022年度部门整体支出绩效自评"
    )
    assert verb in message.body
    assert (
        "审核意见：请补充佐证材料。" if action == "return" else "审核意见：同意。"
    ) in message.body
    assert f"http://127.0.0.1:8000/evaluations/{submitted.pk}/step/review/" in message.body
    assert "请勿直接回复" in message.body


def test_withdraw_sends_nothing_and_a_mail_failure_keeps_the_transition(
    submitted, users, django_capture_on_commit_callbacks, monkeypatch
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_withdraw(submitted.pk, users["filer"])
    assert mail.outbox == []

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("evaluations.notify.send_mail", refuse)
    submitted.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_submit(submitted.pk, users["filer"], submitted.version)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_the_notified_form_follows_the_rubric(reviewer_client, seed_eval):
    """The seed rubric's notified rate and 加减分 (2.5 a event) are offered by their labels; a
    rubric with neither (the MoF project layout) offers no form and refuses no one."""
    from evaluations.demo import seed_demo

    html = reviewer_client.get(reverse("review:evaluation", args=[seed_eval.pk])).content.decode()
    assert "一般公共预算项目支出年度平均执行率（%）" in html
    assert "每项加2.5分" in html
    seed_demo(with_project=True)  # the reviewer also reviews the demo county
    project = Evaluation.objects.get(department__code="demo-county-agriculture")
    html = reviewer_client.get(reverse("review:evaluation", args=[project.pk])).content.decode()
    assert "本评分体系没有由财政局填报的数据" in html
    assert 'name="rate"' not in html and "受表彰事项" not in html
