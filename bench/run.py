"""`python -m bk bench`: every figure of the optimization issue, measured, as one JSON object.

In-process: ingest, DataFrame memory against object/default dtypes, each service operation uncached and
cached (tier 2), forecast of every style (cold, in a fresh process). Served: a real `streamlit run app.py`
driven by headless Chromium through every page (RSS), 300 more page loads (RSS growth), a scripted planner
session (tier-1 + tier-2 hit rate from /_stcore/metrics and the Prometheus side port), page rerun server time.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PAGES = ["", "yarn", "inventory", "pipeline", "capacity", "forecasting",
         "data", "health"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _files(paths: list[Path]) -> list[Path]:
    from bk.ingest.snapshot import files_in

    return files_in(paths)


def df_reduction(paths: list[Path]) -> dict:
    """Deep memory of our parsed frames against pandas reading the same files with dtype=object and default."""
    import pandas as pd

    from bk.ingest import read_export

    ours = as_object = default = 0
    for path in _files(paths):
        export = read_export(path)
        ours += int(export.frame.memory_usage(deep=True).sum())
        data = path.read_bytes()
        if data[:4] == b"PK\x03\x04":
            obj = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
            plain = pd.read_excel(io.BytesIO(data), engine="openpyxl")
        elif data.lstrip(b"\xef\xbb\xbf \n").startswith(b"["):
            records = json.loads(data.decode("utf-8-sig"))
            obj = pd.DataFrame.from_records(records).astype(object)
            plain = pd.DataFrame.from_records(records)
        else:
            obj = pd.read_csv(io.BytesIO(data), dtype=object, encoding="utf-8-sig", low_memory=False)
            plain = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", low_memory=False)
        as_object += int(obj.memory_usage(deep=True).sum())
        default += int(plain.memory_usage(deep=True).sum())
    return {"df_bytes_ours": ours, "df_bytes_object": as_object, "df_bytes_default": default,
            "df_reduction_vs_object_pct": round(100 * (1 - ours / as_object), 1),
            "df_reduction_vs_default_pct": round(100 * (1 - ours / default), 1)}


def service_timings(snapshot, repeats: int = 9) -> dict:
    """p95 of every page operation called directly (uncached) and through the manager's tier-2 cache."""
    from common import timings_ms

    from bk.optimization.cache import ResultCache
    from bk.optimization.manager import DEFAULT_VIEWS, ServiceManager, operations

    ops = operations()
    out, medians = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        manager = ServiceManager(cache=ResultCache(Path(tmp)))
        for name, params in DEFAULT_VIEWS:
            if name not in ops or name in out:  # one figure per operation (yarn.plan is warmed twice)
                continue
            fn = ops[name]
            n = 3 if name.startswith("forecast") else repeats
            uncached = timings_ms(lambda fn=fn, params=params: fn(snapshot.frames, as_of=snapshot.as_of, **params),
                                  repeats=n, warmup=1)
            manager.run(name, snapshot, **params)
            cached = timings_ms(lambda name=name, params=params: manager.run(name, snapshot, **params), repeats=n,
                                warmup=1)
            out[name] = {"uncached": uncached["p95"], "cached": cached["p95"], "uncached_p50": uncached["p50"]}
            medians[name] = uncached["p50"]
    total = sum(v for k, v in medians.items() if not k.startswith("forecast"))
    return {"service_p95_ms": out, "service_total_ms": round(total, 1),
            "service_total_ms_note": "sum of the uncached medians, forecast excluded (it has its own figure)"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 3) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def _lookups(text: str, pattern: str) -> tuple[float, float]:
    hits = misses = 0.0
    for line in text.splitlines():
        if not re.match(pattern, line):
            continue
        value = float(line.rsplit(" ", 1)[1])
        if 'result="hit"' in line:
            hits += value
        elif 'result="miss"' in line:
            misses += value
    return hits, misses


_DONE = """(title) => {
  const app = document.querySelector("[data-testid='stApp']");
  const h = document.querySelector("h1");
  return app && app.getAttribute('data-test-script-state') === 'notRunning' && h && h.innerText.trim() === title;
}"""


def felt_speed(browser, base: str, *, rounds: int = 4) -> dict:
    """What a new user feels, clicking sidebar links: launch → first page done, each page's first visit, and
    page switches (click → the page's title shows and its script finished) over ``rounds`` rounds; p50/p95 of
    the switches after the first round (cached)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()  # the server is starting: keep knocking, the clock runs
    while True:
        try:
            page.goto(base)
            break
        except Exception:  # connection refused until the server listens
            if time.perf_counter() - t0 > 180:
                raise
            time.sleep(0.05)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning'] h1", timeout=180_000)
    first_page = time.perf_counter() - t0
    links = page.locator("[data-testid='stSidebarNavLink']")
    names = [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]
    switch: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(rounds):
        for i, name in enumerate(names):
            t = time.perf_counter()
            links.nth(i).click()
            page.wait_for_function(_DONE, arg=name, timeout=180_000, polling=10)
            switch[name].append(round(time.perf_counter() - t, 3))
    page.close()
    cached = sorted(s for v in switch.values() for s in v[1:])
    return {"first_page_s": round(first_page, 2), "first_visit_s": {n: v[0] for n, v in switch.items()},
            "first_visit_max_s": max(v[0] for v in switch.values()),
            "page_switch_p50_s": round(statistics.median(cached), 3) if cached else None,
            "page_switch_p95_s": round(cached[int(0.95 * (len(cached) - 1))], 3) if cached else None,
            "page_switch_p50_s_by_page": {n: statistics.median(v[1:]) for n, v in switch.items() if v[1:]},
            "page_switch_note": f"sidebar clicks in Chromium, {rounds} rounds over every page; p50/p95 of rounds 2.."}


_FLOOR_APP = """import streamlit as st

st.navigation([st.Page(f"pages/{name}.py", title=name) for name in ("A", "B", "C")]).run()
"""


def floor(browser, *, rounds: int = 4) -> dict:
    """The same felt-speed figures for a trivial 3-page app on this machine now: what Streamlit and the browser
    cost alone (the VM's speed varies by tens of percent from hour to hour; read our figures against these)."""
    with tempfile.TemporaryDirectory(prefix="bk-floor-") as tmp:
        (Path(tmp) / "pages").mkdir()
        (Path(tmp) / "app.py").write_text(_FLOOR_APP)
        for name in ("A", "B", "C"):
            (Path(tmp) / "pages" / f"{name}.py").write_text(f"import streamlit as st\n\nst.title({name!r})\n")
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            feel = felt_speed(browser, f"http://127.0.0.1:{port}", rounds=rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {f"floor_{k}": feel[k] for k in ("first_page_s", "page_switch_p50_s", "page_switch_p95_s")}


def bracket(before: dict, after: dict) -> dict:
    """The floor's keys as the mean of its figures measured before and after ours, with both measurements."""
    return {**{k: round((before[k] + after[k]) / 2, 3) for k in before}, "floor_before": before, "floor_after": after,
            "floor_note": "floor_* = mean of the floor measured just before and just after our page switches"}


def save_three(paths: list[Path], as_of, env: dict) -> dict:
    """The store a planner has after three mornings: the snapshot saved under three as-of dates (the last its
    own), each with ``python -m bk save`` (which warms every page's default view into BK_CACHE_DIR)."""
    from datetime import timedelta

    seconds = []
    for days in (2, 1, 0):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bk", "save", *map(str, paths), "--as-of",
                        (as_of - timedelta(days=days)).isoformat()], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds.append(round(time.perf_counter() - started, 1))
    return {"save_and_warm_s": seconds,
            "save_and_warm_note": "bk save of each of the three snapshots, oldest first, warming included"}


def _pick_snapshot(page, info) -> None:
    """Choose the snapshot ``info`` in the sidebar's picker and wait until the page has run on it (the sidebar
    names its as-of date)."""
    from bk.text import day

    label = day(info.as_of)  # a snapshot's one name: its as-of date (ui.state)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.locator("[role='option']").filter(has_text=re.compile(rf"^{re.escape(label)}$")).first.click()
    page.wait_for_function(f"""() => {{
      const app = document.querySelector("[data-testid='stApp']");
      const side = document.querySelector("[data-testid='stSidebar']");
      return app.getAttribute('data-test-script-state') === 'notRunning'
        && side.innerText.includes({f"as of {label}"!r});
    }}""", timeout=180_000, polling=10)


def other_snapshot(browser, base: str, info) -> dict:
    """A new session switches the sidebar to the snapshot ``info`` (the oldest of three) and opens every page
    once, clicking the sidebar: each page's first visit on a snapshot that is not the one the server started
    on (its results come from the tier-2 entries written when it was saved)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning'] h1", timeout=180_000)
    links = page.locator("[data-testid='stSidebarNavLink']")
    names = [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]
    visits: dict[str, float] = {}
    t = time.perf_counter()
    _pick_snapshot(page, info)  # the page shown (Overview) runs again on the picked snapshot
    visits[names[0]] = round(time.perf_counter() - t, 3)
    for i, name in enumerate(names[1:], start=1):
        t = time.perf_counter()
        links.nth(i).click()
        page.wait_for_function(_DONE, arg=name, timeout=180_000, polling=10)
        visits[name] = round(time.perf_counter() - t, 3)
    page.close()
    return {"first_visit_s_other_snapshot": visits,
            "first_visit_max_s_other_snapshot": max(visits.values()),
            "first_visit_other_snapshot_note": "new session, sidebar switched to the oldest of three snapshots, "
                                               "then every page clicked once"}


def three_snapshots(browser, base: str, infos: list) -> None:
    """Every page on each of the three snapshots in one session (the memory figure)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning'] h1", timeout=180_000)
    links = page.locator("[data-testid='stSidebarNavLink']")
    for info in infos:
        _pick_snapshot(page, info)
        for i in range(links.count()):
            name = links.nth(i).inner_text().strip().splitlines()[-1].strip()
            links.nth(i).click()
            page.wait_for_function(_DONE, arg=name, timeout=180_000, polling=10)
    page.close()


def served(paths: list[Path] | None, *, reloads: int = 300, switch_rounds: int = 6, as_of=None) -> dict:
    """A real server and browser: first page and page switches as felt, RSS after every page, growth over
    ``reloads`` page loads after warm-up, hit rate, rerun; then first visits on the oldest of three snapshots
    and RSS after every page on all three."""
    import psutil

    work = Path(tempfile.mkdtemp(prefix="bk-bench-"))
    env = {**os.environ, "BK_SNAPSHOT_DIR": str(work / "snapshots"), "BK_CACHE_DIR": str(work / "cache"),
           "BK_METRICS_PORT": str(_free_port())}
    env.pop("BK_CACHE_KEY", None)  # the server signs with the key file `bk save` created, as after a restart
    saved: dict = {}
    if paths:
        saved = save_three(paths, as_of, env)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
    floor_before = floor(browser, rounds=switch_rounds)  # before our server: nothing else running
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        feel = felt_speed(browser, base, rounds=switch_rounds)  # from the launch: a new user's first page
        # the floor again right after ours (our server idle): its keys are the mean of the two, so a drift of the
        # VM's speed during the run moves ours and the floor alike; both kept, to see the drift
        feel.update(bracket(floor_before, floor(browser, rounds=switch_rounds)))
        server = psutil.Process(proc.pid)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        slow_loads = {"n": 0}

        def visit(path: str) -> None:
            page.goto(f"{base}/{path}")
            page.wait_for_selector("h1", timeout=120_000)  # the page's title: its script is running
            page.wait_for_timeout(300)
            if path == "health":  # its live fragment reruns every 2 s: never 'finished'
                page.wait_for_timeout(1500)
                return
            try:
                page.wait_for_function(
                    "() => !document.querySelector(\"[data-testid='stStatusWidget']\") && "
                    "!document.querySelector(\"[data-testid='stSpinner']\")", timeout=60_000)
            except PlaywrightTimeout:
                slow_loads["n"] += 1
            page.wait_for_timeout(200)

        for path in PAGES:  # every page once: the figure the issue asks for
            visit(path)
        time.sleep(3)  # let background warming finish
        rss_all_pages = server.memory_info().rss / 2**20
        # scripted planner session: every page, a filter change, back again
        metrics_before = _get(base + "/_stcore/metrics")
        side_before = _get(f"http://127.0.0.1:{env['BK_METRICS_PORT']}/metrics")
        for path in PAGES:
            visit(path)
        visit("capacity")  # change a filter: utilisation by machine instead of work centre
        page.locator("[data-testid='stRadio'] label").filter(has_text="machine").first.click()
        page.wait_for_timeout(500)
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")",
                               timeout=120_000)
        visit("inventory")
        visit("yarn")
        metrics_after = _get(base + "/_stcore/metrics")
        side_after = _get(f"http://127.0.0.1:{env['BK_METRICS_PORT']}/metrics")
        tier1 = r'^cache_lookups_total\{.*cache="ui\.services\._cached(_forecast)?"'  # the shared service results
        t1 = [a - b for a, b in zip(_lookups(metrics_after, tier1), _lookups(metrics_before, tier1),
                                    strict=True)]
        t2 = [a - b for a, b in zip(_lookups(side_after, r"^bk_result_cache_lookups_total"),
                                    _lookups(side_before, r"^bk_result_cache_lookups_total"), strict=True)]
        # warm-up for the growth figure, then the loads
        for path in PAGES * 2:
            visit(path)
        rss_warm = server.memory_info().rss / 2**20
        cycle = [p for p in PAGES if p != "health"]
        # growth after warm-up: RSS after reload `settle` (the caches filled) against after the last one
        settle = min(100, reloads // 3)
        rss_settled = rss_warm
        for i in range(reloads):
            visit(cycle[i % len(cycle)])
            if i + 1 == settle:
                rss_settled = server.memory_info().rss / 2**20
        rss_after = server.memory_info().rss / 2**20
        side = _get(f"http://127.0.0.1:{env['BK_METRICS_PORT']}/metrics")
        others: dict = {}
        if saved:
            from bk.ingest.snapshot import SnapshotStore

            infos = SnapshotStore(work / "snapshots").list()  # oldest first
            others = other_snapshot(browser, base, infos[0])
            three_snapshots(browser, base, infos[::-1])
            others["rss_mb_three_snapshots"] = round(server.memory_info().rss / 2**20, 1)
            others["rss_three_snapshots_note"] = "server RSS after every page on each of the three snapshots"
            others.update(saved)
        pattern = r'^bk_operation_{}p50_milliseconds\{{operation="page:([^"]+)"\}} ([0-9.eE+-]+)$'
        reruns = [float(m.group(2)) for m in re.finditer(pattern.format("warm_"), side, re.M)]
        if not reruns:  # a server without the warm/cold split: every run
            reruns = [float(m.group(2)) for m in re.finditer(pattern.format(""), side, re.M)]
        hits, total = t1[0] + t2[0], t1[0] + t1[1] + t2[0] + t2[1]
        return {**feel, "rss_mb_all_pages": round(rss_all_pages, 1), "rss_mb_after_warmup": round(rss_warm, 1),
                "rss_growth_mb_300_reruns": round(rss_after - rss_warm, 1), "page_loads": reloads,
                "rss_growth_mb_after_warmup": round(rss_after - rss_settled, 1),
                "rss_growth_note": f"RSS after page load {reloads} minus after load {settle} (caches filled)",
                "page_loads_over_60s": slow_loads["n"],
                "cache_hit_rate_session": round(hits / total, 3) if total else None,
                "cache_session_lookups": {"tier1_hits": t1[0], "tier1_misses": t1[1], "tier2_hits": t2[0],
                                          "tier2_misses": t2[1]},
                "rerun_server_ms": round(statistics.median(reruns), 1) if reruns else None,
                "rerun_server_ms_note": "median over pages of each page's warm p50 server run time (page:<title>, "
                                        "runs that hit the tier-1 cache)", **others}
    finally:
        browser.close()
        pw.stop()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bk bench")
    parser.add_argument("--snapshot", nargs="+", type=Path, help="files/folders of a snapshot (default: demo)")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale when no --snapshot")
    parser.add_argument("--json", type=Path, required=True, help="where to write the JSON object")
    parser.add_argument("--reloads", type=int, default=300, help="page loads for the RSS growth (any scale)")
    parser.add_argument("--switch-rounds", type=int, default=6, help="rounds of sidebar clicks over every page")
    parser.add_argument("--no-browser", action="store_true", help="skip the served-app figures")
    args = parser.parse_args(argv)

    from common import demo_snapshot

    from bk.ingest.snapshot import load_paths

    if args.snapshot:
        paths = args.snapshot
        snapshot, _ = load_paths(paths)
        label = ", ".join(map(str, paths))
    else:
        snapshot = demo_snapshot(args.scale)
        paths = [ROOT / "bench" / "out" / f"demo-scale-{args.scale:g}"]
        label = f"demo scale {args.scale:g}"
    import ingest as ingest_bench

    result: dict = {"snapshot": label, "as_of": snapshot.as_of.isoformat()}
    result["ingest_s"] = ingest_bench.measure(paths[0], repeats=3)["ingest_s"]
    result.update(df_reduction(paths))
    result.update(service_timings(snapshot))
    if args.snapshot or args.scale == 1:
        import forecast_all

        result["forecast_all_s"] = forecast_all.measure_folder(paths[0])["forecast_all_s"]
    if not args.no_browser:
        result.update(served(paths, reloads=args.reloads, switch_rounds=args.switch_rounds,
                             as_of=snapshot.as_of))
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
