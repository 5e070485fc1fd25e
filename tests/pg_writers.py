"""Writer process of tests/test_pg_concurrency.py: audited service writes
against the configured PostgreSQL database, alongside other such processes.
Prints ``REQ <id> <request_no>``, ``INS <id>`` and ``DEPT <id>`` after each
write returns (the caller was told it was saved), ``DONE`` at the end."""

import sys
from datetime import datetime, timedelta

from sgld.errors import SgldError
from sgld.services import inspection, org, revocation
from sgld.services.accounts import actor_by_username


def main(tag: str, licence_ids: str, uscc_code: str) -> None:
    sup = actor_by_username("supervisor")
    admin = actor_by_username("admin")
    t0 = datetime.now() - timedelta(days=1)
    for n, lid in enumerate(int(x) for x in licence_ids.split(",") if x):
        try:
            rid = revocation.file_request(
                sup,
                licence_id=lid,
                requested_action="撤销许可决定",
                facts=f"并发测试 {tag}-{n}",
                legal_basis="《行政许可法》第六十九条",
            )
            no = revocation.get_db().scalar("SELECT request_no FROM revocation_request WHERE id = ?", [rid])
            print(f"REQ {rid} {no}", flush=True)
        except SgldError as exc:  # not eligible (another state, scope): skipped
            print(f"SKIP {lid} {type(exc).__name__}", flush=True)
        iid = inspection.record(
            sup,
            uscc_code=uscc_code,
            entity_name=None,
            inspected_at=t0,
            place="并发测试现场",
            result="合格",
            findings=f"{tag}-{n}",
            inspectors="张监管",
        )
        print(f"INS {iid}", flush=True)
        did = org.create_department(admin, f"并发测试部门{tag}-{n}", "licensing")
        print(f"DEPT {did}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
