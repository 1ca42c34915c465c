"""佐证材料: the evaluation's library of files, each attached to any number of indicators; upload,
attach, detach and delete, only by the department's filers and only while the evaluation is
editable. The type is checked from the content (evaluations.uploads), the size against
EVIDENCE_MAX_BYTES; a file whose content (SHA-256) is already in the library is not stored
twice: the library's file is reused (and attached where the upload was meant to go)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from .. import audit, uploads
from ..models import Evidence, EvidenceLink
from ..parsing import InputError
from .common import locked_for_filer, refresh_totals
from .errors import NotFound, ServiceError
from .text import CONTROL


def _as_editor(evaluation_id: int, actor):
    return locked_for_filer(evaluation_id, actor, what="上传或删除佐证材料")


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class Uploaded:
    """What an upload did: the library's file, and whether it is new or the same content
    already there (`reused`, under the name it was first uploaded with)."""

    evidence: Evidence
    reused: bool
    name: str  # the name of the file as uploaded this time


def _check_code(evaluation, indicator_code: str) -> None:
    codes = {leaf.code for leaf in evaluation.rubric.spec.leaves()}
    if indicator_code not in codes:
        raise NotFound(f"评分体系中没有指标 {indicator_code}")


def _link(evidence: Evidence, indicator_code: str, actor, request) -> bool:
    """Attach; False if it was attached already."""
    _link_row, created = EvidenceLink.objects.get_or_create(
        evidence=evidence, indicator_code=indicator_code, defaults={"linked_by": actor}
    )
    if created:
        audit.record(
            "evidence_attach",
            request=request,
            user=actor,
            evaluation=evidence.evaluation_id,
            evidence=evidence.pk,
            indicator=indicator_code,
        )
    return created


def evidence_upload(
    evaluation_id: int, actor, *, indicator_code: str = "", upload: UploadedFile, request=None
) -> Evidence:
    """evidence_store, for callers that want the library's file only."""
    return evidence_store(
        evaluation_id, actor, indicator_code=indicator_code, upload=upload, request=request
    ).evidence


def evidence_store(
    evaluation_id: int, actor, *, indicator_code: str = "", upload: UploadedFile, request=None
) -> Uploaded:
    """Put a file in the library (attached to `indicator_code` when given). The same content
    uploaded again is the library's file, attached where this upload was meant to go."""
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        if indicator_code:
            _check_code(evaluation, indicator_code)
        name = CONTROL.sub("", upload.name or "")
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "未命名"
        try:
            kind = uploads.validate(name, upload.file, upload.size, settings.EVIDENCE_MAX_BYTES)
        except InputError as exc:
            raise ServiceError(f"“{name[:60]}”未上传：{exc}") from exc
        name = uploads.corrected_name(name, kind)  # the extension follows the content
        digest = _sha256(upload.file)
        existing = Evidence.objects.filter(evaluation=evaluation, sha256=digest).first()
        if existing is not None:
            if indicator_code:
                _link(existing, indicator_code, actor, request)
            refresh_totals(evaluation.pk)
            return Uploaded(existing, reused=True, name=name[:255])
        evidence = Evidence(
            evaluation=evaluation,
            original_name=name[:255],
            content_type=kind.content_type,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )
        evidence.file.save(f"{kind.extension}", upload.file, save=False)
        evidence.save()
        audit.record(
            "evidence_upload",
            request=request,
            user=actor,
            evaluation=evaluation.pk,
            evidence=evidence.pk,
            name=evidence.original_name,
            sha256=digest,
        )
        if indicator_code:
            _link(evidence, indicator_code, actor, request)
        # A required 佐证材料 attached: one warning fewer on the dashboard's stored counts.
        refresh_totals(evaluation.pk)
    return Uploaded(evidence, reused=False, name=evidence.original_name)


def _library_file(evaluation, evidence_id) -> Evidence:
    try:
        return evaluation.evidence.get(pk=evidence_id)
    except (Evidence.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("没有找到该佐证材料") from exc


def evidence_attach(
    evaluation_id: int, evidence_id: int, actor, *, indicator_code: str, request=None
) -> Evidence:
    """Attach a file of the library to an indicator (again: nothing changes)."""
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        _check_code(evaluation, indicator_code)
        evidence = _library_file(evaluation, evidence_id)
        if _link(evidence, indicator_code, actor, request):
            refresh_totals(evaluation.pk)
    return evidence


def evidence_detach(
    evaluation_id: int, evidence_id: int, actor, *, indicator_code: str, request=None
) -> Evidence:
    """Detach a file from an indicator; the file stays in the library."""
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        evidence = _library_file(evaluation, evidence_id)
        deleted, _ = evidence.links.filter(indicator_code=indicator_code).delete()
        if not deleted:
            raise NotFound("该材料未关联到这个指标")
        audit.record(
            "evidence_detach",
            request=request,
            user=actor,
            evaluation=evaluation.pk,
            evidence=evidence.pk,
            indicator=indicator_code,
        )
        refresh_totals(evaluation.pk)
    return evidence


def evidence_delete(evaluation_id: int, evidence_id: int, actor, *, request=None) -> None:
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        evidence = _library_file(evaluation, evidence_id)
        codes = [link.indicator_code for link in evidence.links.all()]
        name, digest = evidence.original_name, evidence.sha256
        stored = evidence.file.name
        evidence.delete()
        audit.record(
            "evidence_delete",
            request=request,
            user=actor,
            evaluation=evaluation.pk,
            evidence=evidence_id,
            name=name,
            sha256=digest,
            indicators=codes,
        )
        refresh_totals(evaluation.pk)
        if stored:
            storage = evidence.file.storage
            transaction.on_commit(lambda: storage.delete(stored))
