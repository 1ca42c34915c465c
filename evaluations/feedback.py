"""The reviewer's judgements as the filer (and the reviewer) should find them: every open 批注
and every 复核分 with its reason, each with the place it is about — the filer's step and field,
the line on the review page — or, where the row it was on has been deleted, no place and the
label 「所属指标已删除」.

Judgements attach to stable keys (see evaluations.scoring.line_key): `ind:<leaf code>`,
`row:<id>` for a 履职效能 row, `fig:<key>`, `sec:<key>`, `goal`, `general` for 批注; the leaf
code or `row:<id>` for 复核分. Reads only the prefetched evaluation, the score sheet and the
grouped annotations (selectors.annotations_of); no queries of its own, but one for the names
of deleted rows where a 复核分 is left on one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rubric import fmt
from rubric.spec import ScoreSheet

from .models import Annotation, Evaluation, ReviewedScore
from .scoring import line_key

DELETED = "所属指标已删除"


def anchor_of(key: str) -> str:
    """A key or code as an HTML id fragment: ind:1.1.1 → ind-1-1-1, row:7 → row-7."""
    return str(key).replace(":", "-").replace(".", "-")


@dataclass(frozen=True)
class Place:
    """Where a judgement's object is shown: the filer's step and element, the review page's."""

    label: str
    step: str
    anchor: str
    review_anchor: str


@dataclass(frozen=True)
class Note:
    """One judgement for the filer's lists: an open 批注 or a 复核分 with its reason."""

    kind: str  # annotation | reviewed
    target: str  # the annotation target or the 复核分 key
    label: str  # what it is about
    text: str
    place: Place | None  # None: the row it was on has been deleted
    annotation: Annotation | None = None
    reviewed: ReviewedScore | None = None

    @property
    def deleted(self) -> bool:
        return self.place is None

    @property
    def step(self) -> str:
        return self.place.step if self.place else "review"

    @property
    def anchor(self) -> str:
        return self.place.anchor if self.place else "deleted-judgements"

    @property
    def review_anchor(self) -> str:
        return self.place.review_anchor if self.place else "deleted-judgements"


def places(sheet: ScoreSheet) -> dict[str, Place]:
    """Every annotation target shown now, with its place (复核分 keys: see reviewed_target)."""
    out: dict[str, Place] = {}
    duty = sheet.rubric.leaf_with_method("target_rows")
    duty_prefix = f"{duty.code}." if duty else None
    for line in sheet.lines:
        if not line.is_leaf:
            continue
        key = line_key(line)
        label = f"{line.code} {line.name}"
        if key != line.code:  # a 履职效能 row: shown on the 履职效能 step, by its position now
            out[key] = Place(
                label, "duty", "duty-" + anchor_of(line.code), "line-" + anchor_of(key)
            )
        elif duty_prefix is None or not line.code.startswith(duty_prefix):
            out[f"ind:{line.code}"] = Place(
                label, "management", "ind-" + anchor_of(line.code), "line-" + anchor_of(line.code)
            )
    for figure in sheet.rubric.inputs:
        out[f"fig:{figure.key}"] = Place(
            figure.label, "figures", f"fig-{figure.key}", f"fig-{figure.key}"
        )
    for section in sheet.rubric.report.sections:
        step = section.step
        out[f"sec:{section.key}"] = Place(
            section.title, step, f"sec-{section.key}", f"sec-{section.key}"
        )
    out["goal"] = Place("年度整体绩效目标", "duty", "duty-goal", "note-goal")
    out["general"] = Place("整份自评", "review", "note-general", "note-general")
    return out


def reviewed_target(code: str) -> str:
    """The annotation-style target of a 复核分 key: 1.1.1 → ind:1.1.1, row:7 stays."""
    return code if ":" in code else f"ind:{code}"


def _reviewed_text(score: ReviewedScore) -> str:
    return f"复核分 {fmt.num(Decimal(score.score))}：{score.reason}"


def notes(
    evaluation: Evaluation, sheet: ScoreSheet, annotations: dict[str, list[Annotation]]
) -> list[Note]:
    """Every open 批注 and every 复核分 (with its reason), in the order of the places they are
    about; the ones whose row has been deleted last."""
    where = places(sheet)
    order = {target: i for i, target in enumerate(where)}
    found: list[Note] = []
    for target, items in annotations.items():
        for a in items:
            if a.resolved_at is not None:
                continue
            place = where.get(target)
            label = place.label if place else (a.target_label or target)
            found.append(Note("annotation", target, label, a.text, place, annotation=a))
    deleted = deleted_labels([r.code for r in evaluation.reviewed_scores.all()], where)
    for score in evaluation.reviewed_scores.all():
        target = reviewed_target(score.code)
        place = where.get(target)
        label = place.label if place else deleted.get(score.code, score.code)
        found.append(Note("reviewed", target, label, _reviewed_text(score), place, reviewed=score))
    return sorted(
        found,
        key=lambda n: (n.place is None, order.get(n.target, len(order)), n.kind != "reviewed"),
    )


def orphaned_annotations(
    sheet: ScoreSheet, annotations: dict[str, list[Annotation]]
) -> dict[str, list[Annotation]]:
    """Annotations (open or resolved) whose object is no longer shown: a deleted row, or a
    target that names nothing any more. Shown on both sides under 「所属指标已删除」."""
    where = places(sheet)
    return {target: items for target, items in annotations.items() if target not in where}


def orphaned_reviewed(evaluation: Evaluation, sheet: ScoreSheet) -> list[ReviewedScore]:
    """复核分 whose row has been deleted: they no longer count; the reviewer clears them.
    Each carries `label`, the deleted row's name."""
    where = places(sheet)
    found = [r for r in evaluation.reviewed_scores.all() if reviewed_target(r.code) not in where]
    labels = deleted_labels([r.code for r in found], where)
    for r in found:
        r.label = labels.get(r.code, r.code)
    return found


def deleted_labels(keys: list[str], where: dict[str, Place]) -> dict[str, str]:
    """The names of the deleted 履职效能 rows among `keys` (one query, only if there are any)."""
    from .models import DutyIndicator

    ids = {}
    for key in keys:
        if key.startswith("row:") and key not in where and key[4:].isdigit():
            ids[int(key[4:])] = key
    if not ids:
        return {}
    rows = DutyIndicator.all_objects.filter(pk__in=ids).values_list("pk", "name")
    return {ids[pk]: f"指标行“{name}”" for pk, name in rows}


def counts_by_step(items: list[Note]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for note in items:
        counts[note.step] = counts.get(note.step, 0) + 1
    return counts
