"""Attack 2 (token brute force): wrong upload tokens are limited per session and per client, back off, are
logged without the guess, and the right token after a lockout has to wait."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from bk.ingest.snapshot import SnapshotStore
from tests.pages.conftest import ROOT, TIMEOUT_S
from ui import auth
from ui.auth import AttemptLimiter

MACHINES = b"\xef\xbb\xbfWC,MACH\n9.38.20.F,161\n1.19.22.V,041\n"
TOKEN = "s3cret-token"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, tmp_path):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BK_UPLOAD_TOKEN", TOKEN)
    fake = Clock()
    for limiter in (auth.SESSION_LIMITER, auth.CLIENT_LIMITER):
        limiter.reset()
        monkeypatch.setattr(limiter, "clock", fake)
    yield fake
    auth.SESSION_LIMITER.reset()
    auth.CLIENT_LIMITER.reset()


def _data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=TIMEOUT_S).run()
    at.file_uploader[0].set_value(("Machine Report fin1.csv", MACHINES, "text/csv")).run()
    return at


def _try(at: AppTest, guess: str) -> AppTest:
    return at.text_input(key="upload_token_input").input(guess).run()


def _save_enabled(at: AppTest) -> bool:
    return not next(b for b in at.button if b.label == "Save snapshot").disabled


def test_limiter_backs_off_doubling_after_the_free_attempts():
    fake = Clock()
    limiter = AttemptLimiter(free=3, base_s=2, max_s=60, forget_s=3600, clock=fake)
    assert [limiter.fail("a") for _ in range(8)] == [0, 0, 0, 2, 4, 8, 16, 32]
    assert limiter.fail("a") == 60  # capped
    assert limiter.wait_s("b") == 0  # other keys are not affected
    fake.now += 59
    assert limiter.wait_s("a") == pytest.approx(1)
    fake.now += 3600 + 2
    assert limiter.wait_s("a") == 0 and limiter.failures("a") == 0  # forgotten an hour after the last failure


def test_limiter_keeps_a_bounded_number_of_keys():
    limiter = AttemptLimiter(free=1, max_keys=3, clock=Clock())
    for key in "abcde":
        limiter.fail(key)
    assert [limiter.failures(k) for k in "abcde"] == [0, 0, 1, 1, 1]


def test_brute_force_in_one_session_is_locked_and_the_right_token_must_wait(clock, caplog, tmp_path):
    at = _data_page()
    with caplog.at_level(logging.WARNING, logger="bk.auth"):
        for i in range(4):
            _try(at, f"guess-{i}")
    assert any("try again in 2 s" in e.value for e in at.error), [e.value for e in at.error]
    log = caplog.text
    assert log.count("upload token refused") == 4
    assert "guess-" not in log and TOKEN not in log
    _try(at, TOKEN)  # the right token during the lockout is refused too
    assert not _save_enabled(at)
    assert any("Too many wrong upload tokens" in e.value for e in at.error)
    clock.now += 3
    _try(at, TOKEN + " ")  # a new value after the lock: one more check, then the right one
    _try(at, TOKEN)
    assert any("try again" in e.value for e in at.error)  # the failure above doubled the back-off to 4 s
    clock.now += 5
    _try(at, "x")
    _try(at, TOKEN)
    assert any("try again" in e.value for e in at.error)  # 8 s now
    clock.now += 9
    at.run()
    assert _save_enabled(at)
    next(b for b in at.button if b.label == "Save snapshot").click().run()
    assert len(SnapshotStore(tmp_path / "snapshots").list()) == 1


def test_repeating_one_wrong_value_counts_once(clock):
    at = _data_page()
    _try(at, "same wrong")
    for _ in range(5):
        at.run()
    assert auth.SESSION_LIMITER.failures(next(iter(auth.SESSION_LIMITER._records))) == 1
    _try(at, TOKEN)
    assert _save_enabled(at)


def test_new_sessions_from_one_client_are_limited_per_client(clock, monkeypatch):
    # AppTest gives every run one session id: each fresh "session" here gets its own key
    session = {"id": "s0"}
    monkeypatch.setattr(auth, "session_key", lambda: session["id"])
    monkeypatch.setattr(auth, "client_key", lambda: "203.0.113.7")
    for i in range(10):  # ten fresh sessions, one guess each: within every session's free attempts
        session["id"] = f"s{i}"
        _try(_data_page(), f"g{i}")
    session["id"] = "s10"
    fresh = _data_page()
    _try(fresh, f"g{10}")
    assert any("Too many wrong tokens" in e.value for e in fresh.error)
    session["id"] = "s11"
    late = _data_page()
    _try(late, TOKEN)
    assert not _save_enabled(late)
    monkeypatch.setattr(auth, "client_key", lambda: "198.51.100.2")  # another client is not locked out
    session["id"] = "s12"
    other = _data_page()
    _try(other, TOKEN)
    assert _save_enabled(other)


def test_the_client_address_is_the_entry_our_proxies_appended_to_x_forwarded_for():
    # a client may send its own X-Forwarded-For: the proxy appends the address it saw, on the right
    assert auth.forwarded_client("6.6.6.6, 203.0.113.7") == "203.0.113.7"
    assert auth.forwarded_client("6.6.6.6,198.51.100.1, 203.0.113.7", trusted_proxies=2) == "198.51.100.1"
    assert auth.forwarded_client("203.0.113.7", trusted_proxies=2) == "203.0.113.7"
    assert auth.forwarded_client(" , ") == ""
