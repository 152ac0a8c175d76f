"""Beverly Knits planning dashboard: routes to the pages and shows the snapshot picker; nothing else. Imported by
`streamlit run app.py` (no session), it declares the `st.App` served, whose start-up work is ui.startup's."""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    # `streamlit run app.py` imports this file to serve `app`: the server then runs it as the script of each
    # session (below), and its start-up work begins with the server (ui.startup)
    from ui.startup import lifespan

    app = st.App(__file__, lifespan=lifespan)
else:
    from ui import errors, metrics, services, state

    st.set_page_config(page_title="Beverly Knits planning", page_icon=":material/texture:", layout="wide")

    PAGES = [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/yarn.py", title="Yarn requirements", icon=":material/shopping_cart:"),
        st.Page("pages/inventory.py", title="Yarn inventory", icon=":material/inventory_2:"),
        st.Page("pages/pipeline.py", title="Fabric pipeline", icon=":material/conveyor_belt:"),
        st.Page("pages/capacity.py", title="Knitting capacity", icon=":material/precision_manufacturing:"),
        st.Page("pages/forecasting.py", title="Sales forecast", icon=":material/trending_up:"),
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
        st.Page("pages/health.py", title="App health", icon=":material/monitor_heart:"),
    ]

    services.between_runs()  # keeps the full collection Streamlit makes after each run off the long-lived heap
    navigation = st.navigation(PAGES)
    metrics.start_exporter()
    with services.page_timer(navigation.title), errors.page_guard(navigation.title):
        snapshot = state.sidebar_picker()
        if snapshot is not None:
            # the worker starts now, on the other core: the forecast (seconds) is ready sooner, and a page never
            # waits for a worker that is still starting (it computes a light view itself)
            services.warm(snapshot)
        navigation.run()
