"""One candidate of tests/test_leader.py: joins the leader election of the
configured database and keeps ``<dir>/<pid>.leader`` while it leads."""

import os
import sys
import time
from pathlib import Path

from sgld import leader

if __name__ == "__main__":
    mark = Path(sys.argv[1]) / f"{os.getpid()}.leader"
    leader.start(lambda: mark.write_text("leader"), lambda: mark.unlink(missing_ok=True))
    print("STARTED", flush=True)
    while True:
        time.sleep(1)
