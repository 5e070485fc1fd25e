"""Uploaded and generated files.

Files are checked by content (magic bytes), not only by extension, limited
in size (``SGLD_UPLOAD_MAX_MB``), and stored outside the database under
``<SGLD_DATA_DIR>/files/`` by SHA-256, so the same content is stored once.
The original name is kept for download only; no path is ever built from a
user-supplied name.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from db.connection import get_db
from sgld import audit, clock, settings
from sgld.errors import NotFound, ValidationError

UPLOAD_TYPES = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "ofd": "OFD"}
GENERATED_TYPES = {"docx", "xlsx"}
EXT_ALIASES = {"jpeg": "jpg"}
MIME = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(data: bytes) -> str | None:
    """The file type by content, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        # OFD (GB/T 33190) is a zip with OFD.xml at its root; docx/xlsx are zips too
        head = data[:4096]
        if b"OFD.xml" in head:
            return "ofd"
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        import io
        import zipfile

        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        if "OFD.xml" in names:
            return "ofd"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return None


# markup a browser would render: a file with a PDF/image header whose first
# bytes also hold HTML (a polyglot) is refused. XMP metadata (<?xpacket,
# <x:xmpmeta, <rdf:...) is legitimate and not matched.
POLYGLOT_SCAN = 8192
_MARKUP = re.compile(rb"<\s*(?:html|script|!doctype\s+html|body|iframe|svg|object|embed)[\s>/]", re.IGNORECASE)


def looks_like_markup(data: bytes) -> bool:
    """True when the first ``POLYGLOT_SCAN`` bytes contain HTML tags."""
    return _MARKUP.search(data[:POLYGLOT_SCAN]) is not None


def clean_name(name: str) -> str:
    """A display name without directories or control characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not name:
        raise ValidationError("文件名无效。", field="file")
    return name[:120]


@dataclass(frozen=True)
class Checked:
    name: str
    kind: str
    data: bytes
    sha256: str


def check_upload(name: str, data: bytes, *, allowed: dict | None = None) -> Checked:
    """Validate one uploaded file; raises ValidationError with a Chinese message."""
    allowed = allowed or UPLOAD_TYPES
    name = clean_name(name)
    limit = settings.get().upload_max_mb * 1024 * 1024
    if not data:
        raise ValidationError(f"文件“{name}”是空文件。", field="file")
    if len(data) > limit:
        raise ValidationError(
            f"文件“{name}”大小 {len(data) / 1048576:.1f} MB，超过上限 {settings.get().upload_max_mb} MB。", field="file"
        )
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    ext = EXT_ALIASES.get(ext, ext)
    kind = sniff(data)
    shown = "、".join(allowed.values())
    if ext not in allowed:
        raise ValidationError(f"文件“{name}”的类型不允许，只接受 {shown}。", field="file")
    if kind != ext:
        raise ValidationError(f"文件“{name}”的内容与扩展名不符（不是有效的 {allowed[ext]} 文件）。", field="file")
    if looks_like_markup(data):
        raise ValidationError(
            f"文件“{name}”含有网页代码（HTML/脚本），不是正常的 {allowed[ext]} 文件，已拒绝上传。", field="file"
        )
    return Checked(name, kind, data, hashlib.sha256(data).hexdigest())


def _path(sha: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise NotFound("文件不存在。")
    return settings.get().data_dir / "files" / sha[:2] / sha[2:4] / sha


def _store_blob(f: Checked) -> None:
    path = _path(f.sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(f.data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def attach(cur, actor, owner_type: str, owner_id, f: Checked) -> int:
    """Store a checked file and link it to its owner, inside the caller's
    write transaction (the blob is written first; an orphan blob after a
    rollback is harmless, a row without its blob cannot happen)."""
    _store_blob(f)
    aid = cur.execute(
        "INSERT INTO attachment (sha256, file_name, file_type, size_bytes, owner_type, owner_id,"
        " uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            f.sha256,
            f.name,
            f.kind,
            len(f.data),
            owner_type,
            str(owner_id),
            getattr(actor, "user_id", None),
            clock.now(),
        ],
    ).fetchone()[0]
    audit.record(
        cur,
        actor,
        "attach",
        owner_type,
        owner_id,
        after={"attachment_id": aid, "file_name": f.name, "sha256": f.sha256, "size": len(f.data)},
    )
    return aid


def generated(name: str, data: bytes) -> Checked:
    """A document the system produced itself (.docx/.xlsx)."""
    kind = sniff(data)
    if kind not in GENERATED_TYPES:
        raise ValueError("generated documents must be .docx or .xlsx")
    return Checked(clean_name(name), kind, data, hashlib.sha256(data).hexdigest())


def list_for(owner_type: str, owner_id) -> list[dict]:
    return get_db().dicts(
        "SELECT id, file_name, file_type, size_bytes, uploaded_at FROM attachment"
        " WHERE owner_type = ? AND owner_id = ? ORDER BY id",
        [owner_type, str(owner_id)],
    )


def read(attachment_id: int) -> tuple[dict, bytes]:
    """Metadata and content of one stored file.  Callers check that the actor
    may see the owner record before calling this."""
    rows = get_db().dicts(
        "SELECT id, sha256, file_name, file_type, size_bytes, owner_type, owner_id FROM attachment WHERE id = ?",
        [attachment_id],
    )
    if not rows:
        raise NotFound("文件不存在。")
    meta = rows[0]
    path = _path(meta["sha256"])
    if not path.is_file():
        raise NotFound(f"文件“{meta['file_name']}”的内容缺失，请联系系统管理员。")
    meta["mime"] = MIME.get(meta["file_type"], "application/octet-stream")
    return meta, path.read_bytes()
