"""Known laws the law tests simulate from (shared by the test modules of tests/law)."""

from __future__ import annotations

import numpy as np

from distscale.law import law_from_params

SCALES = np.exp(np.linspace(np.log(1e4), np.log(1e5), 6))
G_MID = float(np.log(SCALES).mean())


def known_law(pile: bool = False, scales=SCALES):
    """Weight of the successful part 0.02 -> 0.98 over the scales; logit-normal parts."""
    g_mid = float(np.log(scales).mean())
    failure = ({"pile": (0.0, 0.0)} if pile else
               {"location": (-2.0 - 0.3 * g_mid, 0.3), "log_spread": (-0.5, 0.0)})
    return law_from_params(
        {"weight": {"intercept": -4.0 * g_mid, "slope": 4.0},
         "failure": failure,
         "success": {"location": (1.0 - 0.5 * g_mid, 0.5),
                     "log_spread": (-0.3 + 0.1 * g_mid, -0.1)}},
        threshold=0.5, bounds=(0, 1), scales=scales,
    )


def separated_law():
    """Failed runs near 0.1, successful runs near 0.9: parts that never cross the threshold."""
    return law_from_params(
        {"weight": {"intercept": -1.5 * G_MID, "slope": 1.5},
         "failure": {"location": (-2.2, 0.0), "log_spread": (-2.0, 0.0)},
         "success": {"location": (2.2, 0.0), "log_spread": (-2.0, 0.0)}},
        threshold=0.5, bounds=(0, 1), scales=SCALES,
    )
