"""Pages run inside the app shell (app.py's navigation and snapshot picker), also when deep-linked."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_shell() -> None:
    """Call first on every page. On a fresh server Streamlit starts in its old ``pages/`` folder mode until
    app.py has called ``st.navigation`` once, so the first deep link (``/inventory``) would run the page script
    alone: no snapshot picker, raw file names in the sidebar. Leave that mode and rerun: app.py then serves the
    same page (page ids come from the URL path in both modes) inside the shell."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
