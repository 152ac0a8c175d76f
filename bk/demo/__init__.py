"""Synthetic demo snapshots in the ERP's exact export formats (headers, number/date styles, HTML, JSON-in-CSV):
one day (``demo_files``) or several export days of one mill (``demo_days``), one folder per day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bk.demo.base import first_day
from bk.demo.history import History

FIRST_DAY = date(2025, 8, 28)


def demo_files(*, scale: float = 1.0, seed: int = 7, as_of: date = FIRST_DAY) -> dict[str, bytes]:
    """The demo snapshot as {file name: bytes}; the same arguments always give the same bytes."""
    return dict(sorted(first_day(scale=scale, seed=seed, as_of=as_of).files.items()))


def export_days(first: date, days: int, every: tuple[int, ...] = (1,)) -> list[date]:
    """``days`` export dates from ``first``, the gaps between them taken from ``every`` in turn."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if not every or min(every) < 1:
        raise ValueError("every gap between export days must be at least one day")
    out = [first]
    for k in range(days - 1):
        out.append(out[-1] + timedelta(days=every[k % len(every)]))
    return out


def demo_days(*, days: int, every: tuple[int, ...] = (1,), scale: float = 1.0, seed: int = 7,
              as_of: date = FIRST_DAY) -> dict[date, dict[str, bytes]]:
    """{export day: {file name: bytes}} for ``days`` export days of one mill, the first on ``as_of`` (exactly
    ``demo_files``), each later one moved on from the one before (``bk.demo.history``). Every day is a complete
    snapshot: the exports that do not move (master data, rolls, sales) are the first day's bytes."""
    dates = export_days(as_of, days, every)
    mill = first_day(scale=scale, seed=seed, as_of=as_of)
    first = dict(sorted(mill.files.items()))
    out = {as_of: first}
    history = History(mill, seed=seed) if days > 1 else None
    for day, until in zip(dates, dates[1:], strict=False):
        history.advance(day, until)
        out[until] = dict(sorted({**first, **history.files(until)}.items()))
    return out


def _write(out: Path, files: dict[str, bytes]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written


def write_demo(out_dir: str | Path, *, scale: float = 1.0, seed: int = 7, as_of: date = FIRST_DAY) -> list[Path]:
    """Write the demo snapshot into ``out_dir`` (created if needed); returns the paths written."""
    return _write(Path(out_dir), demo_files(scale=scale, seed=seed, as_of=as_of))


def write_days(out_dir: str | Path, *, days: int, every: tuple[int, ...] = (1,), scale: float = 1.0, seed: int = 7,
               as_of: date = FIRST_DAY) -> list[Path]:
    """Write ``demo_days`` into ``out_dir/<YYYY-MM-DD>/`` (one complete snapshot per export day); returns the
    paths written."""
    written = []
    for day, files in demo_days(days=days, every=every, scale=scale, seed=seed, as_of=as_of).items():
        written += _write(Path(out_dir) / day.isoformat(), files)
    return written
