"""Crash-test writer (run as a process by tests/test_crash.py): the same
service calls the server makes — a penalty import in one thread, inspection
form writes in the main thread — printing ``ACK <id> <marker>`` after each
write returns to the caller, i.e. each write acknowledged to a user, and
``IMPORT_BATCH`` each time the import stored a batch in its (open)
transaction."""

import sys
import threading
from datetime import datetime, timedelta

from sgld.services import inspection, penalty
from sgld.services.accounts import actor_by_username
from sgld.services.penalty import pipeline


def main(csv_path: str, uscc_code: str) -> None:
    sup = actor_by_username("supervisor")
    store = pipeline._store_stage  # looked up there by the import

    def stored(*args):
        result = store(*args)
        print("IMPORT_BATCH", flush=True)
        return result

    pipeline._store_stage = stored

    def importer():
        print("IMPORT_START", flush=True)
        r = penalty.import_files(None, [("crash.csv", csv_path)], source="崩溃测试")
        print(f"IMPORT_DONE {r['run_id']} {r['imported']}", flush=True)

    i = 0
    t0 = datetime.now() - timedelta(days=1)
    while True:
        marker = f"crash-{i}"
        iid = inspection.record(
            sup,
            uscc_code=uscc_code,
            entity_name=None,
            inspected_at=t0,
            place="崩溃测试现场",
            result="合格",
            findings=marker,
            inspectors="张监管",
        )
        print(f"ACK {iid} {marker}", flush=True)
        i += 1
        if i == 10:  # the import starts while form writes keep coming
            threading.Thread(target=importer, daemon=True).start()


if __name__ == "__main__":
    main(*sys.argv[1:])
