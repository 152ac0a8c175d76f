"""CSV and JSON shapes that ask a parser for gigabytes or unbounded recursion are refused before parsing, each with
a message naming the file and the limit; every hostile file of the issue is answered by `python -m bk validate`
under a 4 GB address-space limit with exit status 1 and no traceback."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bk.errors import InvalidExportError
from bk.ingest import read_export, shape
from bk.ingest.sandbox import read_untrusted
from tests.conftest import DEMO_FIRST
from tests.reliability.hostile_files import HOSTILE_TEXT, SUPPLIER_HEADER, SUPPLIER_ROW, every_hostile_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("label", sorted(HOSTILE_TEXT))
def test_hostile_text_is_refused_naming_the_file_and_the_limit(label):
    name, build, refusal = HOSTILE_TEXT[label]
    with pytest.raises(InvalidExportError) as refused:
        read_untrusted(build(), name=name)  # in the sandbox: a regression fails this test, not pytest
    assert str(refused.value).startswith(f"{name}: {refusal}")
    assert refused.value.file == name and "refused" in str(refused.value)


def test_a_row_of_10000_delimiters_is_read_with_a_note_and_one_more_is_refused():
    at_limit = SUPPLIER_HEADER + SUPPLIER_ROW[:-1] + b"," * (10_000 - 4) + b"\n"
    export = read_export(at_limit, name="s.csv")
    assert export.kind == "suppliers" and export.frame["supplier"].tolist() == ["DECA GLOBAL"]
    over = SUPPLIER_HEADER + SUPPLIER_ROW[:-1] + b"," * (10_000 - 3) + b"\n"
    with pytest.raises(InvalidExportError, match=r"^s\.csv: row 2 has more than 10,000 fields"):
        read_export(over, name="s.csv")


def test_rows_wider_than_the_header_keep_their_cells_in_place_with_a_note_each():
    # pandas would take a wider first row's extra leading cells as an index (10,000 cells: a 10,000-level
    # MultiIndex, 28 s, and the row shifted out of its columns)
    data = SUPPLIER_HEADER + b"10,DECA,14,2500,Import,extra\n13,FERR,8,1000,Import\n15,X,8,1000,Import,,more\n"
    export = read_export(data, name="s.csv")
    assert export.frame["supplier"].tolist() == ["DECA", "FERR", "X"]
    assert [(f.row, f.message) for f in export.findings if "extra cells" in f.message] == [
        (2, "has 6 cells, the header has 5; extra cells ignored"), (4, "has 7 cells, the header has 5; extra cells "
                                                                     "ignored")]


def test_json_records_up_to_1000_keys_are_read_and_more_are_refused():
    with open(DEMO_FIRST / "QuadS_greigeFabricList.csv", encoding="utf-8") as fh:
        base = json.load(fh)[0]  # one real-shaped QuadS record (the demo's)
    record = {**base, **{f"extra{i}": i for i in range(1_000 - len(base))}}
    export = read_export(json.dumps([record]).encode(), name="greige.csv")
    assert export.rows == 1
    wider = [{**record, "one_more": 1}]
    with pytest.raises(InvalidExportError, match=r"^greige\.csv: record 1 has 1,001 keys; exports have at most 1,000"):
        read_export(json.dumps(wider).encode(), name="greige.csv")
    different = [dict(base), *({f"k{n}_{i}": i for i in range(10)} for n in range(100))]
    by_record = 1 + (1_000 - len(base)) // 10 + 1  # the record whose keys pass 1,000 in all
    with pytest.raises(InvalidExportError, match=rf"more than 1,000 different keys \(by record {by_record}\)"):
        read_export(json.dumps(different).encode(), name="greige.csv")


def test_json_depth_is_counted_outside_strings_only():
    brackets_in_strings = json.dumps([{"Style": "[" * 100 + "{" * 100, "Width": "]]]"}]).encode()
    with pytest.raises(InvalidExportError) as refused:
        read_export(brackets_in_strings, name="q.csv")
    assert "nested" not in str(refused.value)  # refused for its header, not its depth
    assert shape._json_depth('[{"a": [[1]]}]') == 4 and shape._json_depth('["[[[", "\\"[["]') == 1
    with pytest.raises(InvalidExportError, match=r"^q\.csv: is JSON nested more than 32 levels deep"):
        read_export(b"[" * 33 + b"]" * 33, name="q.csv")


def test_a_json_integer_too_long_to_convert_is_a_refusal_not_a_crash():
    data = b'[{"Style": ' + b"9" * 5000 + b"}]"
    with pytest.raises(InvalidExportError, match=r"^q\.csv: looks like JSON but cannot be read"):
        read_export(data, name="q.csv")


@given(column=st.integers(1, 16_384), row=st.integers(1, 1_048_576), lower=st.booleans(), dollars=st.booleans(),
       pad=st.sampled_from(["", " ", "\t "]))
def test_a_cell_reference_reads_the_same_however_it_is_spelt(column, row, lower, dollars, pad):
    letters = ""
    n = column
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    text = f"{'$' if dollars else ''}{letters}{'$' if dollars else ''}{row}"
    assert shape._cell_ref(pad + (text.lower() if lower else text) + pad) == (column, row)


def _four_gb() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


@pytest.mark.slow
def test_validate_answers_every_hostile_file_under_4_gb_with_exit_1_and_no_traceback(tmp_path):
    files = every_hostile_file()
    for name, data, _ in files:
        (tmp_path / name).write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "bk", "validate", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, preexec_fn=_four_gb)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    failed = [line for line in done.stderr.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == len(files)
    for name, _, refusal in files:
        assert f"FAILED {name}: {refusal}" in failed or any(line.startswith(f"FAILED {name}: {refusal}")
                                                            for line in failed), name
