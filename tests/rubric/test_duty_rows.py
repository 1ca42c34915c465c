"""履职效能: score_row for one indicator row, the target_rows leaf expanded by the engine, and
the 绩效目标完成率 (target_ratio) counted from the rows."""

from __future__ import annotations

import pytest

from rubric.methods import row_met, score_row
from rubric.rounding import Rounding
from rubric.spec import Task

from .builders import D, codes, leaf, row, rubric, score_one, sheet, warning

R = Rounding()


def duty_rubric(partial="proportional"):
    return rubric(leaf("2", "target_rows", 50, {"partial": partial}, name="履职效能"))


def scored(*tasks, partial="proportional"):
    return sheet(duty_rubric(partial), tasks=tuple(tasks))


def full_tasks():
    """Four tasks of 12.5 points each, every row met: 50 points in all."""
    return tuple(
        Task(
            f"任务{t}",
            (
                row("4.5", target=20, actual=25, name=f"任务{t}指标1"),
                row(4, target=7, actual=7, name=f"任务{t}指标2"),
                row(4, achieved=True, name=f"任务{t}指标3"),
            ),
        )
        for t in range(1, 5)
    )


# ---------------------------------------------------------------------------- score_row


@pytest.mark.parametrize(
    ("the_row", "expected", "words"),
    [
        (row(4, ">=", 20, 20), "4", "目标≥20，实际20，已完成，得满分4"),
        (row(4, ">=", 20, 25), "4", "已完成"),
        (row(4, "<=", 10, 10), "4", "已完成"),
        (row(4, "<=", 10, 3), "4", "已完成"),
        (row(4, "=", 10, 10), "4", "已完成"),
        (row(4, ">=", 20, 15), "3", "未完成，得分＝4×15÷20＝3"),
        (row("4.5", ">=", 20, 15), "3.38", "得分＝4.5×15÷20＝3.38"),  # 3.375 half up
        (row(4, ">=", 20, 0), "0", "未完成"),
        (row(4, "<=", 10, 20), "2", "未完成，得分＝4×10÷20＝2"),
        (row(4, "=", 10, 9), "0", "未完成，不得分"),
        (row(4, "=", 10, 11), "0", "未完成，不得分"),
    ],
)
def test_score_row_by_numbers(the_row, expected, words):
    result = score_row(the_row, "proportional", R)
    assert result.computed == D(expected)
    assert words in result.basis
    assert result.warnings == []


def test_score_row_unit_in_basis():
    result = score_row(row(3, ">=", 90, 100, unit="%"), "proportional", R)
    assert result.basis == "目标≥90%，实际100%，已完成，得满分3"


@pytest.mark.parametrize("the_row", [row(4, ">=", 20, 15), row(4, "<=", 10, 20)])
def test_score_row_partial_zero(the_row):
    result = score_row(the_row, "zero", R)
    assert result.computed == 0
    assert "未完成，不得分" in result.basis


@pytest.mark.parametrize(("achieved", "expected"), [(True, D(4)), (False, D(0)), (None, None)])
def test_score_row_text_only(achieved, expected):
    the_row = row(4, target_text="不少于20次", actual_text="完成", achieved=achieved)
    result = score_row(the_row, "proportional", R)
    assert result.computed == expected
    assert row_met(the_row) is achieved
    if achieved is None:
        assert [w.code for w in result.warnings] == ["input_missing"]
    else:
        assert result.warnings == []


def test_score_row_target_without_actual_uses_the_tick():
    result = score_row(row(4, ">=", 20, None, achieved=True), "proportional", R)
    assert result.computed == 4
    assert result.basis == "目标≥20，已完成，得满分4"


@pytest.mark.parametrize(
    ("the_row", "expected"),
    [
        (row(4, ">=", 20, 15, achieved=True), D(3)),  # ticked done, numbers say not
        (row(4, ">=", 20, 25, achieved=False), D(4)),  # ticked not done, numbers say done
    ],
)
def test_score_row_tick_contradicting_numbers(the_row, expected):
    result = score_row(the_row, "proportional", R)
    assert result.computed == expected  # the numbers decide
    assert [w.code for w in result.warnings] == ["achieved_conflict"]
    assert result.warnings[0].field == "achieved"


# ---------------------------------------------------------------------------- the expansion


def test_duty_lines_codes_levels_and_subtotals():
    result = scored(
        Task("任务1", (row(4, achieved=True), row(4, achieved=True), row(2, ">=", 4, 2)))
    )
    own = result.line("2")
    task = result.line("2.1")
    third = result.line("2.1.3")
    assert [ln.code for ln in result.lines if ln.code.startswith("2")] == [
        "2",
        "2.1",
        "2.1.1",
        "2.1.2",
        "2.1.3",
    ]
    assert (own.level, task.level, third.level) == (1, 2, 3)
    assert (own.is_leaf, task.is_leaf, third.is_leaf) == (False, False, True)
    assert third.method == "target_row"
    assert task.name == "任务1"
    assert task.points == 10
    assert third.computed == 1  # 2 × 2 ÷ 4
    assert task.computed == task.claimed == 9
    assert own.computed == own.claimed == 9


def test_duty_lines_several_tasks_numbered_in_order():
    result = scored(*full_tasks())
    assert result.line("2.4.3").name == "任务4指标3"
    assert result.line("2.3").name == "任务3"
    assert result.line("2").computed == 50
    assert result.line("2").warnings == ()
    assert all(result.line(f"2.{t}").computed == D("12.5") for t in range(1, 5))


def test_duty_points_not_adding_up_to_50():
    result = scored(Task("任务1", (row(4, achieved=True),)))
    w = warning(result.line("2"), "points_mismatch")
    assert "合计4" in w.message
    assert "应为50" in w.message


def test_duty_without_tasks():
    line = scored().line("2")
    assert line.computed == 0
    assert codes(line) == ["input_missing"]


def test_duty_row_claim_and_its_reason():
    tasks = (Task("任务1", (row(4, ">=", 20, 15, claimed=D(4)),)),)
    line = scored(*tasks).line("2.1.1")
    assert (line.computed, line.claimed) == (3, 4)
    assert codes(line) == ["claimed_differs", "reason_required"]
    tasks = (Task("任务1", (row(4, ">=", 20, 15, claimed=D(4), reason="统计口径调整"),)),)
    line = scored(*tasks).line("2.1.1")
    assert codes(line) == ["claimed_differs"]
    assert line.reason == "统计口径调整"


def test_duty_row_claim_above_its_points():
    tasks = (Task("任务1", (row(4, achieved=True, claimed=D(5), reason="x"),)),)
    assert "out_of_range" in codes(scored(*tasks).line("2.1.1"))


def test_duty_row_partial_zero_through_the_engine():
    tasks = (Task("任务1", (row(4, ">=", 20, 15),)),)
    assert scored(*tasks, partial="zero").line("2.1.1").computed == 0
    assert scored(*tasks).line("2.1.1").computed == 3


# ---------------------------------------------------------------------------- target_ratio


def target_ratio(*rows):
    tasks = (Task("任务1", tuple(rows)),) if rows else ()
    return score_one("target_ratio", 2, {"label": "绩效目标完成率"}, tasks=tasks)


def test_target_ratio_all_met():
    line = target_ratio(row(achieved=True), row(target=5, actual=6), row(achieved=True))
    assert line.computed == 2
    assert "3÷3×100%＝100.00%" in line.basis


def test_target_ratio_some_not_met():
    line = target_ratio(row(achieved=True), row(target=5, actual=4), row(achieved=True))
    assert line.computed == D("1.33")  # 66.67% × 2
    assert "2÷3×100%＝66.67%" in line.basis


def test_target_ratio_without_rows_is_missing():
    line = target_ratio()
    assert line.computed is None
    assert codes(line) == ["input_missing"]


def test_target_ratio_row_of_unknown_completion_is_missing():
    line = target_ratio(row(achieved=True), row(achieved=None))
    assert line.computed is None
    assert "1项" in warning(line, "input_missing").message
