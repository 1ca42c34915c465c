"""What stands between an evaluation and its submission: the steps of the filing form, the
problems that block submission (each with the step and field that holds it), and the
warnings that do not. Computed from the prefetched evaluation, the score sheet and the
consistency checks; no queries of its own."""

from __future__ import annotations

from dataclasses import dataclass, field

from rubric import fmt
from rubric.inputs import Source
from rubric.spec import Line, ScoreSheet

from . import report_numbers
from .checks import Finding, check_evaluation
from .feedback import DELETED, anchor_of, orphaned_reviewed
from .models import Evaluation
from .parsing import InputError, parse_phone
from .scoring import figures_of, line_key, score_evaluation


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    number: int
    help: str = ""


ALL_STEP_KEYS = ("basic", "figures", "management", "duty", "report", "review")


def steps_for(rubric) -> tuple[Step, ...]:
    """The filing steps of an evaluation under this rubric, numbered (rubric `steps`)."""
    return tuple(Step(s.key, s.title, i, s.help) for i, s in enumerate(rubric.steps, start=1))


# Warning codes that block submission; every other engine warning is shown but does not block.
BLOCKING_CODES = frozenset(
    {"reason_required", "not_scored", "points_mismatch", "input_missing", "out_of_range"}
)


FILER, REVIEWER = "filer", "reviewer"
FIXERS = {FILER: "填报人", REVIEWER: "审核人"}


@dataclass(frozen=True)
class Problem:
    """A problem and the place to fix it. A filer's problem is on a filing step (`step`,
    `anchor` on that page); a reviewer's on the review page (`anchor` there, step "")."""

    step: str
    anchor: str
    message: str
    indicator: str = ""  # the indicator's code and name, where the problem is an indicator's
    fixer: str = FILER  # who can fix it: FILER or REVIEWER

    @property
    def fixer_label(self) -> str:
        return FIXERS[self.fixer]


def indicator_anchor(code: str) -> str:
    return "ind-" + code.replace(".", "-")


@dataclass
class Review:
    sheet: ScoreSheet
    findings: list[Finding]  # the rubric's checks over the inputs (rubric/checks.py)
    # numbers typed in the report text that disagree with the figures (report_numbers.py)
    report_numbers: list[report_numbers.NumberFinding] = field(default_factory=list)
    blocking: list[Problem] = field(default_factory=list)  # the filer's: block submission
    warnings: list[Problem] = field(default_factory=list)
    # The reviewer's: a 复核分 that no longer fits its row, or one on a deleted row. They need
    # a new decision before approval; they never block the filer.
    reviewer: list[Problem] = field(default_factory=list)

    @property
    def numbers_by_section(self) -> dict[str, list[report_numbers.NumberFinding]]:
        out: dict[str, list[report_numbers.NumberFinding]] = {}
        for found in self.report_numbers:
            out.setdefault(found.section, []).append(found)
        return out

    @property
    def findings_by_field(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for finding in self.findings:
            out.setdefault(finding.field, []).append(finding)
        return out

    def count_for(self, step: str) -> int:
        return sum(1 for p in self.blocking if p.step == step)

    def step_states(self) -> list[tuple[Step, int]]:
        """Each step with its number of blocking problems (0 = complete)."""
        return [
            (s, self.count_for(s.key) if s.key != "review" else len(self.blocking))
            for s in steps_for(self.sheet.rubric)
        ]


def review(evaluation: Evaluation) -> Review:
    """Everything the 核对与提交 step shows. The evaluation must come prefetched
    (selectors.evaluations_for_scoring / evaluation_for_user)."""
    sheet = score_evaluation(evaluation)
    figures = figures_of(evaluation)
    result = Review(
        sheet=sheet,
        findings=check_evaluation(evaluation, sheet),
        report_numbers=report_numbers.check_evaluation(evaluation, sheet),
    )
    _figures(result, figures, sheet.rubric)
    _sections(result, evaluation)
    _report_meta(result, evaluation)
    if not evaluation.overall_goal.strip():
        result.blocking.append(Problem("duty", "duty-goal", "未填写年度整体绩效目标"))
    duty_code = _duty_code(sheet)
    for line in sheet.lines:
        _line(result, line, duty_code, sheet.rubric.inputs_by_key)
    _evidence(result, evaluation, sheet)
    _target_changes(result, evaluation, sheet)
    _deleted_reviewed(result, evaluation, sheet)
    for finding in result.findings:
        problem = Problem("figures", f"fig-{finding.field}", finding.message)
        (result.blocking if finding.blocking else result.warnings).append(problem)
    for found in result.report_numbers:  # numbers in the report text: warnings only
        result.warnings.append(Problem(found.step, f"sec-{found.section}", found.message))
    return result


def _evidence(result: Review, evaluation: Evaluation, sheet: ScoreSheet) -> None:
    """Indicators whose rubric requires 佐证材料 warn until a file is attached."""
    attached = {link.indicator_code for e in evaluation.evidence.all() for link in e.links.all()}
    for leaf in sheet.rubric.leaves():
        if leaf.evidence_required and leaf.code not in attached:
            result.warnings.append(
                Problem(
                    "management",
                    indicator_anchor(leaf.code),
                    f"{leaf.code} {leaf.name}：须提供佐证材料，尚未上传",
                    indicator=f"{leaf.code} {leaf.name}",
                )
            )


def _figures(result: Review, figures, rubric) -> None:
    for fig in rubric.inputs:
        if figures.get(fig.key) is not None or fig.derived or fig.key not in rubric.used_inputs:
            continue
        if fig.source == Source.FINANCE_BUREAU:
            result.warnings.append(
                Problem("figures", f"fig-{fig.key}", f"待财政局填报：{fig.label}")
            )
        elif fig.required:
            result.blocking.append(Problem("figures", f"fig-{fig.key}", f"未填写：{fig.label}"))


def _sections(result: Review, evaluation: Evaluation) -> None:
    texts = {s.key: s.text for s in evaluation.sections.all()}
    for section in evaluation.rubric.spec.report.sections:
        if section.required and not texts.get(section.key, "").strip():
            step = section.step
            result.blocking.append(
                Problem(step, f"sec-{section.key}", f"未填写报告正文：{section.title}")
            )


def _report_meta(result: Review, evaluation: Evaluation) -> None:
    """报告日期, 联系人 and 联系电话 are printed under the report: missing or invalid ones
    block submission, each linking to its field on the 报告正文 step (where a rubric's
    steps leave that step out, there is nowhere to enter them and nothing is asked)."""
    if not any(s.key == "report" for s in evaluation.rubric.spec.steps):
        return
    if not evaluation.report_date:
        result.blocking.append(Problem("report", "meta-report_date", "未填写报告日期"))
    if not evaluation.contact_name.strip():
        result.blocking.append(Problem("report", "meta-contact_name", "未填写联系人"))
    if not evaluation.contact_phone.strip():
        result.blocking.append(Problem("report", "meta-contact_phone", "未填写联系电话"))
    else:
        try:
            parse_phone(evaluation.contact_phone)
        except InputError as exc:  # e.g. brought in by an import of evaluation data
            result.blocking.append(Problem("report", "meta-contact_phone", f"联系电话有误：{exc}"))


def _duty_code(sheet: ScoreSheet) -> str | None:
    leaf = sheet.rubric.leaf_with_method("target_rows")
    return leaf.code if leaf else None


def _line(result: Review, line: Line, duty_code: str | None, declared: dict) -> None:
    in_duty = duty_code is not None and (
        line.code == duty_code or line.code.startswith(duty_code + ".")
    )
    step = "duty" if in_duty else "management"
    anchor = "duty-" + line.code.replace(".", "-") if in_duty else indicator_anchor(line.code)
    label = f"{line.code} {line.name}"
    for w in line.warnings:
        figure = declared.get(w.field)
        about_figure = figure is not None
        if about_figure and w.code == "input_missing":
            if figure.source == Source.DEPARTMENT and not figure.required:
                result.warnings.append(
                    Problem("figures", f"fig-{w.field}", f"{label}：{w.message}")
                )
            continue  # a required or notified figure is reported once, by _figures
        if w.field == "reviewed":
            # The 复核分 no longer fits (e.g. the row's points were lowered after a return):
            # the reviewer's decision to make again, never the filer's blocker.
            result.reviewer.append(
                Problem(
                    "",
                    "line-" + anchor_of(line_key(line)),
                    f"{label}：{w.message}，请重新复核",
                    indicator=label,
                    fixer=REVIEWER,
                )
            )
            continue
        problem = Problem(step, anchor, f"{label}：{w.message}", indicator=label)
        # A missing input (an unticked checklist item, an unknown actual) blocks only where
        # it leaves the indicator without any score; a claimed score stands with a warning.
        claimed_stands = w.code == "input_missing" and line.claimed is not None
        if w.code in BLOCKING_CODES and not about_figure and not claimed_stands:
            result.blocking.append(problem)
        else:
            result.warnings.append(problem)


def _target_changes(result: Review, evaluation: Evaluation, sheet: ScoreSheet) -> None:
    """A row whose target or points differ from the approved 绩效目标申报: a warning for the
    filer (核对与提交) and the reviewer (review page), with the old and new values and the
    filer's reason."""
    from .services.declaration import change_summary, target_changes

    lines = {line_key(ln): ln for ln in sheet.lines if ln.row is not None}
    changed: list[Problem] = []
    for task in evaluation.tasks.all():
        for row in task.rows.all():
            changes = target_changes(row.approved_target, row)
            if not changes:
                continue
            line = lines.get(row.key)
            code = f"{line.code} " if line else ""
            anchor = "duty-" + line.code.replace(".", "-") if line else "duty-goal"
            reason = row.target_change_reason.strip() or "（未填写）"
            changed.append(
                Problem(
                    "duty",
                    anchor,
                    f"{code}{row.name}：与批复的绩效目标不同（{change_summary(changes)}），"
                    f"调整理由：{reason}",
                    indicator=f"{code}{row.name}",
                )
            )
    result.warnings[0:0] = changed  # first: what the reviewer most needs to look at


def _deleted_reviewed(result: Review, evaluation: Evaluation, sheet: ScoreSheet) -> None:
    """A 复核分 on a row the filer has deleted no longer counts: the reviewer clears it."""
    for score in orphaned_reviewed(evaluation, sheet):
        result.reviewer.append(
            Problem(
                "",
                "deleted-judgements",
                f"{DELETED}：{score.label}的复核分 {fmt.num(score.score)}（{score.reason}）"
                "不再计入得分，请清除",
                fixer=REVIEWER,
            )
        )
