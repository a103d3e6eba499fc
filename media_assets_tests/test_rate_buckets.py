"""The SQLite budget's lock: every bucket of one store shares it, threads of one process queue on it
without polling the file, and another process holding the file still keeps every permit waiting."""

import subprocess
import sys
import threading
import time
from pathlib import Path

from media_assets.lib import rate_buckets

HOLD_THE_FILE = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_the_buckets_of_one_store_share_one_lock(tmp_path: Path) -> None:
    """Edit and Serve take permits at the same moment; with a file lock each, the second polled the
    file (50 ms a try) while the first held it, and a round of 32 requests waited that long."""
    store = tmp_path / "rate_limits.sqlite"
    edit = rate_buckets.limiter(store, "acct.edit/v1", 300, 60.0)
    serve = rate_buckets.limiter(store, "acct.serve/v1", 600, 60.0)
    other = rate_buckets.limiter(tmp_path / "elsewhere.sqlite", "acct.edit/v1", 300, 60.0)
    [edit_bucket], [serve_bucket], [other_bucket] = edit.buckets(), serve.buckets(), other.buckets()
    assert edit_bucket.lock is serve_bucket.lock
    assert other_bucket.lock is not edit_bucket.lock
    assert isinstance(edit_bucket.lock, rate_buckets.StoreLock)
    assert edit.try_acquire("acct.edit/v1") and serve.try_acquire("acct.serve/v1")


def test_the_store_lock_excludes_threads_and_lets_its_holder_in_again(tmp_path: Path) -> None:
    lock = rate_buckets.StoreLock(str(tmp_path / "store.lock"))
    inside, most = [0], [0]

    def work() -> None:
        for _ in range(200):
            with lock, lock:  # reentrant: the limiter holds it around the bucket's own hold
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_another_process_holding_the_store_keeps_a_permit_waiting(tmp_path: Path) -> None:
    store = tmp_path / "rate_limits.sqlite"
    limiter = rate_buckets.limiter(store, "acct.edit/v1", 300, 60.0)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, f"{store}.lock"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        [bucket] = limiter.buckets()
        assert not bucket.lock.acquire(timeout=0.3), "the other process holds the store"
        assert not bucket.lock.acquire(blocking=False)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert limiter.try_acquire("acct.edit/v1", timeout=5), "its permit, once the other process let go"
