"""The direction of a metric travels with the table the lm-eval readers return.

Reference: lm-evaluation-harness writes each metric's ``higher_is_better``
in its results file; ``read_lm_eval`` keeps it in ``frame.attrs`` (checked
against the harness's own files in tests/train/lm/test_harness_roundtrip.py),
and ``compare_metrics`` must use it for a metric whose name it does not know,
while an explicit ``higher_is_better=`` still wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from distscale import compare_metrics

pytestmark = pytest.mark.filterwarnings("ignore::distscale.DegenerateDataWarning")


def _samples() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"scale": s, "seed": k, "sample_id": i, "acc": float(rng.random() < 0.2 * s),
             "zz_score": float(rng.normal(-s))}
            for s in (1, 2, 3, 4) for k in range(6) for i in range(8)]
    return pd.DataFrame(rows)


def test_recorded_directions_are_used_and_explicit_ones_win():
    df = _samples()
    with pytest.raises(ValueError, match="direction of metric 'zz_score' is unknown"):
        compare_metrics(df, scale="scale", seed="seed", metrics=["acc", "zz_score"],
                        n_resamples=20, rng=0)
    df.attrs["higher_is_better"] = {"zz_score": False, "acc": True}
    res = compare_metrics(df, scale="scale", seed="seed", metrics=["acc", "zz_score"],
                          n_resamples=20, rng=0)
    assert dict(res.higher_is_better) == {"acc": True, "zz_score": False}
    res = compare_metrics(df, scale="scale", seed="seed", metrics=["acc", "zz_score"],
                          higher_is_better={"zz_score": True}, n_resamples=20, rng=0)
    assert res.higher_is_better["zz_score"] is True


def test_bits_per_byte_is_lower_is_better_by_name():
    df = _samples().rename(columns={"zz_score": "bits_per_byte"})
    df["bits_per_byte"] = df["bits_per_byte"].abs()
    res = compare_metrics(df, scale="scale", seed="seed", metrics=["bits_per_byte"],
                          n_resamples=20, rng=0)
    assert res.higher_is_better["bits_per_byte"] is False
