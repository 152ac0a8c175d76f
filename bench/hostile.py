"""Every hostile file of the hostile-files issues through `python -m bk validate FILE` under a 4 GB address-space
limit, one process per file as an operator would run it: seconds, exit status, whether a traceback was printed
and the refusal. Prints JSON. Usage: python bench/hostile.py"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.hostile_files import every_hostile_file  # noqa: E402

AS_LIMIT = 4 * 2**30


def _four_gb() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, _ in every_hostile_file():
            path = Path(tmp) / name
            path.write_bytes(data)
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "bk", "validate", str(path)], cwd=ROOT, capture_output=True,
                                  text=True, timeout=120, preexec_fn=_four_gb)
            rows.append({"file": name, "bytes": len(data), "seconds": round(time.monotonic() - started, 2),
                         "exit": done.returncode, "traceback": "Traceback" in done.stderr + done.stdout,
                         "refusal": done.stderr.strip().splitlines()[-1][:110] if done.stderr.strip() else ""})
    print(json.dumps({"address_space_limit_gb": AS_LIMIT / 2**30, "files": rows,
                      "max_seconds": max(r["seconds"] for r in rows),
                      "all_exit_1_without_traceback": all(r["exit"] == 1 and not r["traceback"] for r in rows)},
                     indent=1))


if __name__ == "__main__":
    main()
