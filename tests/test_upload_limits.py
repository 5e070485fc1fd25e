"""Uploads at their limits: polyglot files are refused; an over-size file
stops the whole save with a Chinese message."""

from __future__ import annotations

import pytest

from sgld import attachments
from sgld.errors import ValidationError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>hi</body></html>",
        b"<!DOCTYPE html><p>x",
        b"<SCRIPT>alert(1)</SCRIPT>",
        b"\n< script src=//x>",
        b"<iframe src=x>",
        b"<svg onload=alert(1)>",
    ],
)
def test_pdf_header_with_html_body_is_refused(empty_db, body):
    with pytest.raises(ValidationError, match="网页代码"):
        attachments.check_upload("扫描件.pdf", b"%PDF-1.4\n" + body)


def test_png_header_with_script_is_refused(empty_db):
    with pytest.raises(ValidationError, match="网页代码"):
        attachments.check_upload("a.png", b"\x89PNG\r\n\x1a\n<script>x</script>")


def test_ordinary_pdf_with_xmp_metadata_is_accepted(empty_db):
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF><rdf:Description/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    assert attachments.check_upload("a.pdf", PDF + xmp).kind == "pdf"
    assert attachments.check_upload("a.pdf", PDF).kind == "pdf"
