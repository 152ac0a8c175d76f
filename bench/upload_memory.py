"""Memory of anonymous uploads: four different large CSVs parsed through the Data page's parse path
(ui.uploads.parse); prints RSS, the parse cache's bytes and entries, and whether a parse above the budget is
refused. Usage: python bench/upload_memory.py [--mb 25] [--files 4]"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ui import uploads  # noqa: E402


def _csv(mb: float, tag: int) -> bytes:
    row = f"9.38.20.{tag},161\n".encode()
    return b"WC,MACH\n" + row * int(mb * 2**20 / len(row))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=25.0)
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    out = {"file_mb": args.mb, "files": args.files, "parse_cache_limit_mb": uploads.CACHE.max_bytes / 2**20,
           "rss_before_mb": round(uploads.rss_mb(), 1), "steps": []}
    for i in range(args.files):
        data = _csv(args.mb, i)
        export, error = uploads.parse(f"machines {i}.csv", data)
        del data
        gc.collect()
        out["steps"].append({"file": i, "rows": export.rows if export else None, "error": error,
                             "rss_mb": round(uploads.rss_mb(), 1),
                             "parse_cache_mb": round(uploads.CACHE.nbytes / 2**20, 1),
                             "parse_cache_entries": len(uploads.CACHE)})
    budget = uploads.rss_mb() + 10
    import os

    os.environ["BK_UPLOAD_MEMORY_MB"] = str(budget)
    export, error = uploads.parse("one more.csv", _csv(args.mb, 99))
    out["refused_above_budget"] = {"budget_mb": round(budget, 1), "refused": export is None,
                                   "message": error}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
