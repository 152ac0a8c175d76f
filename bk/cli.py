"""Command-line interface: validate exports, write demo data, compute reports and benchmarks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bk.errors import BkError
from bk.ingest.sandbox import read_untrusted
from bk.ingest.snapshot import files_in


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2025-08-28") from exc


def _gaps(text: str) -> tuple[int, ...]:
    try:
        gaps = tuple(int(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of whole days like 4,3") from exc
    if min(gaps) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': export days are at least one day apart")
    return gaps


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days of 1 or more")
    return int(text)


def validate(paths: Sequence[str], *, as_json: bool) -> int:
    """Per file: its kind, rows and findings by severity. Exit 0 when every file was recognised and parsed."""
    results, failed = [], []
    for path in files_in(paths):
        try:
            export = read_untrusted(path)  # a worker with memory and time limits: the CLI outlives any file
        except BkError as exc:
            failed.append(str(exc))
            results.append({"file": path.name, "kind": None, "rows": 0, "columns": [], "error": str(exc),
                            "findings": []})
            continue
        results.append({
            "file": export.name, "kind": export.kind, "rows": export.rows,
            "columns": list(export.frame.columns),
            "findings": [f.as_dict() for f in export.findings],
        })
    if not results:
        failed.append(f"no files found in {', '.join(paths)}")
    if as_json:
        print(json.dumps(results, indent=2, default=str))
    else:
        for r in results:
            if r["kind"] is None:
                continue
            sev = {"error": 0, "warning": 0, "info": 0}
            for f in r["findings"]:
                sev[f["severity"]] += 1
            print(f"{r['file']}: {r['kind']}, {r['rows']} rows, "
                  f"{sev['error']} errors, {sev['warning']} warnings, {sev['info']} info")
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


def _snapshot(paths: Sequence[str], as_of: date | None):
    from bk.ingest.snapshot import load_paths

    snapshot, failures = load_paths(paths, as_of=as_of)
    for failure in failures:
        print(f"skipped {failure}", file=sys.stderr)
    return snapshot


def yarn_demand(paths: Sequence[str], *, as_of: date | None, by: str, out: Path, actions: Path | None = None,
                knitting: str = "efab", with_forecast: bool = False) -> int:
    """Write the yarn demand table (per knit order × yarn, or per yarn with the purchase plan) as CSV, and
    with ``actions`` one row per buy / expedite / reconcile / defer action."""
    return yarn_demand_of(_snapshot(paths, as_of), by=by, out=out, actions=actions, knitting=knitting,
                          with_forecast=with_forecast)


def yarn_demand_of(snapshot, *, by: str, out: Path, actions: Path | None = None, knitting: str = "efab",
                   with_forecast: bool = False) -> int:
    """``yarn-demand`` on a loaded snapshot."""
    from bk.services import needs, yarn

    needs.require("yarn.plan", snapshot.exports)
    for note in needs.notes("yarn.plan", snapshot.exports):
        print(f"note: {note}", file=sys.stderr)
    if knitting == "machines":
        needs.require("capacity.plan", snapshot.exports)
    if with_forecast:
        needs.require("forecast.all", snapshot.exports)
    result = yarn.plan(snapshot.frames, as_of=snapshot.as_of, knitting=knitting, with_forecast=with_forecast)
    table = yarn.by_ko_table(result) if by == "ko" else yarn.by_yarn_table(result)
    table.to_csv(out, index=False)
    print(f"wrote {len(table)} rows to {out} (as of {snapshot.as_of})")
    if actions is not None:
        listed = yarn.actions_table(result)
        listed.to_csv(actions, index=False)
        print(f"wrote {len(listed)} actions to {actions}")
    return 0


REPORT_SECTIONS = ("inventory", "pipeline", "capacity", "forecast")


def report(paths: Sequence[str], *, as_of: date | None, out: Path) -> int:
    """One JSON object with each service's headline figures for the snapshot.

    A section whose required export is missing holds {"error": what is missing} (one stderr line says so); the
    other sections are still computed. ``notes`` lists what the sections cannot show for missing optional
    exports. Exit 1 only when no section could be computed."""
    return report_of(_snapshot(paths, as_of), out=out)


def report_of(snapshot, *, out: Path) -> int:
    """``report`` on a loaded snapshot."""
    import importlib

    from bk.services import needs

    result: dict = {"as_of": snapshot.as_of.isoformat(), "files": len(snapshot.exports)}
    modules = {"inventory": "bk.services.inventory", "pipeline": "bk.services.pipeline",
               "capacity": "bk.services.capacity", "forecast": "bk.services.forecast_levels"}
    notes: list[str] = []
    computed = 0
    for section in REPORT_SECTIONS:
        try:
            module = importlib.import_module(modules[section])
        except ModuleNotFoundError as exc:
            if exc.name != modules[section]:
                raise
            continue
        operation = f"{section}.report"
        try:
            needs.require(operation, snapshot.exports)
            result[section] = module.report_keys(snapshot.frames, as_of=snapshot.as_of)
            computed += 1
        except BkError as exc:
            result[section] = {"error": str(exc)}
            print(f"{section}: not computed: {exc}", file=sys.stderr)
            continue
        except Exception as exc:  # a bug must not hide the other sections or show a traceback
            result[section] = {"error": f"unexpected {type(exc).__name__}: {exc}"}
            print(f"{section}: failed unexpectedly ({type(exc).__name__}: {exc}); please report this with the "
                  "files", file=sys.stderr)
            continue
        notes += [n for n in needs.notes(operation, snapshot.exports) if n not in notes]
    result["notes"] = notes
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {out}")
    return 0 if computed else 1


def diff(old: Sequence[str], new: Sequence[str], *, old_as_of: date | None, new_as_of: date | None,
         out: Path, knitting: str = "observed") -> int:
    """What changed from the old snapshot to the new one, with the causes of each shortage change, as JSON: the
    comparison the Overview and Yarn inventory show (``knitting`` "observed", the app's view, by default)."""
    from bk.services import briefing

    before, after = _snapshot(old, old_as_of), _snapshot(new, new_as_of)
    result = briefing.diff(before.frames, after.frames, old_as_of=before.as_of, new_as_of=after.as_of,
                           plan_params={"knitting": knitting})
    out.write_text(json.dumps(briefing.diff_json(result), indent=2))
    counts = result["summary"]
    print(f"wrote {out} ({before.as_of} -> {after.as_of}: {len(result['causes'])} shortage changes explained, "
          f"{counts['shortages']['new']} new, {counts['shortages']['cleared']} cleared)")
    return 0


def backtest(old: Sequence[str], new: Sequence[str], *, old_as_of: date | None, new_as_of: date | None,
             out: Path, knitting: str = "efab") -> int:
    """Plan the old snapshot and score that plan against the new one (knitting, buys, receipts), as JSON."""
    from bk.services import backtest as scoring

    before, after = _snapshot(old, old_as_of), _snapshot(new, new_as_of)
    result = scoring.backtest(before.frames, after.frames, old_as_of=before.as_of, new_as_of=after.as_of,
                              knitting=knitting)
    out.write_text(json.dumps(result, indent=2))
    k, b, r = result["knitting"], result["buys"], result["receipts"]
    print(f"wrote {out} ({before.as_of} -> {after.as_of}, {knitting} schedule: knitting planned/actual "
          f"{k['ratio']}, {b['followed_by_po']} of {b['count']} buys followed by a PO, receipts on time "
          f"{r['on_time_share']})")
    return 0


def save(paths: Sequence[str], *, as_of: date | None, warm: bool = True) -> int:
    """Save the files as one snapshot in the store (BK_SNAPSHOT_DIR), exactly as the Data page does; then warm
    every page's default view of it (and what the other kept snapshots lack) into the tier-2 cache
    (BK_CACHE_DIR) here, before exiting: a server started later, or running now, serves them as its own."""
    import os
    import time

    from bk.ingest.snapshot import SnapshotStore

    root = Path(os.environ.get("BK_SNAPSHOT_DIR", Path(__file__).resolve().parents[1] / "data" / "snapshots"))
    files = files_in(paths)
    if not files:
        raise BkError(f"no files found in {', '.join(paths)}")
    pairs = []
    for f in files:
        try:
            pairs.append((f.name, f.read_bytes()))
        except OSError as exc:
            raise BkError(f"{f.name} cannot be read ({exc.strerror or exc}); nothing saved") from exc
    info = SnapshotStore(root).save(pairs, as_of=as_of)
    print(f"saved snapshot {info.snapshot_id} ({len(info.files)} files, as of {info.as_of}) in {root}")
    if warm:
        from bk.optimization.manager import fill_store

        started = time.perf_counter()
        done = fill_store(root, [info.snapshot_id])
        print(f"warmed {sum(map(len, done.values()))} views of {len(done)} snapshot(s) into the result cache in "
              f"{time.perf_counter() - started:.1f} s")
    return 0


def _bench(argv: list[str]) -> int:
    """Run bench/run.py (benchmarks live beside the package, not in it)."""
    import runpy

    script = Path(__file__).resolve().parents[1] / "bench" / "run.py"
    sys.argv = [str(script), *argv]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="recognise and check export files")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("demo", help="write a synthetic demo snapshot (or several export days of one mill)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--days", type=_days, default=None,
                   help="write this many export days into OUT/YYYY-MM-DD/ (one complete snapshot each), the mill "
                        "moving on from one to the next; without it, one day's files straight into OUT")
    p.add_argument("--every", type=_gaps, default=(1,),
                   help="days between export days, e.g. 1 or 4,3 (taken in turn: Thursday, Monday, Thursday …)")
    p.add_argument("--as-of", type=_as_of, default=None, help="the (first) export day, YYYY-MM-DD (2025-08-28)")

    p = sub.add_parser("yarn-demand", help="time-phased yarn demand per knit order or per yarn, as CSV")
    p.add_argument("paths", nargs="+", help="files or folders forming one snapshot")
    p.add_argument("--as-of", type=_as_of, default=None, help="YYYY-MM-DD (default: the snapshot's as-of date)")
    p.add_argument("--by", choices=["ko", "yarn"], default="ko")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--actions", type=Path, default=None,
                   help="also write one row per purchase action (buy, expedite, reconcile, defer) as CSV")
    p.add_argument("--schedule", choices=["efab", "machines", "observed"], default="efab",
                   help="when KOs draw their yarn: eFab's rule (every KO knits at once, from its start; the "
                        "default, reproduces eFab), the machine schedule of the capacity plan (one KO after another "
                        "per machine) or each KO's observed pace (its own since its start, else its work centre's)")
    p.add_argument("--with-forecast", action="store_true",
                   help="add the sales forecast carried through the BOM (net of open orders) to the demand")

    p = sub.add_parser("report", help="headline figures of every service as one JSON object")
    p.add_argument("paths", nargs="+", help="files or folders forming one snapshot")
    p.add_argument("--as-of", type=_as_of, default=None)
    p.add_argument("--json", dest="out", required=True, type=Path)

    def two_snapshots(name: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=description)
        p.add_argument("--old", nargs="+", required=True, help="files or folders of the earlier snapshot")
        p.add_argument("--old-as-of", type=_as_of, default=None)
        p.add_argument("--new", nargs="+", required=True, help="files or folders of the later snapshot")
        p.add_argument("--new-as-of", type=_as_of, default=None)
        p.add_argument("--json", dest="out", required=True, type=Path)
        return p

    p = two_snapshots("diff", "what changed between two snapshots and why each shortage moved, as JSON")
    p.add_argument("--schedule", choices=["efab", "machines", "observed"], default="observed",
                   help="knitting schedule of both days' plans (default: observed, the app's view, as the Overview "
                        "and Yarn inventory compare)")
    p = two_snapshots("backtest", "score the old snapshot's plan against what the new snapshot shows, as JSON")
    p.add_argument("--schedule", choices=["efab", "machines", "observed"], default="efab",
                   help="knitting schedule of the old day's plan")

    p = sub.add_parser("save", help="save files as one snapshot in the store (BK_SNAPSHOT_DIR)")
    p.add_argument("paths", nargs="+", help="files or folders forming one snapshot")
    p.add_argument("--as-of", type=_as_of, default=None, help="YYYY-MM-DD (default: guessed as on the Data page)")
    p.add_argument("--no-warm", action="store_true", help="do not compute the pages' default views now")

    p = sub.add_parser("bench", help="measure everything the optimization issue asks; writes JSON",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["bench"]:
        return _bench(list(argv[1:]))
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return validate(args.paths, as_json=args.json)
        if args.command == "demo":
            from bk.demo import FIRST_DAY, write_days, write_demo

            as_of = args.as_of or FIRST_DAY
            if args.days is None:
                written = write_demo(args.out, scale=args.scale, seed=args.seed, as_of=as_of)
                print(f"wrote {len(written)} files to {args.out}")
            else:
                written = write_days(args.out, days=args.days, every=args.every, scale=args.scale, seed=args.seed,
                                     as_of=as_of)
                print(f"wrote {len(written)} files in {args.days} day folders to {args.out}")
            return 0
        if args.command == "report":
            return report(args.paths, as_of=args.as_of, out=args.out)
        if args.command == "diff":
            return diff(args.old, args.new, old_as_of=args.old_as_of, new_as_of=args.new_as_of, out=args.out,
                        knitting=args.schedule)
        if args.command == "backtest":
            return backtest(args.old, args.new, old_as_of=args.old_as_of, new_as_of=args.new_as_of, out=args.out,
                            knitting=args.schedule)
        if args.command == "save":
            return save(args.paths, as_of=args.as_of, warm=not args.no_warm)
        if args.command == "yarn-demand":
            return yarn_demand(args.paths, as_of=args.as_of, by=args.by, out=args.out, actions=args.actions,
                               knitting=args.schedule, with_forecast=args.with_forecast)
    except BkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # never a traceback for a planner: one line naming the command and the failure
        if os.environ.get("BK_DEBUG"):
            raise
        print(f"error: {args.command} failed unexpectedly ({type(exc).__name__}: {exc}); please report this with "
              "the files (set BK_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
    return 2
