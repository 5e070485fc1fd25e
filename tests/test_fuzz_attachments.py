"""Bad uploads: wrong magic bytes, zero bytes, oversize, names with path
separators, control characters or thousands of characters.  check_upload
accepts a file only when its content is of an allowed type matching the
extension, and the kept name is a plain display name; stored through a
service, a refused upload leaves no row behind."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given

from sgld import attachments
from sgld.services import push
from tests.conftest import actor
from tests.fuzz_util import attempt, file_contents, file_names, fuzz, fuzz_db, uploads  # noqa: F401

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database


@fuzz(150)
@given(name=file_names(), data=file_contents())
def test_check_upload(fuzz_db, name, data):
    checked, err = attempt(fuzz_db, attachments.check_upload, name, data)
    if err is None:
        assert checked.kind in attachments.UPLOAD_TYPES
        assert attachments.sniff(data) == checked.kind
        assert not attachments.looks_like_markup(data)
        assert 0 < len(data) <= 1024 * 1024
        assert "/" not in checked.name and "\\" not in checked.name
        assert not any(unicodedata.category(c)[0] == "C" for c in checked.name)
        assert 0 < len(checked.name) <= 120


@fuzz(30)
@given(files=uploads(3))
def test_scans_through_the_service(fuzz_db, files):
    case_id = fuzz_db.scalar("SELECT min(id) FROM approval_case")
    before = fuzz_db.scalar("SELECT count(*) FROM attachment")
    ids, err = attempt(fuzz_db, push.add_scans, actor("approver"), case_id, files)
    after = fuzz_db.scalar("SELECT count(*) FROM attachment")
    assert after - before == (0 if err else len(files))
    for aid in ids or []:
        meta, content = attachments.read(aid)
        assert content and meta["file_name"]
