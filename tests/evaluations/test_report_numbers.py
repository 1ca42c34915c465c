"""Numbers typed into the report text, checked against the evaluation's figures and results
(evaluations/report_numbers.py).

The demo data (evaluations/demo/nansha_2022.yaml) keeps the report's sections without their
amounts and rates (the report generates those sentences); the sentences below are the seed
report's own (shared/seeds, 000_…txt), typed into the demo evaluation's sections — the
contradictions issue 11 lists must each be flagged, and nothing else in them."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from evaluations import report_numbers as rn
from evaluations.models import ReportSection
from evaluations.selectors import evaluations_for_scoring
from evaluations.submission import review
from rubric import engine, loader
from tests.rubric.test_seed_unchanged import _seed_input

from .filing_helpers import step_url, text_of

D = Decimal

# The seed report's sentences with figures, by the section they stand in.
SEED_SENTENCES = {
    "finance_summary": (
        "2022 年年初预算批复金额为 2959.47 万元；2022 年决算收入金额为 1957.86 万元，其中，"
        "其他收入为 28.55 万元。2022 年支出决算总额为 1954.07 万元，部门整体预算完成率 99.8%。"
        "其中基本支出 1496.13 万元，基本支出预算完成率 99.89%；项目支出 457.94 万元，"
        "项目支出预算完成率 91.69%。"
    ),
    "conclusion": (
        "经过组织自评，区政协办公室 2022 年部门整体绩效自评得分为 97.61。年度 98 件立案提案"
        "全部办结，提案办复满意率 100%。先后安排干部职工 20 余批 100 多人次驰援区内村居，"
        "发动委员、委员企业参与志愿服务 1000 余人次；资助 88 名困难学生近 30 万元。"
    ),
    "analysis_budget_preparation": (
        "区政协办公室 2022 年部门年初预算总收入 2959.46 万元，比 2021 年增加 207.34 万元，"
        "增长 7.5%，其中，财政拨款收入 2959.46 万元，均为一般公共预算财政拨款收入。2022 年"
        "部门决算总支出 1954.07 万元，包括人员经费支出 1356 万元、公用经费支出 140.12 万元、"
        "项目支出 457.94 万元。"
    ),
    "analysis_expenditure": (
        "2022 年部门总支出决算 1954.07 万元，使用财政拨款收入 1954.07 万元，部门整体预算"
        "完成率 99.98%。其中基本支出 1496.13 万元，基本支出预算完成率 99.89%，项目支出 "
        "429.65 万元，项目支出预算完成率 86.03%，主要是疫情原因，调研活动减少，项目支出较少。"
    ),
    "analysis_procurement": (
        "区政协办公室 2022 年度政府采购实际采购金额 30.71 万元，同比下降 60.92%，主要变动"
        "原因是由于政策性调整，导致采购金额下降。"
    ),
    "analysis_assets": (
        "区政协办公室 2022 年末资产总额为 72.06 万元，其中固定资产净值 37.34 万元，固定资产"
        "原值 148.50 万元，实际在用固定资产总额与所有固定资产总额相等，固定资产利用率 100%。"
    ),
}

# (section, typed, the figure it disagrees with)
EXPECTED = [
    ("finance_summary", "99.8%", "部门整体预算完成率97.84%"),
    ("analysis_budget_preparation", "2959.46万元", "年初预算2959.47万元"),
    ("analysis_budget_preparation", "2959.46万元", "年初预算2959.47万元"),
    ("analysis_expenditure", "99.98%", "部门整体预算完成率97.84%"),
    ("analysis_expenditure", "429.65万元", "支出决算·项目支出457.94万元"),
    ("analysis_expenditure", "86.03%", "项目支出预算完成率91.69%"),
    ("analysis_procurement", "30.71万元", "政府采购实际金额1.21万元"),
]


@pytest.fixture(scope="module")
def sheet():
    rubric, _ = loader.load_file(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")
    return engine.score(rubric, _seed_input())


@pytest.fixture(scope="module")
def figures(sheet):
    return rn.known_figures(sheet)


def sections(sheet):
    return sheet.rubric.report.sections


def found(texts, sheet, figures):
    return [
        (f.section, f.typed, f"{f.figure}{f.figure_value}")
        for f in rn.check_texts(texts, sections(sheet), figures)
    ]


# ---------------------------------------------------------------------------- pure


def test_the_seed_reports_contradictions_are_each_flagged_and_nothing_else(sheet, figures):
    assert found(SEED_SENTENCES, sheet, figures) == EXPECTED


def test_the_findings_say_where_and_what(sheet, figures):
    texts = {"analysis_procurement": SEED_SENTENCES["analysis_procurement"]}
    (f,) = rn.check_texts(texts, sections(sheet), figures)
    assert f.kind == "named"
    assert f.step == "report"
    assert f.message == (
        "报告正文“4、采购管理情况”：“…公室 2022 年度政府采购实际采购金额30.71万元”"
        "中的30.71万元与政府采购实际金额1.21万元不一致，请核对"
    )


def test_a_close_amount_says_by_how_much(sheet, figures):
    (f,) = rn.check_texts({"overview": "全年预算 1997.61 万元。"}, sections(sheet), figures)
    assert f.kind == "close"
    assert f.step == "basic"
    assert f.message.endswith("与全年预算合计1997.16万元不一致（相差0.45），请核对")


@pytest.mark.parametrize(
    "text",
    [
        "2022年，在区委的领导下，全年开展学习教育宣讲活动80多次，实有在职人员23人。",
        "2023年6月14日，报送65条社情民意信息，资助88名困难学生近30万元。",
        "同比下降60.92%，比上年增长7.5%，约2000万元，30万元以上。",
        "人员经费支出1356万元，年初预算1,954.07万元的说法不对但等于支出决算总额。",
        "项目支出预算完成率91.69%，基本支出预算完成率99.89%，政府采购执行率96.8%。",
        "自评得分为97.61，自评得分97.61分，1.1.1 预算完成率得分2分。",
    ],
)
def test_unrelated_and_equal_numbers_are_not_flagged(text, sheet, figures):
    assert rn.check_texts({"overview": text}, sections(sheet), figures) == []


@pytest.mark.parametrize(
    ("text", "typed", "figure"),
    [
        ("自评得分为97.16。", "97.16分", "自评得分97.61分"),
        ("本项预算完成率得分1.6分。", "1.6分", "预算完成率得分2.00分"),
        ("部门整体预算完成率为 ９８．８％。", "98.8%", "部门整体预算完成率97.84%"),
        ("支出决算总额1,945.07万元。", "1,945.07万元", "支出决算总额1954.07万元"),
    ],
)
def test_scores_rates_and_written_forms(text, typed, figure, sheet, figures):
    (f,) = rn.check_texts({"overview": text}, sections(sheet), figures)
    assert (f.typed, f"{f.figure}{f.figure_value}") == (typed, figure)


def test_a_number_matches_at_the_precision_it_is_written_with(figures):
    (m,) = rn.mentions("人员经费1356万元")
    assert (m.value, m.places, m.unit) == (D(1356), 0, "万元")
    assert rn.judge(m, figures) is None


def test_mentions_read_units_and_skip_approximations():
    text = (
        "2022年23人近30万元，约5万元，8万元左右，20余批，1,954.07 万元，99.8%，3分钟，得分为 97.61"
    )
    assert [(m.typed, m.unit) for m in rn.mentions(text)] == [
        ("1,954.07万元", "万元"),
        ("99.8%", "%"),
        ("97.61分", "分"),
    ]


def test_the_work_is_bounded():
    text = "1万元，" * 10_000
    assert len(rn.mentions(text)) == rn.MAX_MENTIONS
    assert len(rn.mentions(text, limit=5)) == 5
    assert len(rn.mentions("1万元，" * 10 + "x" * rn.MAX_TEXT + "2万元")) == 10


def test_the_budget_of_numbers_is_shared_by_all_sections(sheet, figures, monkeypatch):
    monkeypatch.setattr(rn, "MAX_MENTIONS", 1)
    texts = {"overview": "年初预算2959.46万元。", "duties": "年初预算2959.46万元。"}
    assert len(rn.check_texts(texts, sections(sheet), figures)) == 1


def test_names_of_a_label():
    assert set(rn.names_of("全年预算·项目支出")) == {
        "全年预算·项目支出",
        "项目支出",
        "全年预算项目支出",
    }
    assert "政府采购实际" in rn.names_of("政府采购实际金额")
    assert "支出决算" in rn.names_of("支出决算总额")
    assert rn.names_of("其中：人员经费") == ("人员经费",)


def test_known_figures_include_inputs_derived_rates_rows_and_scores(figures):
    shown = {(f.label, f.shown) for f in figures}
    assert ("年初预算", "2959.47万元") in shown
    assert ("部门整体预算完成率", "97.84%") in shown
    assert ("提案办复满意率实际完成值", "100.00%") in shown
    assert ("自评得分", "97.61分") in shown
    assert ("预算完成率得分", "2.00分") in shown


def test_line_rates_count_as_known_rates(sheet):
    line = SimpleNamespace(
        name="某比率", rate=D("88.88"), row=None, final=None, code="9", warnings=()
    )
    fake = SimpleNamespace(rubric=sheet.rubric, values={}, lines=(line,), totals=sheet.totals)
    rates = [f for f in rn.known_figures(fake) if f.unit == "%"]
    assert [(f.label, f.shown) for f in rates] == [("某比率", "88.88%")]


# ---------------------------------------------------------------------------- in the filing


@pytest.mark.django_db
def test_submission_checks_warn_and_do_not_block(seed_eval):
    before = review(evaluations_for_scoring().get(pk=seed_eval.pk))
    assert before.report_numbers == []
    for key, text in SEED_SENTENCES.items():
        ReportSection.objects.update_or_create(
            evaluation=seed_eval, key=key, defaults={"text": text}
        )
    result = review(evaluations_for_scoring().get(pk=seed_eval.pk))
    assert [(f.section, f.typed) for f in result.report_numbers] == [
        (section, typed) for section, typed, _ in EXPECTED
    ]
    assert len(result.blocking) == len(before.blocking)  # warnings, never a block
    numbers = [p for p in result.warnings if p.anchor.startswith("sec-")]
    assert [(p.step, p.anchor) for p in numbers] == [
        ("report", f"sec-{section}") for section, _, _ in EXPECTED
    ]
    assert result.numbers_by_section["analysis_procurement"][0].typed == "30.71万元"


@pytest.mark.django_db
def test_shown_next_to_the_section_on_the_report_step_and_the_review_page(
    filer_client, reviewer_client, seed_eval
):
    ReportSection.objects.update_or_create(
        evaluation=seed_eval,
        key="analysis_procurement",
        defaults={"text": SEED_SENTENCES["analysis_procurement"]},
    )
    page = text_of(filer_client.get(step_url(seed_eval, "report")))
    assert "中的30.71万元与政府采购实际金额1.21万元不一致" in page
    review_page = reviewer_client.get(reverse("review:evaluation", args=[seed_eval.pk]))
    assert review_page.status_code == 200
    assert "中的30.71万元与政府采购实际金额1.21万元不一致" in text_of(review_page)
