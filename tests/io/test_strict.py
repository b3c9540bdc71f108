"""Malformed table files: each gives one clear error naming the file, never a silent answer.

Every test says what distscale did before the strict readers. The expected
field counts and line numbers come from how each file is built here (rows
written one by one), not from the reader.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distscale._lib.errors import ColumnTypeError, MalformedFileError
from distscale.io import read_population

HEADER = "n_params,seed,acc,loss\n"
GOOD = "1,0,0.5,1.0\n1,1,0.6,1.0\n2,0,0.7,1.0\n"


def write(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    name = path.name
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    elif name.endswith(".xz"):
        data = lzma.compress(data)
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(name[: -len(".zip")], data)
    else:
        path.write_bytes(data)
    return path


def read(path: Path, **kwargs) -> object:
    return read_population(path, scale="n_params", seed="seed", value="acc", **kwargs)


# --------------------------------------------------------------------------- rows cut short


@pytest.mark.parametrize(
    "name", ["runs.csv", "runs.tsv", "runs.csv.gz", "runs.csv.bz2", "runs.tsv.xz", "runs.csv.zip"]
)
def test_row_cut_short_names_file_line_and_field_counts(tmp_path, name):
    # Before: the last row "2,1,0.7" (cut mid-write from "2,1,0.7446,1.0") was read
    # silently, with loss = NaN and acc = 0.7.
    text = HEADER + GOOD + "2,1,0.7"
    if ".tsv" in name:
        text = text.replace(",", "\t")
    path = write(tmp_path / name, text)
    with pytest.raises(MalformedFileError) as info:
        read(path)
    assert str(info.value) == f"'{path}', line 5: 3 fields, the header has 4 (a row cut short?)"
    assert (info.value.path, info.value.kind, info.value.lines) == (str(path), "ragged rows", (5,))
    assert isinstance(info.value, ValueError)


def test_several_short_rows_are_all_named(tmp_path):
    # Before: read silently, NaN in the missing fields.
    rows = [f"1,{i},0.5,1.0\n" if i % 3 else f"1,{i},0.5\n" for i in range(30)]
    path = write(tmp_path / "runs.csv", HEADER + "".join(rows))
    short_lines = [i + 2 for i in range(30) if i % 3 == 0]  # line 1 is the header
    with pytest.raises(MalformedFileError, match=re.escape(
        f"lines {', '.join(map(str, short_lines[:5]))}, ... (5 more): 3 fields, the header has 4 "
        "(rows cut short?)"
    )) as info:
        read(path)
    assert info.value.lines == tuple(short_lines[:5])


def test_short_rows_of_different_widths_and_blank_lines_and_quoted_newlines(tmp_path):
    # Before: read silently. Line numbers count blank lines and the lines inside a quoted field.
    text = (
        "n_params,seed,acc,note\n"  # 1
        '1,0,0.5,"two\nlines"\n'  # 2-3
        "\n"  # 4 (blank)
        "1,1,0.6\n"  # 5: 3 fields
        "   \n"  # 6 (blank)
        "2,0\n"  # 7: 2 fields
        '2,1,0.9,"a, b"\n'  # 8
    )
    path = write(tmp_path / "runs.csv", text.replace("\n", "\r\n"))
    with pytest.raises(MalformedFileError, match=re.escape(
        "lines 5 (3 fields), 7 (2 fields): wrong numbers of fields, the header has 4"
    )):
        read(path)


def test_legit_empty_fields_are_not_short_rows(tmp_path):
    # A trailing empty field is a missing value, not a short row: no false alarm.
    path = write(tmp_path / "runs.csv", HEADER + "1,0,0.5,\n1,1,0.6,1.0\n2,0,,1.0\n2,1,0.7,\n")
    with pytest.warns(UserWarning, match="dropped 1 of 4"):
        pop = read(path, dropna=True)
    assert pop.to_frame()["loss"].isna().sum() == 2
    quoted = write(tmp_path / "quoted.csv", 'n_params,seed,acc,note\n1,0,0.5,"a,b"\n1,1,0.6,""\n')
    assert read(quoted).n_runs == 2


def test_rows_one_field_longer_than_the_header_are_refused(tmp_path):
    # Before: pandas took the first column as the row index and shifted every value one
    # column left: n_params = the seed, seed = acc ... (with trailing separators).
    path = write(tmp_path / "runs.csv", "n_params,seed,acc\n1,0,0.5,\n1,1,0.6,\n")
    with pytest.raises(MalformedFileError, match=r"lines 2, 3: 4 fields, the header has 3 \("
                       r"every row has one field more .*index_col=0"):
        read(path)


def test_a_long_row_is_named_with_usecols(tmp_path):
    # Before: with usecols=, pandas does not check row lengths: the row was read silently.
    path = write(tmp_path / "runs.csv", HEADER + "1,0,0.5,1.0\n1,1,0.6,1.0,7\n")
    with pytest.raises(MalformedFileError, match=r"line 3: 5 fields, the header has 4"):
        read(path, usecols=["n_params", "seed", "acc"])
    # and pandas' own error for a long row now names every such line
    path = write(tmp_path / "long.csv", HEADER + "1,0,0.5,1.0,7\n1,1,0.6,1.0\n1,2,0.6,1,8\n")
    with pytest.raises(MalformedFileError, match=r"lines 2, 4: 5 fields, the header has 4"):
        read(path)


@pytest.mark.parametrize(
    ("header", "kwargs", "columns", "message"),
    [
        (False, {"header": None}, (0, 1, 2), "the first row has 4"),
        (True, {"names": ["n", "s", "a", "l"], "header": 0}, ("n", "s", "a"), "`names` gives 4"),
        (True, {"keep_default_na": False}, ("n_params", "seed", "acc"), "the header has 4"),
        (True, {"index_col": 3}, ("n_params", "seed", "acc"), "the header has 4"),
    ],
)
def test_short_rows_with_header_and_na_options(tmp_path, header, kwargs, columns, message):
    # Before: read silently (missing fields NaN, or "" with keep_default_na=False).
    path = write(tmp_path / "runs.csv", (HEADER if header else "") + GOOD + "2,1,0.7\n")
    line = 5 if header else 4
    scale, seed, value = columns
    with pytest.raises(MalformedFileError, match=rf"line {line}: 3 fields, {re.escape(message)}"):
        read_population(path, scale=scale, seed=seed, value=value, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"skiprows": [0]}, "exported by a script\n" + HEADER + GOOD + "2,1,0.7\n"),
        ({"comment": "#"}, "# exported\n" + HEADER + GOOD + "2,1,0.7\n"),
        ({"sep": None, "engine": "python"}, (HEADER + GOOD + "2,1,0.7\n").replace(",", ";")),
        ({"sep": r"\s+"}, (HEADER + GOOD + "2 1 0.7\n").replace(",", " ")),
    ],
)
def test_short_rows_with_options_the_scan_cannot_mirror(tmp_path, kwargs, text):
    # Before: read silently. pandas' python parser finds them; data rows are named.
    path = write(tmp_path / "runs.csv", text)
    with pytest.raises(MalformedFileError, match=r"data row 4 \(counted from 1 below the header\)"
                       r": fewer fields than the header's 4 \(a row cut short\?\)"):
        read(path, **kwargs)


def test_short_row_below_skipped_rows_names_its_line(tmp_path):
    # Before: read silently. pandas skips records (a blank line is one), as the scan does.
    path = write(tmp_path / "runs.csv", "exported by a script\n\n" + HEADER + GOOD + "2,1,0.7\n")
    for skip in (1, 2):
        with pytest.raises(MalformedFileError, match=r"line 7: 3 fields, the header has 4"):
            read(path, skiprows=skip)


def test_rows_beyond_nrows_are_not_read(tmp_path):
    path = write(tmp_path / "runs.csv", HEADER + GOOD + "2,1,0.7\n")
    assert read(path, nrows=3).n_runs == 3


@settings(max_examples=80, deadline=None)
@given(
    widths=st.lists(st.sampled_from([4, 4, 4, 4, 3, 5, 1]), min_size=1, max_size=12),
    quoted=st.booleans(),
    blank=st.lists(st.booleans(), min_size=12, max_size=12),
    crlf=st.booleans(),
)
def test_property_every_offending_line_and_only_those(tmp_path_factory, widths, quoted, blank,
                                                      crlf):
    """Rows of known widths (with quoted separators, blank lines, CRLF): an error iff a
    row's width differs from the header's 4, naming the first five such lines."""
    lines, offending, line_no = ["n_params,seed,acc,note"], [], 1
    for i, width in enumerate(widths):
        fields = ["1", str(i), "0.5", '"x, y"' if quoted else "z", "9"][:width]
        if width == 1:
            fields = ["1"]
        if width == 5:
            fields = ["1", str(i), "0.5", "z", "9"]
        if blank[i]:
            lines.append("")
            line_no += 1
        lines.append(",".join(fields))
        line_no += 1
        if width != 4:
            offending.append(line_no)
    newline = "\r\n" if crlf else "\n"
    path = tmp_path_factory.mktemp("prop") / "runs.csv"
    path.write_text(newline.join(lines) + newline)
    if not offending:
        assert read(path).n_runs == len(widths)
        return
    with pytest.raises(MalformedFileError) as info:
        read(path)
    assert info.value.kind == "ragged rows"
    assert info.value.lines == tuple(offending[:5])


# --------------------------------------------------------------------------- header names


def test_repeated_column_name_is_refused(tmp_path):
    # Before: the header "n_params,seed,acc,acc" became acc, acc.1 and the first acc was
    # used silently.
    path = write(tmp_path / "runs.csv", "n_params,seed,acc,acc\n1,0,0.5,0.9\n1,1,0.6,0.8\n")
    with pytest.raises(MalformedFileError, match=re.escape(
        f"'{path}': the header names a column more than once: 'acc' (fields 3, 4); pandas "
        "would keep the first 'acc' and rename the next 'acc.1'"
    )) as info:
        read(path)
    assert info.value.kind == "duplicate columns"
    with pytest.raises(MalformedFileError, match="'acc' \\(fields 3, 4\\)"):
        read(path, usecols=["n_params", "seed", "acc"])  # before: the first acc, silently
    title = write(tmp_path / "title.csv", "runs\nn_params,seed,acc,acc\n1,0,0.5,0.9\n")
    with pytest.raises(MalformedFileError, match="more than once: 'acc'"):
        read(title, header=1)


def test_a_real_dotted_name_is_not_a_repeat(tmp_path):
    path = write(tmp_path / "runs.csv", "n_params,seed,acc,acc.1\n1,0,0.5,0.9\n")
    assert read(path).to_frame().columns.tolist() == ["n_params", "seed", "acc", "acc.1"]


def test_separator_hint_for_a_one_column_table(tmp_path):
    path = write(tmp_path / "runs.csv", "n_params;seed;acc\n1;0;0.5\n")
    with pytest.raises(ValueError, match=r"not found .*; the file seems to separate fields with "
                       r"';': pass sep=';'"):
        read(path)


# --------------------------------------------------------------------------- dates


def test_dates_are_never_scales(tmp_path):
    # Before: with parse_dates the scale became nanoseconds (x50 = 1.7e15), silently.
    path = write(tmp_path / "runs.csv", "n_params,seed,acc\n2024-01-01,0,0.5\n2024-02-01,0,0.7\n")
    with pytest.raises(ColumnTypeError, match=r"runs\.csv': `scale` column 'n_params' holds "
                       r"dates/times \(dtype datetime64.*\.dt\.days"):
        read(path, parse_dates=["n_params"])
    # without parse_dates the dates stay text, and the error says what they look like
    with pytest.raises(TypeError, match=r"'2024-01-01', '2024-02-01'\); they look like dates"):
        read(path)


# --------------------------------------------------------------------------- compressed files


@pytest.mark.parametrize(
    ("name", "compress"),
    [("runs.csv.gz", gzip.compress), ("runs.csv.bz2", bz2.compress), ("runs.csv.xz", lzma.compress)],
)
def test_truncated_compressed_file(tmp_path, name, compress):
    # Before: a raw EOFError ("Compressed file ended before the end-of-stream marker was
    # reached"), which the command line showed as a traceback.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"n_params": 1, "seed": np.arange(5000), "acc": rng.random(5000)})
    data = compress(frame.to_csv(index=False).encode())
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    method = {"gz": "gzip", "bz2": "bz2", "xz": "xz"}[name.rsplit(".", 1)[1]]
    with pytest.raises(MalformedFileError, match=re.escape(
        f"could not read '{path}' as csv: the {method} data ends early: the file was cut short "
        "(truncated?)"
    )) as info:
        read(path)
    assert info.value.kind == "truncated"
    assert isinstance(info.value.__cause__, EOFError)


def test_truncated_zip_and_damaged_gzip(tmp_path):
    # Before: zipfile.BadZipFile, a raw traceback on the command line.
    data = write(tmp_path / "full.csv.zip", HEADER + GOOD).read_bytes()
    path = tmp_path / "runs.csv.zip"
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(MalformedFileError, match=r"as csv: not valid zip data: damaged, cut "
                       r"short, or not zip at all \(File is not a zip file\)"):
        read(path)
    data = gzip.compress((HEADER + GOOD).encode())
    path = tmp_path / "crc.csv.gz"
    path.write_bytes(data[:-8] + b"\0" * 8)  # a wrong checksum and length
    with pytest.raises(MalformedFileError, match="not valid gzip data"):
        read(path)


def test_zstd_without_its_package_names_the_file(tmp_path):
    # Before: pandas' "`Import zstandard` failed ...", which named no file.
    try:
        import zstandard  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("zstandard is installed")
    path = tmp_path / "runs.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd\0")
    message = f"could not read '{path}': zstd-compressed files need the package zstandard"
    with pytest.raises(ImportError, match=re.escape(message)):
        read(path)


def test_parquet_cut_short_is_one_line(tmp_path):
    # Before: pyarrow's message, repeating the path, without saying the file was cut short.
    path = tmp_path / "runs.parquet"
    pd.DataFrame({"n_params": [1.0] * 100, "seed": range(100), "acc": 0.5}).to_parquet(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(MalformedFileError, match=re.escape(
        f"could not read '{path}' as parquet: the file has no Parquet footer: it was cut short "
        "(truncated?) or is not Parquet at all"
    )) as info:
        read(path)
    assert "\n" not in str(info.value)
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    with pytest.raises(MalformedFileError, match=r"as parquet: the file is empty \(0 bytes\)$"):
        read(empty)


def test_parquet_nested_and_repeated_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"n_params": [1.0, 2.0], "seed": [0, 0], "acc": [[0.1], [0.2]]}),
                   nested)
    with pytest.raises(TypeError, match=r"nested\.parquet': `value` column 'acc' must be numeric"
                       r".*they are nested values"):
        read(nested)
    listed = tmp_path / "seeds.parquet"
    pq.write_table(pa.table({"n_params": [1.0, 2.0], "seed": [[0], [1]], "acc": [0.1, 0.2]}),
                   listed)
    # Before: "unhashable type: 'numpy.ndarray'", without the column.
    with pytest.raises(TypeError, match=r"`seed` column 'seed' holds lists or other unhashable"):
        read(listed)
    repeated = tmp_path / "repeated.parquet"
    table = pa.Table.from_arrays([pa.array([1.0]), pa.array([0]), pa.array([0.1]), pa.array([0.2])],
                                 names=["n_params", "seed", "acc", "acc"])
    pq.write_table(table, repeated)
    # Before: "Multiple matches for FieldRef.Name(acc) in n_params: double ...".
    with pytest.raises(MalformedFileError,
                       match=r"as parquet: the file has more than one column named 'acc'$"):
        read(repeated)


# --------------------------------------------------------------------------- encodings


def test_undecodable_bytes_name_file_line_and_encoding(tmp_path):
    # Before: "could not read ... 'utf-8' codec can't decode byte 0xe9 in position 3 ...",
    # without the line and without saying how to fix it.
    path = write(tmp_path / "runs.csv", "n_params,seed,acc,note\n1,0,0.5,ok\n1,1,0.6,caf\xe9\n"
                 .encode("latin-1"))
    with pytest.raises(MalformedFileError, match=re.escape(
        f"'{path}', line 3: not valid utf-8 text (byte 0xe9: invalid continuation byte); pass "
        "`encoding=` with the file's encoding, e.g. encoding='latin-1' or 'cp1252'"
    )) as info:
        read(path)
    assert info.value.kind == "encoding"
    assert read(path, encoding="latin-1").to_frame()["note"].tolist() == ["ok", "café"]
    gz = write(tmp_path / "runs.csv.gz", "n_params,seed,acc\n1,0,0.5\n\xe9\n".encode("latin-1"))
    with pytest.raises(MalformedFileError, match=r"runs\.csv\.gz', line 3: not valid utf-8"):
        read(gz)


def test_utf16_and_binary_files_are_recognised(tmp_path):
    path = write(tmp_path / "runs.csv", (HEADER + GOOD).encode("utf-16"))
    with pytest.raises(MalformedFileError, match=r"UTF-16 byte-order mark: pass encoding='utf-16'"):
        read(path)
    assert read(path, encoding="utf-16").n_runs == 3
    parquet = tmp_path / "really_parquet.csv"
    pd.DataFrame({"n_params": [1.0], "seed": [0], "acc": [0.5]}).to_parquet(parquet)
    with pytest.raises(MalformedFileError, match=r"not text but a Parquet file \(pass "
                       r"format='parquet'\)"):
        read(parquet)


@pytest.mark.parametrize("name", ["runs.csv", "runs.csv.gz"])
def test_utf8_bom_never_reaches_a_column_name(tmp_path, name):
    # pandas already dropped a UTF-8 BOM here; a guard now that UTF-8 is read as utf-8-sig
    # (for the JSON readers the BOM was an error before: see test_samples.py).
    path = write(tmp_path / name, "\ufeff" + '"n_params","seed","acc"\n1,0,0.5\n')
    assert read(path).to_frame().columns.tolist() == ["n_params", "seed", "acc"]


@pytest.mark.parametrize(("encoding", "error", "message"), [
    ("klingon", ValueError, "`encoding` 'klingon' is not a known text encoding"),
    (8, TypeError, "`encoding` must be a codec name"),
])
def test_bad_encoding_argument(tmp_path, encoding, error, message):
    path = write(tmp_path / "runs.csv", HEADER + GOOD)
    with pytest.raises(error, match=message):
        read(path, encoding=encoding)


# --------------------------------------------------------------------------- odds and ends


def test_chunksize_is_refused_clearly(tmp_path):
    # Before: "`frame` must be a pandas DataFrame; got TextFileReader".
    path = write(tmp_path / "runs.csv", HEADER + GOOD)
    with pytest.raises(TypeError, match="read_population reads the whole table; `chunksize`"):
        read(path, chunksize=2)


def test_errors_pickle_with_their_fields():
    err = MalformedFileError("'a.csv', line 3: 2 fields", path="a.csv", kind="ragged rows",
                             lines=[3])
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.path, back.kind, back.lines) == (str(err), "a.csv", "ragged rows", (3,))
    err = ColumnTypeError("scale", "n", "str", "non-numeric", rows=[0], examples=["1B"],
                          source="a.csv")
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.rows, back.examples) == (str(err), [0], ["1B"])
