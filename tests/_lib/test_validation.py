"""The declared argument rules of distscale._lib.validation: one rule, one wording.

Hand-checkable cases: each constraint accepts what its rule allows (and
converts it), and rejects the rest with TypeError (wrong kind) or ValueError
(wrong value) naming the argument and the rule.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from distscale._lib import validation as v


@pytest.mark.parametrize(
    ("constraint", "value", "expected"),
    [
        (v.BOOLEAN, np.True_, True),
        (v.Integer(minimum=1), np.int64(3), 3),
        (v.Integer(none=True), None, None),
        (v.Real(0, 1), 0.5, 0.5),
        (v.Real(0, 1, closed="both"), 1, 1.0),
        (v.Real(0, None), 1e9, 1e9),
        (v.Real(none=True), None, None),
        (v.THRESHOLD, np.float32(0.25), 0.25),
        (v.Options(("a", "b")), "b", "b"),
        (v.BOUNDS, None, None),
        (v.BOUNDS, (0, 1), (0.0, 1.0)),
        (v.BOUNDS, (None, 1), (-math.inf, 1.0)),
        (v.BOUNDS, np.array([0.0, 5.0]), (0.0, 5.0)),
    ],
)
def test_accepts_and_converts(constraint, value, expected):
    out = constraint("x", value)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize(
    ("constraint", "value", "error", "message"),
    [
        (v.BOOLEAN, 1, TypeError, "`x` must be True or False; got int"),
        (v.Integer(minimum=1), True, TypeError, "`x` must be an integer; got bool"),
        (v.Integer(minimum=1), 2.0, TypeError, "`x` must be an integer; got float"),
        (v.Integer(minimum=1), 0, ValueError, "`x` must be at least 1; got 0"),
        (v.Integer(maximum=3), 4, ValueError, "`x` must be at most 3; got 4"),
        (v.ALPHA, "0.05", TypeError, "`x` must be a number in (0, 1); got str"),
        (v.ALPHA, 0, ValueError, "`x` must be strictly between 0 and 1; got 0"),
        (v.CONFIDENCE_LEVEL, 1.0, ValueError, "`x` must be strictly between 0 and 1; got 1"),
        (v.Real(0, 1), float("nan"), ValueError, "`x` must be strictly between 0 and 1; got nan"),
        (v.THRESHOLD, float("inf"), ValueError, "`x` must be finite; got inf"),
        (v.THRESHOLD, True, TypeError, "`x` must be a real number; got bool"),
        (v.Real(0, None), 0.0, ValueError, "`x` must be a finite number > 0; got 0"),
        (v.Real(0, None, closed="left"), -1, ValueError, "`x` must be a finite number >= 0"),
        (v.Real(0, 1, closed="right"), 0, ValueError, "`x` must be in (0, 1]; got 0"),
        (v.Real(none=True), "a", TypeError, "`x` must be a real number or None; got str"),
        (v.Options(("a", "b")), "c", ValueError, "`x` must be one of 'a', 'b'; got 'c'"),
        (v.Options(("a",)), ["a"], ValueError, "`x` must be one of 'a'"),
        (v.BOUNDS, (1, 0), ValueError, "`x` must have lo < hi; got (1, 0)"),
        (v.BOUNDS, (0, 0), ValueError, "lo < hi"),
        (v.BOUNDS, "01", TypeError, "`x` must be a pair (lo, hi) of numbers or None"),
        (v.BOUNDS, (0,), TypeError, "pair"),
        (v.BOUNDS, (0, "1"), TypeError, "`x` hi must be a number or None; got str"),
        (v.BOUNDS, (float("nan"), 1), ValueError, "`x` lo must not be NaN"),
        (v.RNG, -1, ValueError, "`x` seed must be non-negative"),
        (v.RNG, 1.5, TypeError, "`x` must be None, an int seed, or a numpy.random.Generator"),
    ],
)
def test_rejects_with_the_rule(constraint, value, error, message):
    with pytest.raises(error) as info:
        constraint("x", value)
    assert message in str(info.value)


def test_rng_never_touches_the_global_state():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    a = v.RNG("rng", 7).random(3)
    b = v.RNG("rng", 7).random(3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    gen = np.random.default_rng(0)
    assert v.RNG("rng", gen) is gen


def test_validate_params_checks_binds_and_converts():
    @v.validate_params(alpha=v.ALPHA, flag=v.BOOLEAN, n=v.N_RESAMPLES)
    def f(x, n=10, *, alpha=0.05, flag=False):
        return x, n, alpha, flag

    assert f(1, np.int64(5), alpha=np.float64(0.1), flag=np.True_) == (1, 5, 0.1, True)
    assert f(1) == (1, 10, 0.05, False)  # defaults are checked too
    with pytest.raises(ValueError, match="`n` must be at least 1; got 0"):
        f(1, 0)
    with pytest.raises(TypeError, match="`flag` must be True or False"):
        f(1, flag="yes")
    assert f.__name__ == "f" and f.__validated__ == {"alpha": v.ALPHA, "flag": v.BOOLEAN,
                                                     "n": v.N_RESAMPLES}


def test_validate_params_refuses_unknown_names():
    with pytest.raises(TypeError, match="has no parameters"):
        v.validate_params(beta=v.ALPHA)(lambda alpha: alpha)


def test_check_finite_array_rejects_complex_and_names_positions():
    with pytest.raises(TypeError, match="`x` must contain real numbers"):
        v.check_finite_array("x", np.array([1 + 2j]))
    with pytest.raises(ValueError, match=r"`x` has 2 non-finite values .* positions 1, 3"):
        v.check_finite_array("x", [0.0, np.nan, 1.0, np.inf])
    with pytest.raises(ValueError, match="`x` must be 1-dimensional"):
        v.check_finite_array("x", np.zeros((2, 2)))
