"""%aws_whoami --all: a bounded pool that refills as calls finish, the cap a setting."""

from __future__ import annotations

import threading

import pytest

from aws_cred_magic.identity import DEFAULT_CONCURRENCY, run_concurrently

from .conftest import shell_with_extension


def test_pool_refills_so_one_slow_call_holds_back_nothing():
    """The first call waits until every other call has finished. A refilling pool of two
    runs all the others beside it; fixed batches of two would wait for the first (and time
    out here)."""
    others_done = threading.Event()
    finished: list[int] = []
    lock = threading.Lock()

    def call(item: int) -> str:
        if item == 0:
            return "waited" if others_done.wait(5) else "held back"
        with lock:
            finished.append(item)
            if len(finished) == 5:
                others_done.set()
        return "fast"

    results = run_concurrently(call, list(range(6)), limit=2)
    assert results == ["waited"] + ["fast"] * 5
    assert sorted(finished) == [1, 2, 3, 4, 5]


def test_pool_never_exceeds_its_cap_and_keeps_order():
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Semaphore(0)

    def call(item: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        release.acquire(timeout=0.05)  # keep calls overlapping for a moment
        with lock:
            in_flight -= 1
        return item * 10

    assert run_concurrently(call, list(range(40)), limit=7) == [i * 10 for i in range(40)]
    assert 1 < peak <= 7
    assert run_concurrently(call, [], limit=7) == []


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


def test_concurrency_is_a_setting(ip):
    magics = ip.magics_manager.registry["AwsCredMagics"]
    assert magics.state.concurrency == DEFAULT_CONCURRENCY
    ip.run_line_magic("config", "AwsCredMagics.concurrency = 3")
    assert magics.state.concurrency == 3
