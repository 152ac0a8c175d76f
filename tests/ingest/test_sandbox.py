"""The parsing sandbox: the same exports as parsing in-process, a refusal naming the file when the worker runs out
of memory or time or dies, cancellation that kills the worker, and workers reused between files."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest

from bk.errors import InvalidExportError, ParseCancelledError
from bk.ingest import sandbox
from bk.ingest.reader import read_export
from bk.ingest.sandbox import Limits, Pool

KNIT_ORDERS = (b"Style #,Order #,Start Date,Quoted Date,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),Balance (lbs),"
               b"Seconds (lbs),BKI #s,Modified\n"
               b"CF1/1,KO-1,2025-08-01,2025-09-01,1000,0,0,1000,0,44404,2025-08-20\n"
               b"CF1/1,KO-2,2025-08-04,2025-09-08,abc,0,0,500,0,,2025-08-21\n")


def _machines(rows: int) -> bytes:
    return b"WC,MACH\n" + b"".join(f"9.38.20.{i},{i % 300}\n".encode() for i in range(rows))


def _many_machines(rows: int) -> bytes:
    return b"WC,MACH\n" + b"9.38.20.F,161\n" * rows


@pytest.fixture
def pool():
    pool = Pool(max_workers=1)
    yield pool
    pool.close()


def test_an_export_read_in_the_sandbox_is_the_export_read_here(pool):
    here = read_export(KNIT_ORDERS, name="eFab_Knit_Orders.csv")
    there = pool.read("eFab_Knit_Orders.csv", KNIT_ORDERS)
    pd.testing.assert_frame_equal(there.frame, here.frame, check_exact=True, check_index_type=True)
    assert there.findings == here.findings and any(f.severity == "warning" for f in there.findings)
    assert (there.name, there.kind, there.sha256, there.header_row, there.source_columns) == \
        (here.name, here.kind, here.sha256, here.header_row, here.source_columns)


def test_a_refusal_in_the_worker_is_the_same_refusal_and_the_worker_is_kept(pool):
    with pytest.raises(InvalidExportError) as here:
        read_export(b"a,b\n1,2\n", name="odd.csv")
    with pytest.raises(InvalidExportError) as there:
        pool.read("odd.csv", b"a,b\n1,2\n")
    assert str(there.value) == str(here.value) and there.value.file == "odd.csv"
    assert (there.value.detail, there.value.row, there.value.column) == (here.value.detail, None, None)
    pool.read("m.csv", _machines(3))
    assert pool.started == 1  # one worker read both files


@pytest.mark.parametrize("setting, value, name, data, refusal", [
    # the worker itself takes ~390 MB of address space
    ("BK_PARSE_MEMORY_MB", "450", "big.csv", lambda: _many_machines(1_000_000),
     r"^big\.csv: could not be read within 450 MB / 60 s \(it needs more memory\)"),
    ("BK_PARSE_SECONDS", "0.05", "slow.csv", lambda: _many_machines(300_000),
     r"^slow\.csv: could not be read within 2 GB / 0\.05 s \(it takes longer\)"),
], ids=["memory", "time"])
def test_a_file_over_a_limit_is_a_refusal_naming_the_file_and_the_worker_is_replaced(pool, monkeypatch, setting, value,
                                                                                      name, data, refusal):
    monkeypatch.setenv(setting, value)
    with pytest.raises(InvalidExportError, match=refusal):
        pool.read(name, data())
    monkeypatch.delenv(setting)
    assert pool.read("m.csv", _machines(3)).rows == 3
    assert pool.started == 2


def test_a_worker_that_dies_is_a_refusal_naming_the_file(pool):
    pool.read("m.csv", _machines(3))  # a started, idle worker
    worker, data = pool._idle[0], _many_machines(1_000_000)
    killer = threading.Timer(0.3, lambda: os.kill(worker.proc.pid, signal.SIGSEGV))
    killer.start()
    with pytest.raises(InvalidExportError, match=r"^crash\.csv: could not be read within 2 GB / 60 s \(the reader "
                                                 r"stopped\)"):
        pool.read("crash.csv", data)
    killer.join()
    assert pool.read("m.csv", _machines(3)).rows == 3


def test_a_parse_whose_viewer_left_is_cancelled_and_its_worker_killed(pool):
    pool.read("m.csv", _machines(3))
    worker, data = pool._idle[0], _many_machines(1_000_000)
    asked = time.monotonic()
    with pytest.raises(ParseCancelledError):
        pool.read("big.csv", data, cancelled=lambda: time.monotonic() - asked > 0.3)
    assert worker.proc.poll() is not None  # killed, not left parsing for nobody
    assert pool._idle == []


def test_the_limits_are_settings_with_defaults(monkeypatch):
    monkeypatch.delenv("BK_PARSE_MEMORY_MB", raising=False)
    monkeypatch.delenv("BK_PARSE_SECONDS", raising=False)
    assert str(Limits.from_env()) == "2 GB / 60 s"
    monkeypatch.setenv("BK_PARSE_MEMORY_MB", "1500")
    monkeypatch.setenv("BK_PARSE_SECONDS", "20")
    assert str(Limits.from_env()) == "1,500 MB / 20 s"


def test_the_shared_pool_is_what_read_untrusted_uses():
    assert isinstance(sandbox.POOL, Pool)
    assert sandbox.read_untrusted(_machines(2), name="Machine Report.csv").kind == "machines"
