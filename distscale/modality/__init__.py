"""Is a seed distribution bimodal, and from which scale on?

Hartigan's dip test and Sarle's bimodality coefficient; the batched
one-dimensional Gaussian mixture (EM engine, point masses at bounds) and
its likelihood-ratio test; mixture components with intervals and their
separation; the per-scale scan and the capacity threshold.
"""

from distscale.modality.dip import (
    DipTestResult,
    ModalInterval,
    bimodality_coefficient,
    dip_statistic,
    dip_test,
)
from distscale.modality.mixture import (
    ComponentSelection,
    MixtureFit,
    fit_mixture,
    select_components,
)
from distscale.modality.scan import ModalityScan, holm, modality_scan

__all__ = [
    "ComponentSelection",
    "DipTestResult",
    "MixtureFit",
    "ModalInterval",
    "ModalityScan",
    "bimodality_coefficient",
    "dip_statistic",
    "dip_test",
    "fit_mixture",
    "holm",
    "modality_scan",
    "select_components",
]
