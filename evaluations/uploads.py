"""Upload validation for 佐证材料: the type is decided by the content, not the file name.

Accepted: PDF, OFD, JPG, PNG, DOCX, XLSX. OFD, DOCX and XLSX are ZIP containers and are told
apart by the parts they must contain. Pure functions; InputError carries the user's message.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from .parsing import InputError


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    content_type: str
    extension: str
    inline: bool  # shown in the browser rather than downloaded
    aliases: tuple[str, ...] = ()  # other extensions naming the same content (jpeg)

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)


KINDS = {
    "pdf": Kind("pdf", "PDF", "application/pdf", "pdf", True),
    "ofd": Kind("ofd", "OFD", "application/ofd", "ofd", False),
    "jpg": Kind("jpg", "JPG 图片", "image/jpeg", "jpg", True, ("jpeg",)),
    "png": Kind("png", "PNG 图片", "image/png", "png", True),
    "docx": Kind(
        "docx",
        "Word 文档（DOCX）",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        False,
    ),
    "xlsx": Kind(
        "xlsx",
        "Excel 表格（XLSX）",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        False,
    ),
}
ACCEPTED = "、".join(k.label.split("（")[0] for k in KINDS.values())
MAX_ZIP_MEMBERS = 10_000


def sniff(handle: BinaryIO) -> Kind:
    """The kind of the file by its content; InputError if it is none of the accepted ones."""
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(handle)
    raise InputError(f"不支持的文件类型（按文件内容判断）。可上传：{ACCEPTED}。")


def _zip_kind(handle: BinaryIO) -> Kind:
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise InputError("文件结构异常，无法接受。")
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError("文件已损坏或不是有效的 DOCX、XLSX 或 OFD 文件。") from exc
    finally:
        handle.seek(0)
    if "OFD.xml" in names:
        return KINDS["ofd"]
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return KINDS["docx"]
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return KINDS["xlsx"]
    raise InputError(f"不支持的压缩文件。可上传：{ACCEPTED}。")


def validate(name: str, handle: BinaryIO, size: int, max_bytes: int) -> Kind:
    if size <= 0:
        raise InputError("文件为空。")
    if size > max_bytes:
        raise InputError(
            f"文件过大：{size / 1048576:.1f} MB，上限为 {max_bytes / 1048576:.0f} MB。"
        )
    if len(name) > 200:
        raise InputError("文件名过长（上限200个字符）。")
    return sniff(handle)


def corrected_name(name: str, kind: Kind) -> str:
    """The file name with the extension of its content: 预算报告.html holding a PNG becomes
    预算报告.png, so a browser or desktop never opens it as what its name claimed; a name that
    already ends in one of the kind's extensions (any case) is kept."""
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in kind.extensions:
        return name
    stem = stem if dot and stem else name
    return f"{stem[: 200 - len(kind.extension) - 1]}.{kind.extension}"


def kind_of(content_type: str) -> Kind | None:
    """The accepted kind stored with this content type, if any."""
    return next((k for k in KINDS.values() if k.content_type == content_type), None)


def sniff_bytes(data: bytes) -> Kind:
    return sniff(io.BytesIO(data))
