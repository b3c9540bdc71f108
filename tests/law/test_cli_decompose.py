"""`distscale predict` and the law's split of the mean's change.

Outside truth: the predictive distribution's own numbers (tested against
integrals in test_predictive.py) for the command's output; for the split,
the identity change = P(success) part + within-part parts, the law's mean at
each scale (PredictiveDistribution.mean), and the truth of a simulation --
the split computed from the known law's coefficients -- which the fitted
law's split must recover on a large population.
"""

from __future__ import annotations

import warnings
from io import StringIO

import numpy as np
import pandas as pd
import pytest

from distscale.cli import main
from distscale.law import DistributionalScalingLaw, simulate_population
from distscale.law.decompose import group_means, split_changes
from tests.law._truth import SCALES, known_law


def test_predict_bundled_csv_matches_api(capsys):
    rc = main(["predict", "--at", "2e5", "--best-of", "3", "--resamples", "30",
               "--format", "csv"])
    assert rc == 0
    out = pd.read_csv(StringIO(capsys.readouterr().out))
    assert set(out["k"]) == {1, 3}
    from distscale.datasets import load_count_population

    pop = load_count_population().select(metric="exact_match")
    law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), n_resamples=30, rng=0).fit(pop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = law.predict(2e5)
    row = out.query("k == 3 and quantity == 'p_success'").iloc[0]
    assert row["estimate"] == pytest.approx(float(pred.best_of(3).p_success().estimate))
    assert row["ci_low"] == pytest.approx(float(pred.best_of(3).p_success().ci.low))


def test_predict_table_from_file(tmp_path, capsys):
    pop = simulate_population(known_law(), SCALES, 20, rng=1)
    path = tmp_path / "runs.csv"
    pop.to_frame().to_csv(path, index=False)
    rc = main(["predict", str(path), "--scale", "scale", "--seed", "seed", "--value", "value",
               "--threshold", "0.5", "--bounds", "0", "1", "--at", str(SCALES[-1] * 2),
               "--resamples", "20"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "P(success)" in text and "extrapolating" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "--at", "x"], "--at must be a number"),
        (["predict", "--at", "-5"], "--at must be a scale > 0"),
        (["predict", "--at", "1e5", "--best-of", "0"], "--best-of must be a whole number"),
        (["predict", "--at", "1e5", "--resamples", "1.5"], "--resamples must be a whole"),
        (["predict", "--at", "1e5", "--bounds", "1", "0"], "--bounds LO HI needs LO < HI"),
        (["predict", "--at", "1e5", "--scale", "n"], "--scale given without PATH"),
        (["predict", "nofile.csv", "--at", "1e5"], "these options are required"),
    ],
)
def test_predict_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_split_identity_and_recovery():
    truth = known_law()
    pop = simulate_population(truth, SCALES, 300, rng=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        law = DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), success_model="logistic",
                                       n_resamples=40, rng=0).fit(pop)
    dec = law.decompose_mean(rng=0)
    est = dec.estimates
    np.testing.assert_allclose(est[:, 0], est[:, 1:].sum(axis=1), atol=1e-12)
    mean = law.predict(SCALES).mean().estimate
    np.testing.assert_allclose(est[:-1, 0], np.diff(mean), atol=1e-5)  # two quadratures
    # truth: the split of the known law itself
    p, ms, mf = group_means(truth.predict(SCALES))
    true_split = split_changes(p, ms, mf)[0]
    np.testing.assert_allclose(est[-1], true_split[-1], atol=0.05)
    assert np.all(dec.ci_low[-1] <= est[-1] + 1e-12) and np.all(est[-1] <= dec.ci_high[-1] + 1e-12)
    # beside the data's own split, which it smooths
    np.testing.assert_allclose(est[-1], dec.empirical.estimates[-1], atol=0.05)
    assert set(dec.to_frame()["source"]) == {"law", "empirical"}
    from distscale.law import law_from_params  # a law without data cannot be split

    with pytest.raises(ValueError, match="no data"):
        law_from_params({"success": {"location": (0, 0)}}, threshold=0.5).decompose_mean()
