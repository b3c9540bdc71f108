"""Tests for distscale.Population: validation rules and accessors.

Reference values are hand-computed from the small frames built in each test,
or come from an independent pandas groupby on the same frame.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distscale import DroppedRowsWarning, Population, as_population


def good_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "depth": [1, 1, 1, 2, 2, 2],
            "seed": [0, 1, 2, 0, 1, 2],
            "acc": [0.0, 0.1, 0.05, 0.9, 0.8, 0.0],
            "loss": [3.0, 2.9, 3.1, 1.0, 1.1, 3.0],
        }
    )


def make(frame, **kw):
    args = {"scale": "depth", "seed": "seed", "value": "acc"}
    args.update(kw)
    return Population(frame, **args)


# --------------------------------------------------------------------------- accessors
def test_accessors_match_pandas_groupby():
    df = good_frame()
    pop = make(df, value=["acc", "loss"])
    np.testing.assert_array_equal(pop.scales, [1.0, 2.0])
    expected = df.groupby("depth")["loss"].apply(list).tolist()
    assert [v.tolist() for v in pop.values("loss")] == expected
    np.testing.assert_array_equal(pop.n_seeds(), df.groupby("depth").size().to_numpy())
    assert pop.metrics == ("acc", "loss")
    wide = pop.wide("acc")
    assert wide.loc[1, 2.0] == 0.8
    out = pop.to_frame()
    assert list(out.columns) == list(df.columns)
    assert len(out) == 6


def test_scales_sorted_and_values_aligned():
    df = good_frame().iloc[::-1]
    pop = make(df)
    np.testing.assert_array_equal(pop.scales, [1.0, 2.0])
    assert sorted(pop.values()[1].tolist()) == [0.0, 0.8, 0.9]


def test_to_frame_is_a_copy():
    pop = make(good_frame())
    out = pop.to_frame()
    out.loc[0, "acc"] = 99.0
    assert 99.0 not in pop.values()[0]


def test_extra_columns_are_kept():
    df = good_frame().assign(step=143000)
    assert "step" in make(df).to_frame().columns


def test_select_metric_and_task():
    df = pd.concat([good_frame().assign(task="a"), good_frame().assign(task="b", acc=1.0)])
    pop = make(df, task="task", value=["acc", "loss"])
    assert pop.tasks == ("a", "b")
    with pytest.raises(ValueError, match=r"2 tasks in column 'task'.*select\(task"):
        pop.values("acc")
    sub = pop.select(task="b", metric="acc")
    assert sub.metric == "acc"
    assert all((v == 1.0).all() for v in sub.values())
    with pytest.raises(ValueError, match=r"`task` 'c' is not one of"):
        pop.select(task="c")
    with pytest.raises(ValueError, match="no task column"):
        make(good_frame()).select(task="a")


def test_metric_must_be_chosen_when_several():
    pop = make(good_frame(), value=["acc", "loss"])
    with pytest.raises(ValueError, match=r"2 metric columns.*`metric=`"):
        pop.values()
    with pytest.raises(ValueError, match=r"`metric` 'f1' is not one of \['acc', 'loss'\]"):
        pop.values("f1")


def test_from_dict_and_as_population():
    pop = Population.from_dict({10: [0.1, 0.2], 20: [0.3]})
    np.testing.assert_array_equal(pop.n_seeds(), [2, 1])
    assert as_population(pop) is pop
    df = good_frame()
    assert as_population(df, scale="depth", seed="seed", value="acc").n_runs == 6


def test_string_seeds_and_numeric_strings_in_object_scale():
    df = good_frame().assign(seed=list("abcabc"))
    df["depth"] = df["depth"].astype(object)
    pop = make(df)
    assert pop.wide().index.tolist() == ["a", "b", "c"]


def test_import_does_not_pull_matplotlib_or_torch():
    code = (
        "import sys, distscale; "
        "bad = [m for m in ('matplotlib', 'torch') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------- bad input
def _bad_cases():
    df = good_frame()
    nan_scale = df.assign(depth=[1.0, np.nan, 1.0, 2.0, 2.0, 2.0])
    inf_scale = df.assign(depth=[1.0, 1.0, np.inf, 2.0, 2.0, 2.0])
    text_scale = df.assign(depth=["1", "one", "1", "2", "2", "2"])
    bool_scale = df.assign(depth=[True, True, True, False, False, False])
    nan_metric = df.assign(acc=[0.1, np.nan, 0.2, 0.3, np.nan, 0.4])
    inf_metric = df.assign(acc=[0.1, np.inf, 0.2, 0.3, 0.1, 0.4])
    text_metric = df.assign(acc=["a", "b", "c", "d", "e", "f"])
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    none_seed = df.assign(seed=[0, None, 2, 0, 1, 2])
    dupcols = df.copy()
    dupcols.columns = ["depth", "seed", "acc", "acc"]
    neg = df.assign(depth=[-1, -1, -1, 2, 2, 2])
    zero = df.assign(depth=[0, 0, 0, 2, 2, 2])
    one_seed = df.iloc[:4]
    return [
        # (frame, kwargs, exception, message regex)
        ([1, 2], {}, TypeError, r"`frame` must be a pandas DataFrame; got list"),
        (df.iloc[:0], {}, ValueError, r"`frame` is empty"),
        (df, {"scale": "width"}, ValueError, r"`scale` column 'width' not found.*available"),
        (df, {"seed": "run"}, ValueError, r"`seed` column 'run' not found"),
        (df, {"value": "f1"}, ValueError, r"`value\[0\]` column 'f1' not found"),
        (df, {"value": ["acc", "f1"]}, ValueError, r"`value\[1\]` column 'f1' not found"),
        (df, {"value": []}, ValueError, r"`value` must name at least one metric column"),
        (df, {"value": ["acc", "acc"]}, ValueError, r"`value` names a column more than once"),
        (
            df,
            {"value": "depth"},
            ValueError,
            r"'depth' is used both as `scale` and as `value\[0\]`",
        ),
        (df, {"scale": None}, TypeError, r"`scale` must be a single column name"),
        (df, {"seed": ["seed"]}, TypeError, r"`seed` must be a single column name"),
        (df, {"task": "setting"}, ValueError, r"`task` column 'setting' not found"),
        (
            nan_scale,
            {},
            ValueError,
            r"`scale` column 'depth' has 1 NaN or infinite values \(rows 1\)",
        ),
        (
            inf_scale,
            {},
            ValueError,
            r"`scale` column 'depth' has 1 NaN or infinite values \(rows 2\)",
        ),
        (text_scale, {}, TypeError, r"`scale` column 'depth' must be numeric.*rows 1"),
        (bool_scale, {}, TypeError, r"`scale` column 'depth' is boolean"),
        (neg, {"log_scale": True}, ValueError, r"strictly positive for a log axis; 3 values"),
        (zero, {"log_scale": True}, ValueError, r"strictly positive.*rows 0, 1, 2"),
        (
            nan_metric,
            {},
            ValueError,
            r"`value` column 'acc' has 2 NaN or infinite values \(rows 1, 4\); pass dropna=True",
        ),
        (inf_metric, {}, ValueError, r"`value` column 'acc' has 1 NaN or infinite"),
        (text_metric, {}, TypeError, r"`value` column 'acc' must be numeric"),
        (
            dup,
            {},
            ValueError,
            r"duplicate \(depth, seed\) rows: 2 rows share a key, e.g. depth=1.0, seed=0",
        ),
        (none_seed, {}, ValueError, r"`seed` column 'seed' has 1 missing values \(rows 1\)"),
        (dupcols, {}, ValueError, r"duplicated column names"),
        (
            one_seed,
            {"min_seeds": 2},
            ValueError,
            r"at least 2 seeds at every scale; 1 of 2 scales of column .depth. have fewer",
        ),
        (df, {"min_seeds": 2.5}, TypeError, r"`min_seeds` must be an integer"),
    ]


@pytest.mark.parametrize(("frame", "kwargs", "exc", "pattern"), _bad_cases())
def test_bad_input_gives_clear_error(frame, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make(frame, **kwargs)


def test_dropna_drops_and_counts():
    df = good_frame().assign(acc=[0.1, np.nan, 0.2, 0.3, np.inf, 0.4])
    with pytest.warns(DroppedRowsWarning, match=r"dropped 2 of 6 rows.*rows 1, 4"):
        pop = make(df, dropna=True)
    assert pop.n_runs == 4
    all_nan = good_frame().assign(acc=np.nan)
    with pytest.warns(DroppedRowsWarning), pytest.raises(ValueError, match="no rows left"):
        make(all_nan, dropna=True)


def test_duplicates_allowed_across_tasks_but_not_within():
    df = pd.concat([good_frame().assign(task="a"), good_frame().assign(task="b")])
    with pytest.raises(ValueError, match=r"pass `task=`"):
        make(df)
    assert make(df, task="task").n_runs == 12
    with pytest.raises(ValueError, match=r"duplicate \(depth, seed, task\)"):
        make(pd.concat([df, df.iloc[[0]]]), task="task")


def test_require_checks():
    pop = make(good_frame().iloc[:4])
    with pytest.raises(
        ValueError,
        match=r"the dip test needs at least 2 seeds at every scale; 1 of 2 scales of column .depth. have fewer: 2.0 \(1 seed\)",
    ):
        pop.require_seeds(2, purpose="the dip test")
    pop.require_seeds(1)
    neg = make(good_frame().assign(depth=[-1, -1, -1, 2, 2, 2]))
    with pytest.raises(ValueError, match=r"strictly positive for a logistic fit in log"):
        neg.require_positive_scale(purpose="a logistic fit in log")


def test_as_population_errors():
    with pytest.raises(TypeError, match=r"pass the column names `scale=`, `seed=`"):
        as_population(good_frame(), value="acc")
    with pytest.raises(TypeError, match="expected a Population or a pandas DataFrame; got dict"):
        as_population({"a": 1})
    with pytest.raises(ValueError, match="a Population already knows its columns"):
        as_population(make(good_frame()), scale="depth")


def test_from_dict_errors():
    with pytest.raises(TypeError, match="non-empty mapping"):
        Population.from_dict({})
    with pytest.raises(ValueError, match="one-dimensional"):
        Population.from_dict({1: [[0.1, 0.2]]})


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from([1.0, 2.0, 4.0]),
            st.integers(0, 5),
            st.one_of(
                st.floats(-10, 10, allow_nan=False),
                st.just(float("nan")),
                st.just(float("inf")),
            ),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_hypothesis_valid_or_clear_error(data):
    """Any frame either validates (and round-trips) or raises a named ValueError."""
    df = pd.DataFrame(data, columns=["depth", "seed", "acc"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedRowsWarning)
            pop = make(df, dropna=True)
    except ValueError as err:
        assert re.search(r"duplicate|no rows left", str(err))
        return
    clean = df[np.isfinite(df["acc"])]
    assert pop.n_runs == len(clean)
    got = sorted(np.concatenate(pop.values()).tolist())
    assert got == sorted(clean["acc"].tolist())


# --------------------------------------------------------------------------- column types
def _column_type_cases():
    import datetime

    import pyarrow as pa

    days = pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"] * 3)
    return [
        # (column, values, message regex); before, each was read as numbers silently
        # (datetimes and durations as nanoseconds or microseconds, periods as ordinals,
        # complex numbers as their real part with a ComplexWarning, Python booleans as 0/1)
        ("depth", days, r"`scale` column 'depth' holds dates/times \(dtype datetime64.*\), not "
         r"numbers .*convert it first, e.g. to days since the first: \(frame\['depth'\] - "
         r"frame\['depth'\]\.min\(\)\)\.dt\.days"),
        ("depth", days.tz_localize("UTC"), r"'depth' holds dates/times \(dtype datetime64.*UTC"),
        ("depth", pd.Series(days).astype("timestamp[ns][pyarrow]"), r"holds dates/times"),
        ("depth", pd.to_timedelta([1, 1, 1, 2, 2, 2], unit="D"),
         r"'depth' holds durations .*frame\['depth'\]\.dt\.total_seconds\(\) / 86400"),
        ("depth", pd.period_range("2020", periods=2, freq="Y").repeat(3),
         r"'depth' holds periods \(dtype period\[Y-DEC\]\).*\.dt\.year"),
        ("acc", pd.to_timedelta(range(6), unit="s"), r"`value` column 'acc' holds durations"),
        ("acc", pd.Series([datetime.time(1)] * 6, dtype=pd.ArrowDtype(pa.time64("us"))),
         r"'acc' holds dates/times"),  # before: "has 6 NaN or infinite values"
        ("acc", np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) + 0.5j,
         r"`value` column 'acc' holds complex numbers \(dtype complex128\); a real number "
         r"would drop the imaginary part: take frame\['acc'\]\.real or abs\(frame\['acc'\]\)"),
        ("acc", pd.Series([0.1, 0.2 + 1j, 0.3, 0.4, 0.5, 0.6], dtype=object),
         r"'acc' holds complex numbers \(rows 1\)"),
        ("depth", np.array([1, 1, 1, 2, 2, 2], dtype=complex), r"`scale` column 'depth' holds complex"),
        ("acc", pd.Series([0.1, True, 0.3, False, 0.5, 0.6], dtype=object),
         r"`value` column 'acc' holds True/False values \(rows 1, 3\)"),
        ("acc", pd.Series([True, False] * 3, dtype=object), r"'acc' holds True/False values"),
    ]


@pytest.mark.parametrize(("column", "values", "pattern"), _column_type_cases())
def test_non_numeric_types_are_type_errors(column, values, pattern):
    from distscale._lib.errors import ColumnTypeError

    frame = good_frame()
    frame[column] = values
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(ColumnTypeError, match=pattern) as info:
            make(frame)
    assert isinstance(info.value, TypeError)
    assert info.value.column == column


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        (["1B", "1B", "1B", "2B", "2B", "2B"], r"look like model sizes: convert them with "
         r"distscale\.io\.parse_size, e\.g\. frame\['depth'\]\.map\(distscale\.io\.parse_size\)"),
        (["2024-01-01"] * 3 + ["2024-02-01"] * 3, r"they look like dates"),
        (["1", "1", "depth", "2", "2", "2"], r"the column's own name: a repeated header line"),
        (["1,5"] * 3 + ["2,5"] * 3, r"decimal commas\? read the file with decimal=','"),
        (["1,000"] * 3 + ["2,000"] * 3, r"thousands separators\? read the file with thousands=','"),
        ([[1], [1], [1], [2], [2], [2]], r"they are nested values"),
    ],
)
def test_non_numeric_text_says_what_it_looks_like(values, hint):
    frame = good_frame()
    frame["depth"] = pd.Series(values, dtype=object)
    with pytest.raises(TypeError, match=r"`scale` column 'depth' must be numeric; .*" + hint):
        make(frame)


def test_numbers_as_text_and_categories_are_numbers():
    frame = good_frame().assign(depth=["1e9"] * 3 + ["2e9"] * 3)
    np.testing.assert_array_equal(make(frame).scales, [1e9, 2e9])
    frame = good_frame().assign(acc=pd.Categorical([0.0, 0.1, 0.05, 0.9, 0.8, 0.0]))
    assert make(frame).values()[1].tolist() == [0.9, 0.8, 0.0]


def test_unhashable_seed_labels_name_the_column():
    # Before: a raw "unhashable type: 'list'" that named no column.
    frame = good_frame().assign(seed=[[0], [1], [2], [0], [1], [2]])
    with pytest.raises(TypeError, match=r"`seed` column 'seed' holds lists or other unhashable "
                       r"values \(rows 0, 1, 2, 3, 4, \.\.\. \(1 more\)\)"):
        make(frame)


def test_duplicate_key_message_shows_plain_numbers():
    # Before: "e.g. depth=np.float64(1.0), seed=0" for a seed column of mixed objects.
    frame = good_frame().assign(seed=pd.Series([0, "1", 0.0, 0, 1, 2], dtype=object))
    with pytest.raises(ValueError, match=r"e\.g\. depth=1\.0, seed=0 \(rows 0, 2\)"):
        make(frame)
