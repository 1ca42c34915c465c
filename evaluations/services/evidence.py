"""佐证材料: upload and delete, only by the department's filers and only while the evaluation is
editable. The type is checked from the content, the size against EVIDENCE_MAX_BYTES, and a
file already attached to the evaluation (same SHA-256) is refused as a duplicate."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from .. import audit, uploads
from ..models import Evidence
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


def evidence_upload(
    evaluation_id: int, actor, *, indicator_code: str, upload: UploadedFile, request=None
) -> Evidence:
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        if indicator_code:
            codes = {leaf.code for leaf in evaluation.rubric.spec.leaves()}
            if indicator_code not in codes:
                raise NotFound(f"评分体系中没有指标 {indicator_code}")
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
            where = f"指标 {existing.indicator_code}" if existing.indicator_code else "整体佐证材料"
            raise ServiceError(
                f"“{name[:60]}”未上传：与已上传的“{existing.original_name}”（{where}）内容相同。"
            )
        evidence = Evidence(
            evaluation=evaluation,
            indicator_code=indicator_code,
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
        # A required 佐证材料 attached: one warning fewer on the dashboard's stored counts.
        refresh_totals(evaluation.pk)
    return evidence


def evidence_delete(evaluation_id: int, evidence_id: int, actor, *, request=None) -> None:
    with transaction.atomic():
        evaluation = _as_editor(evaluation_id, actor)
        try:
            evidence = evaluation.evidence.get(pk=evidence_id)
        except Evidence.DoesNotExist as exc:
            raise NotFound("没有找到该佐证材料") from exc
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
        )
        refresh_totals(evaluation.pk)
        if stored:
            storage = evidence.file.storage
            transaction.on_commit(lambda: storage.delete(stored))
