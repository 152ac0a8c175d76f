"""Process metrics for Prometheus on a side port (``BK_METRICS_PORT``), and Streamlit's own tier-1 counters."""

from __future__ import annotations

import logging
import os
import re
import threading
import urllib.request

import streamlit as st

from ui import services

LOG = logging.getLogger("bk.metrics")
TIER1_CACHE = r'cache="ui\.services\._cached(_forecast)?"'  # the st.cache_resource of service results


def streamlit_cache_counters() -> dict | None:
    """Tier-1 hits and misses (the shared service results, ``ui.services._cached*``) from this server's
    /_stcore/metrics; None when not served."""
    port = st.get_option("server.port") or 8501
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=1) as response:
            text = response.read().decode()
    except OSError:
        return None
    return tier1_counts(text)


def tier1_counts(text: str) -> dict:
    """Hits, misses and hit rate of the tier-1 caches in a /_stcore/metrics text (``cache_lookups_total``)."""
    hits = misses = 0.0
    for line in text.splitlines():
        m = re.match(r'^cache_lookups_total\{([^}]*)\}\s+([0-9.eE+-]+)$', line)
        if not m or not re.search(TIER1_CACHE, m.group(1)):
            continue
        if 'result="hit"' in m.group(1):
            hits += float(m.group(2))
        elif 'result="miss"' in m.group(1):
            misses += float(m.group(2))
    total = hits + misses
    return {"hits": hits, "misses": misses, "hit_rate": hits / total if total else None}


_EXPORTER_LOCK = threading.Lock()
_EXPORTER: dict = {"tried": False, "port": None, "collector": None}


def start_exporter() -> int | None:
    """Serve RSS, GC and profiler figures for Prometheus on ``127.0.0.1:BK_METRICS_PORT`` (tried once per
    process); the port, or None when unset or unavailable. Fails soft: a port in use (a second replica on the
    same host) or a bad value is logged once and the app runs without the side port; the collector is
    registered at most once, so there is never a ``Duplicated timeseries`` error."""
    with _EXPORTER_LOCK:
        if _EXPORTER["tried"]:
            return _EXPORTER["port"]
        _EXPORTER["tried"] = True
        port_text = os.environ.get("BK_METRICS_PORT")
        if not port_text:
            return None
        try:
            port = int(port_text)
        except ValueError:
            LOG.warning("BK_METRICS_PORT=%r is not a port number; metrics side port not started", port_text)
            return None
        from prometheus_client import REGISTRY, start_http_server

        if _EXPORTER["collector"] is None:
            _EXPORTER["collector"] = _collector()
            try:
                REGISTRY.register(_EXPORTER["collector"])
            except ValueError as exc:  # already registered by an earlier import of this module
                LOG.warning("bk metrics collector not registered again (%s)", exc)
        try:
            start_http_server(port, addr="127.0.0.1")
        except OSError as exc:
            LOG.warning("metrics side port 127.0.0.1:%d unavailable (%s); set a different BK_METRICS_PORT per "
                        "replica. The app runs without it.", port, exc)
            return None
        _EXPORTER["port"] = port
        return port


def _collector():
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class Collector:
        def collect(self):
            manager = services.manager()  # looked up per scrape: the collector is registered once per process
            snap = manager.monitor.snapshot()
            rss = snap["rss"][-1]["rss_mb"] if snap["rss"] else manager.monitor.rss_mb()
            yield GaugeMetricFamily("bk_process_rss_megabytes", "Resident memory of the app", value=rss)
            gc_total = CounterMetricFamily("bk_gc_collections", "Garbage collections seen", labels=["generation"])
            for gen in (0, 1, 2):
                gc_total.add_metric([str(gen)], sum(e["generation"] == gen for e in snap["gc_events"]))
            yield gc_total
            p95 = GaugeMetricFamily("bk_operation_p95_milliseconds", "p95 of each service operation",
                                    labels=["operation"])
            calls = CounterMetricFamily("bk_operation_calls", "Calls of each service operation",
                                        labels=["operation"])
            for name, p in manager.profiler.report()["operations"].items():
                if p["p95"] is not None:
                    p95.add_metric([name], p["p95"])
                calls.add_metric([name], p["count"])
            yield p95
            yield calls
            p50 = GaugeMetricFamily("bk_operation_p50_milliseconds", "p50 of each service operation",
                                    labels=["operation"])
            for name, p in manager.profiler.report()["operations"].items():
                if p["p50"] is not None:
                    p50.add_metric([name], p["p50"])
            yield p50
            warm = GaugeMetricFamily("bk_operation_warm_p50_milliseconds",
                                     "p50 of each operation's warm runs (served from caches)", labels=["operation"])
            for name, p in manager.profiler.report()["operations"].items():
                if p.get("warm_p50") is not None:
                    warm.add_metric([name], p["warm_p50"])
            yield warm
            tier2 = CounterMetricFamily("bk_result_cache_lookups", "Tier-2 (disk) cache lookups",
                                        labels=["operation", "result"])
            for name, s in (manager.cache.stats_dict() if manager.cache else {}).items():
                tier2.add_metric([name, "hit"], s["hits"])
                tier2.add_metric([name, "miss"], s["misses"])
            yield tier2

    return Collector()
