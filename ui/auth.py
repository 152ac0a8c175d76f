"""Optional authorisation for saving snapshots: an upload token or an OIDC login, configured in secrets.

Wrong tokens are limited per session and per client (IP address): after a few free attempts every further
failure locks that key for a doubling back-off, during which even the right token is refused. Failures are
logged without the guess.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

LOG = logging.getLogger("bk.auth")


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class AttemptLimiter:
    """Failed attempts per key: ``free`` failures are allowed, each further one locks the key for
    ``base_s * 2**(extra - 1)`` seconds (at most ``max_s``). A key is forgotten ``forget_s`` after its last
    failure. Thread-safe; at most ``max_keys`` keys are kept (the oldest are dropped first)."""

    def __init__(self, *, free: int, base_s: float = 2.0, max_s: float = 900.0, forget_s: float = 3600.0,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.free, self.base_s, self.max_s, self.forget_s, self.max_keys = free, base_s, max_s, forget_s, max_keys
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def _record(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None and now - record.last_failure > self.forget_s and now >= record.locked_until:
            del self._records[key]
            return None
        return record

    def wait_s(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        with self._lock:
            now = self.clock()
            record = self._record(key, now)
            return max(0.0, record.locked_until - now) if record else 0.0

    def failures(self, key: str) -> int:
        with self._lock:
            record = self._record(key, self.clock())
            return record.failures if record else 0

    def fail(self, key: str) -> float:
        """Count one failure of ``key``; the lock it now has, in seconds."""
        with self._lock:
            now = self.clock()
            record = self._record(key, now)
            if record is None:
                if len(self._records) >= self.max_keys:
                    oldest = min(self._records, key=lambda k: self._records[k].last_failure)
                    del self._records[oldest]
                record = self._records[key] = _Record()
            record.failures += 1
            record.last_failure = now
            extra = record.failures - self.free
            if extra > 0:
                record.locked_until = now + min(self.max_s, self.base_s * 2 ** (extra - 1))
            return max(0.0, record.locked_until - now)

    def reset(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._records.clear()
            else:
                self._records.pop(key, None)


SESSION_LIMITER = AttemptLimiter(free=3)
CLIENT_LIMITER = AttemptLimiter(free=10)


def _secret(name: str) -> object | None:
    try:
        return st.secrets.get(name)
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitSecretNotFoundError):
        return None


def upload_token() -> str | None:
    """The configured token: ``upload_token`` in secrets, else the ``BK_UPLOAD_TOKEN`` environment variable."""
    token = _secret("upload_token") or os.environ.get("BK_UPLOAD_TOKEN")
    return str(token) if token else None


def login_configured() -> bool:
    return bool(_secret("auth"))


def session_key() -> str:
    """This browser session's id (hashed, so logs never carry a live session id)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    raw = ctx.session_id if ctx else "no-session"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def client_key() -> str:
    """The client's address: behind a proxy (``BK_CLIENT_IP_HEADER`` names the header it writes, e.g.
    ``X-Forwarded-For``) the entry ``BK_TRUSTED_PROXIES`` (default 1) from the right of that header, the one the
    proxies we trust appended (a client may put anything to the left); else the websocket peer."""
    header = os.environ.get("BK_CLIENT_IP_HEADER")
    if header:
        value = forwarded_client(st.context.headers.get(header) or "", trusted_proxies=trusted_proxies())
        if value:
            return value[:64]
    return st.context.ip_address or "unknown"


def trusted_proxies() -> int:
    """``BK_TRUSTED_PROXIES`` (default 1): how many proxies in front of the app append to the client header."""
    try:
        return max(1, int(os.environ.get("BK_TRUSTED_PROXIES", "1")))
    except ValueError:
        return 1


def forwarded_client(value: str, *, trusted_proxies: int = 1) -> str:
    """The client address in an X-Forwarded-For style list: the ``trusted_proxies``-th entry from the right
    (each trusted proxy appends the address it saw); the left-most when the list is shorter."""
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if not entries:
        return ""
    return entries[-trusted_proxies] if len(entries) >= trusted_proxies else entries[0]


def _token_accepted(given: str, expected: str) -> bool:
    session, client = session_key(), client_key()
    wait = max(SESSION_LIMITER.wait_s(session), CLIENT_LIMITER.wait_s(client))
    if wait > 0:
        st.error(f"Too many wrong upload tokens: try again in {math.ceil(wait)} s. Nothing was saved.")
        return False
    # a guess is checked once: reruns with the same field value neither count again nor re-compare
    fingerprint = hashlib.sha256(given.encode() + b"\0" + expected.encode()).hexdigest()  # a new token: check again
    if st.session_state.get("_token_checked") == (fingerprint, True):
        return True
    if st.session_state.get("_token_checked") != (fingerprint, False):
        ok = hmac.compare_digest(given.encode(), expected.encode())
        st.session_state["_token_checked"] = (fingerprint, ok)
        if ok:
            SESSION_LIMITER.reset(session)
            return True
        session_wait, client_wait = SESSION_LIMITER.fail(session), CLIENT_LIMITER.fail(client)
        LOG.warning("upload token refused: session %s, client %s, %d failures in the session, %d from the "
                    "client, locked for %.0f s", session, client, SESSION_LIMITER.failures(session),
                    CLIENT_LIMITER.failures(client), max(session_wait, client_wait))
        wait = max(session_wait, client_wait)
        if wait > 0:
            st.error(f"The upload token is wrong; nothing was saved. Too many wrong tokens: try again in "
                     f"{math.ceil(wait)} s.")
            return False
    st.error("The upload token is wrong; nothing was saved.")
    return False


def may_save() -> bool:
    """Render what authorisation needs (a token field or a login button); True when saving is allowed.

    With neither a token nor an ``[auth]`` section configured, anyone may save (a single trusted network).
    """
    return authorised("Saving snapshots", "save", key="upload_token_input")


def may_load_test() -> bool:
    """Like ``may_save``, for starting load tests on the App health page (they slow every other session)."""
    return authorised("Load tests", "run a load test", key="load_test_token_input")


def authorised(what: str, verb: str, *, key: str) -> bool:
    """Render the login button or token field (widget ``key``) guarding ``what``; True when it is allowed."""
    if login_configured():
        if not st.user.is_logged_in:
            st.warning(f"{what} need{'' if what.endswith('s') else 's'} a login.")
            st.button("Log in", on_click=st.login, key=f"{key}_login")
            return False
        st.caption(f"Logged in as {st.user.get('email') or st.user.get('name') or 'user'}.")
    expected = upload_token()
    if expected is None:
        return True
    given = st.text_input("Upload token", type="password", key=key,
                          help=f"{what} are restricted: ask the administrator for the token.")
    if not given:
        st.info(f"Enter the upload token to {verb}.")
        return False
    return _token_accepted(given, expected)
