"""What every write shares: locking the row, recording field changes, refreshing totals."""

from __future__ import annotations

from django.db.models import F

from rubric.inputs import Source

from .. import snapshot
from ..models import Evaluation, FieldChange, FigureValue
from ..selectors import evaluations_for_scoring
from .errors import NotAllowed, NotEditable, NotFound
from .text import checked


def locked(evaluation_id: int) -> Evaluation:
    """The evaluation, locked for the rest of the transaction (select_for_update)."""
    try:
        return (
            Evaluation.objects.select_for_update()
            .select_related("department", "fiscal_year", "rubric")
            .get(pk=evaluation_id)
        )
    except Evaluation.DoesNotExist as exc:
        raise NotFound("没有找到该自评") from exc


def locked_for_filer(evaluation_id: int, actor, *, what: str = "修改") -> Evaluation:
    """Locked, and only for a filer of the department while it is editable (填报中, 已退回)."""
    from .. import access

    evaluation = locked(evaluation_id)
    error = access.refusal(evaluation, access.access_for(actor, evaluation).roles, "edit")
    if isinstance(error, NotEditable):
        raise NotEditable(error.message.replace("不能修改", f"不能{what}", 1))
    if error is not None:
        raise error
    return evaluation


def set_figures(evaluation: Evaluation, values, source: Source) -> None:
    """Store input values; each must be one that the evaluation's rubric declares and that
    `source` (department or finance bureau) supplies. Numbers go to `value`; a text, date or
    yes/no input to `text` (ISO date, yes/no)."""
    declared = evaluation.rubric.spec.inputs_by_key
    existing = {f.key: f for f in evaluation.figures.all()}
    for key, value in values.items():
        spec = declared.get(key)
        if spec is None or spec.source != source:
            who = "部门" if source == Source.DEPARTMENT else "财政局"
            raise NotAllowed(f"“{spec.label if spec else key}”不由{who}填报")
        if spec.type == "number":
            fields = {"value": value}
        elif value is None or value == "":
            fields = {"text": ""}
        elif spec.type == "bool":
            fields = {"text": "yes" if value in (True, "yes") else "no"}
        elif spec.type == "date":
            fields = {"text": value.isoformat() if hasattr(value, "isoformat") else str(value)}
        else:
            fields = {"text": checked(str(value), "input_text", field=key)}
        row = existing.get(key)
        if row is None:
            FigureValue.objects.create(evaluation=evaluation, key=key, **fields)
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            row.save(update_fields=list(fields))


def record_changes(
    evaluation: Evaluation, actor, before: snapshot.Flat, after: snapshot.Flat | None = None
) -> int:
    """Store one FieldChange per field that differs between `before` and `after` (by default
    the evaluation's fields as they are now); returns how many."""
    changes = snapshot.diff(before, snapshot.flatten(evaluation) if after is None else after)
    FieldChange.objects.bulk_create(
        FieldChange(
            evaluation=evaluation, actor=actor, key=c.key, label=c.label[:300], old=c.old, new=c.new
        )
        for c in changes
    )
    return len(changes)


def refresh_totals(evaluation_id: int) -> None:
    """Recompute the score table and store its totals and problem counts on the evaluation
    (read by the reviewers' dashboard). Every write that can change what the PDF says ends
    here, so this is also where the content revision (the PDF cache's key) is bumped."""
    from ..submission import review

    fresh = evaluations_for_scoring().get(pk=evaluation_id)
    result = review(fresh)
    totals = result.sheet.totals
    Evaluation.objects.filter(pk=evaluation_id).update(
        computed_total=totals.computed,
        claimed_total=totals.claimed,
        reviewed_total=totals.reviewed,
        final_total=totals.final,
        warning_count=len(result.warnings),
        blocking_count=len(result.blocking),
        revision=F("revision") + 1,
    )


# ---------------------------------------------------------------------------- staleness guard

STAMP_NAME = "stamps/totals.sha256"
# The code the stored totals are computed by (besides the rubric data, stamped by digest).
SCORING_SOURCES = (
    "rubric",
    "evaluations/scoring.py",
    "evaluations/submission.py",
    "evaluations/checks.py",
)


def totals_stamp() -> str:
    """A digest of what every stored total depends on besides the evaluation's own rows: the
    scoring code (rubric/*.py and the adapter) and the loaded rubric versions' digests."""
    import hashlib
    from pathlib import Path

    from django.conf import settings

    from ..models import RubricVersion

    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for source in SCORING_SOURCES:
        path = base / source
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            if file.exists():
                digest.update(file.read_bytes())
    for sha in RubricVersion.objects.order_by("key").values_list("sha256", flat=True):
        digest.update(sha.encode())
    return digest.hexdigest()


def refresh_stale_totals(*, force: bool = False) -> int:
    """Recompute every evaluation's stored totals if the scoring code or the rubric versions
    changed since the last full refresh (the stamp kept in storage), or if `force`; returns
    how many were refreshed (0 when the stamp is current)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stamp = totals_stamp()
    if not force and default_storage.exists(STAMP_NAME):
        with default_storage.open(STAMP_NAME, "rb") as f:
            if f.read().decode().strip() == stamp:
                return 0
    count = 0
    for pk in Evaluation.objects.values_list("pk", flat=True).iterator():
        refresh_totals(pk)
        count += 1
    if default_storage.exists(STAMP_NAME):
        default_storage.delete(STAMP_NAME)
    default_storage.save(STAMP_NAME, ContentFile(stamp.encode()))
    return count


def refresh_totals_for_rubric(rubric_id: int) -> int:
    """After a rubric version is loaded or assigned: its evaluations' stored totals."""
    pks = list(Evaluation.objects.filter(rubric_id=rubric_id).values_list("pk", flat=True))
    for pk in pks:
        refresh_totals(pk)
    return len(pks)
