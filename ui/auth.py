"""Optional authorisation for saving snapshots: an upload token or an OIDC login, configured in secrets."""

from __future__ import annotations

import hmac
import os

import streamlit as st


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


def may_save() -> bool:
    """Render what authorisation needs (a token field or a login button); True when saving is allowed.

    With neither a token nor an ``[auth]`` section configured, anyone may save (a single trusted network).
    """
    if login_configured():
        if not st.user.is_logged_in:
            st.warning("Saving snapshots needs a login.")
            st.button("Log in", on_click=st.login)
            return False
        st.caption(f"Logged in as {st.user.get('email') or st.user.get('name') or 'user'}.")
    expected = upload_token()
    if expected is None:
        return True
    given = st.text_input("Upload token", type="password", key="upload_token_input",
                          help="Saving is restricted: ask the administrator for the token.")
    if not given:
        st.info("Enter the upload token to save.")
        return False
    if not hmac.compare_digest(given.encode(), expected.encode()):
        st.error("The upload token is wrong; nothing was saved.")
        return False
    return True
