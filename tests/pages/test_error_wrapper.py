"""The app-wide safety net (ui/errors.py, used by app.py): an unexpected error on a page is one friendly
message naming the page and the operation, logged with its traceback on the server, never shown as a stack."""

from __future__ import annotations

import logging

from streamlit.testing.v1 import AppTest

import ui.services
import ui.state
from tests.pages.conftest import TIMEOUT_S, app, figures, no_exceptions


def _shown(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption, *at.info, *at.warning])


def _script_running_an_operation():
    from types import SimpleNamespace

    from ui import errors, services

    with errors.page_guard("Yarn inventory"):
        services.run("inventory.analyze", SimpleNamespace(snapshot_id="demo", digest="d", exports={"yarn_inventory": 1}),
                     service_level=0.95)


def test_an_unexpected_error_in_an_operation_names_the_page_and_what_it_was_computing(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("secret internal detail")

    monkeypatch.setattr(ui.services, "_cached", broken)  # what services.run calls for the operation
    with caplog.at_level(logging.ERROR, logger="bk.ui"):
        at = AppTest.from_function(_script_running_an_operation, default_timeout=TIMEOUT_S).run()
    no_exceptions(at)  # no raw exception element in the browser
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Yarn inventory page" in message and "while computing the yarn inventory" in message
    assert "inventory.analyze" not in message  # the operation's code name is for the log
    assert "secret internal detail" not in _shown(at) and "Traceback" not in _shown(at)
    logged = [r for r in caplog.records if r.name == "bk.ui"]
    assert len(logged) == 1 and logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError
    reference = message.split("reference ")[1].split(" ")[0]
    assert reference in logged[0].getMessage() and "inventory.analyze" in logged[0].getMessage()


def test_an_error_outside_any_operation_names_the_page(monkeypatch):
    def broken():
        raise KeyError("machine")

    monkeypatch.setattr(ui.state, "sidebar_picker", broken)  # app.py runs it inside the guard
    at = app().run()
    no_exceptions(at)
    assert len(at.error) == 1 and "Overview page stopped while showing it" in at.error[0].value
    assert "machine" not in _shown(at)


def _script_with_bk_error():
    from bk.errors import MissingDataError
    from ui.errors import page_guard

    with page_guard("Knitting capacity"):
        raise MissingDataError("capacity planning needs the Machines (machines) export")


def _script_with_stop():
    import streamlit as st

    from ui.errors import page_guard

    with page_guard("Data"):
        st.write("before")
        st.stop()
    st.write("after the guard")


def test_a_bk_error_is_shown_as_its_own_message():
    at = AppTest.from_function(_script_with_bk_error, default_timeout=TIMEOUT_S).run()
    no_exceptions(at)
    assert [e.value for e in at.error] == ["capacity planning needs the Machines export"]  # no kind code on screen


def test_st_stop_passes_through_the_guard():
    at = AppTest.from_function(_script_with_stop, default_timeout=TIMEOUT_S).run()
    no_exceptions(at)
    assert not at.error and [m.value for m in at.markdown] == ["before"]


def test_inventory_page_works_from_the_yarn_inventory_alone(isolated_store):
    from bk.ingest.snapshot import SnapshotStore
    from tests.conftest import DEMO
    from tests.pages.conftest import page

    SnapshotStore(isolated_store).save([("yarn_inventory.csv", (DEMO / "yarn_inventory.csv").read_bytes())])
    at = page("inventory.py").run()
    no_exceptions(at)
    assert not at.error
    labels = {m.label: m.value for m in figures(at)}
    assert labels["Yarns short"] == "" and labels["Stock value"].startswith("$")  # blank, never a stand-in
    infos = " ".join(i.value for i in at.info)
    assert "Projected shortages are not shown" in infos and "Bill of materials" in infos
    captions = " ".join(c.value for c in at.caption)
    assert "Not shown — no Bill of materials" in captions and "Knit orders" in captions
    assert "(bom)" not in captions and "knit_orders" not in captions  # titles, never kind codes
