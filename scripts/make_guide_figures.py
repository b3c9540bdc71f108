"""Draw the figures that open the user-guide pages (docs/_static/guide-*.png).

Every figure is drawn from the bundled count population with the library's
own plot functions, so rerunning this script after a change shows the change:

    python scripts/make_guide_figures.py            # writes docs/_static/guide-*.png
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import distscale as ds
import distscale.plot

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static"


def save(fig, name):
    fig.savefig(OUT / f"guide-{name}.png", dpi=110)
    print(f"wrote docs/_static/guide-{name}.png")


def main():
    warnings.simplefilter("ignore", ds.DegenerateDataWarning)
    OUT.mkdir(exist_ok=True)
    pop = ds.datasets.load_count_population().select(metric="exact_match")
    curves = ds.summary_curves(pop, threshold=0.5, rng=0)
    save(curves.plot().get_figure(), "summary-curves")
    scan = ds.modality_scan(pop, success_threshold=0.5, rng=0)
    save(scan.plot(), "modality-scan")
    save(ds.success_curve(pop, threshold=0.5, rng=0).plot().get_figure(), "success-curve")
    save(ds.inverse_scaling(pop, threshold=0.5, rng=0).plot(), "inverse-scaling")
    save(ds.per_seed_emergence(pop).plot(population=pop).get_figure(), "seed-curves")
    save(distscale.plot.seed_distributions(pop, threshold=0.5).get_figure(), "distributions")
    law = ds.law.DistributionalScalingLaw(threshold=0.5, bounds=(0, 1), rng=0).fit(pop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ds.law.ExtrapolationWarning)  # 2x the largest width
        save(law.plot(at=[35_000, 2 * law.scales_[-1]], ncols=4), "law")


if __name__ == "__main__":
    main()
