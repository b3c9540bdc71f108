"""Threads and forked processes give the same answers as one process, in order.

The reference is the plain serial computation (a loop in this process): the
engines draw their random numbers in order in the calling thread, so the
number of threads or processes must not change a single bit of a result.
"""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

import distscale as ds
from distscale._lib.processes import can_fork, map_forked
from distscale._lib.threads import default_threads, map_ordered
from distscale.modality.lrt import bootstrap_lrt, fit_groups
from distscale.resampling.bootstrap import bootstrap


def test_map_ordered_keeps_order_whatever_the_threads():
    items = list(range(20))
    for threads in (1, 2, 4):
        assert list(map_ordered(lambda x: x * x, iter(items), threads)) == [x * x for x in items]


def test_default_threads_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DISTSCALE_THREADS", "3")
    assert default_threads() == 3
    for bad in ("0", "two"):
        monkeypatch.setenv("DISTSCALE_THREADS", bad)
        with pytest.raises(ValueError, match="DISTSCALE_THREADS must be a whole number >= 1"):
            default_threads()


def test_bootstrap_on_threads_equals_one_thread():
    rng = np.random.default_rng(0)
    samples = [rng.normal(size=300), rng.normal(1, 2, size=200)]

    def stat(a, b):
        return np.stack([np.median(a, axis=1), b.mean(axis=1) - a.mean(axis=1)], axis=1)

    one = bootstrap(samples, stat, n_resamples=500, chunk_size=37, rng=1, keep_distribution=True)
    two = bootstrap(samples, stat, n_resamples=500, chunk_size=37, rng=1, keep_distribution=True,
                    threads=3)
    np.testing.assert_array_equal(one.distribution, two.distribution)
    with pytest.raises(ValueError, match="threads"):
        bootstrap(samples, stat, n_resamples=10, rng=1, threads=0)


def test_lrt_pvalues_do_not_depend_on_the_threads(monkeypatch):
    rng = np.random.default_rng(3)
    grid = [np.round(np.r_[rng.normal(0.2, 0.05, 150), rng.normal(0.7, 0.05, n)] * 50) / 50
            for n in (10, 60)]  # on a grid: replicates of their own, chunked
    kw = {"n_init": 4, "prior": False, "sd_floor": None, "tol": 1e-6, "max_iter": 3000}
    null = fit_groups(grid, 1, rng=np.random.default_rng(0), **kw)
    alt = fit_groups(grid, 2, rng=np.random.default_rng(0), **kw)
    obs = np.array([2 * (a["loglik"] - b["loglik"]) for a, b in zip(alt, null, strict=True)])
    out = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("DISTSCALE_THREADS", threads)
        monkeypatch.setattr("distscale.modality.lrt._SIM_ELEMENTS", 4096)  # many chunks
        out[threads] = bootstrap_lrt(grid, null, obs, 1, n_resamples=99,
                                     rng=np.random.default_rng(5), **kw)
    np.testing.assert_array_equal(out["1"], out["2"])


def test_map_forked_returns_in_order_and_raises():
    assert map_forked(lambda x: -x, list(range(7)), workers=3, order=[6, 5, 0, 1, 2, 3, 4]) == [
        0, -1, -2, -3, -4, -5, -6]
    with pytest.raises(ZeroDivisionError):
        map_forked(lambda x: 1 / x, [1, 0, 2], workers=2)


@pytest.mark.skipif(not can_fork(), reason="processes only where fork is available")
def test_report_is_the_same_byte_for_byte_on_several_processes(tmp_path):
    rng = np.random.default_rng(0)
    data = {s: np.where(rng.random(40) < p, rng.normal(0.8, 0.05, 40), rng.beta(1, 9, 40))
            for s, p in zip([1e3, 1e4, 1e5, 1e6], [0.1, 0.3, 0.6, 0.9], strict=True)}
    pop = ds.Population.from_dict(data, metric="accuracy")
    for jobs in (1, 2):
        ds.make_report(pop, threshold=0.5, bounds=(0, 1), out_dir=tmp_path / f"r{jobs}",
                       n_resamples=60, progress=False, rng=0, n_jobs=jobs)
    cmp = filecmp.dircmp(tmp_path / "r1", tmp_path / "r2")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    for sub in cmp.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only
    with pytest.raises(ValueError, match="n_jobs"):
        ds.make_report(pop, threshold=0.5, out_dir=tmp_path / "r0", progress=False, n_jobs=0)


@pytest.mark.skipif(not can_fork(), reason="processes only where fork is available")
def test_work_inside_a_worker_runs_in_that_worker():
    # a pool's workers are daemonic and may not fork: map_forked falls back to a loop there
    def nested(x):
        return sum(map_forked(lambda y: y * x, [1, 2, 3], workers=2)), can_fork()

    assert map_forked(nested, [1, 10], workers=2) == [(6, False), (60, False)]
