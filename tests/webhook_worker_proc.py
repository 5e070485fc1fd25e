"""Run the webhook delivery worker as its own process (tests/test_webhook_worker.py
kills it with SIGKILL while an event is in flight)."""

import time

from sgld import webhook

if __name__ == "__main__":
    assert webhook.start()
    print("WORKER_STARTED", flush=True)
    while True:
        time.sleep(1)
