"""Stored and generated files, opened after the owner record's scope check.

One entry point for every download (the checked HTTP route in
``web/files.py`` and any other caller): ``open_file(actor, kind, owner_id,
attachment_id)`` dispatches to the service that owns the record, which
checks the actor's role and data scope exactly as its page does."""

from __future__ import annotations

from sgld.attachments import MIME
from sgld.errors import NotFound
from sgld.security import Actor

DOCX = MIME["docx"]


def _scan(actor, owner_id, aid):
    from sgld.services import push

    meta, data = push.read_scan(actor, aid)
    return meta["file_name"], meta["mime"], data


def _evidence(actor, owner_id, aid):
    from sgld.services import inspection

    meta, data = inspection.evidence(actor, owner_id, aid)
    return meta["file_name"], meta["mime"], data


def _revocation(actor, owner_id, aid):
    from sgld.services import revocation

    meta, data = revocation.read_file(actor, owner_id, aid)
    return meta["file_name"], meta["mime"], data


def _explanation(actor, owner_id, aid):
    from sgld.services import revocation

    meta, data = revocation.explanation(actor, owner_id)
    return meta["file_name"], meta["mime"], data


def _letter(actor, owner_id, aid):
    from sgld.services import liaison

    name, data = liaison.letter_docx(actor, owner_id)
    return name, DOCX, data


KINDS = {
    "scan": _scan,
    "evidence": _evidence,
    "revocation": _revocation,
    "explanation": _explanation,
    "letter": _letter,
}


def open_file(actor: Actor, kind: str, owner_id: int, attachment_id: int = 0) -> tuple[str, str, bytes]:
    """(file name, MIME type, content) of one file the actor may see; raises
    the owner service's PermissionDenied / NotFound otherwise."""
    fn = KINDS.get(kind)
    if fn is None:
        raise NotFound("文件不存在。")
    return fn(actor, owner_id, attachment_id)
