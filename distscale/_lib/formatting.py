"""Numbers as people read them: in sentences, table cells and axis labels.

Shared by the report's sentences (:mod:`distscale.report.text`) and the
scaling law's report section (:mod:`distscale.law.outlook`), so that a number
reads the same wherever the library prints it.
"""

from __future__ import annotations

import math

__all__ = ["fmt", "fmt_p", "fmt_scale", "pct"]


def fmt(v: float, digits: int = 3) -> str:
    """A number for prose: 3 significant digits, ``n/a`` for NaN, ``∞`` for infinities.

    Examples
    --------
    >>> fmt(0.123456), fmt(float("nan")), fmt(float("-inf")), fmt(1234.5, 2)
    ('0.123', 'n/a', '−∞', '1.2e+03')
    """
    v = float(v)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}g}"


def fmt_scale(v: float) -> str:
    """A scale for prose: whole numbers below 10,000 as is, large ones as 14.1M.

    Examples
    --------
    >>> fmt_scale(8768.0), fmt_scale(29824.0), fmt_scale(1.41e7), fmt_scale(0.25)
    ('8768', '29.8k', '14.1M', '0.25')
    """
    v = float(v)
    if not math.isfinite(v):
        return fmt(v)
    if abs(v) >= 1e4:
        for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= factor:
                return f"{v / factor:.3g}{suffix}"
    if v.is_integer():
        return str(int(v))
    return f"{v:.4g}"


def fmt_p(p: float) -> str:
    """A p-value for prose: ``p < 0.001`` below a thousandth, else 2 significant digits.

    Examples
    --------
    >>> fmt_p(0.0312), fmt_p(1e-6), fmt_p(float("nan"))
    ('p = 0.031', 'p < 0.001', 'p = n/a')
    """
    p = float(p)
    if math.isnan(p):
        return "p = n/a"
    return "p < 0.001" if p < 1e-3 else f"p = {p:.2g}"


def pct(v: float) -> str:
    """A share as a whole percentage (``56%``), ``n/a`` when not finite.

    Examples
    --------
    >>> pct(0.5558), pct(float("nan"))
    ('56%', 'n/a')
    """
    return "n/a" if not math.isfinite(float(v)) else f"{100 * float(v):.0f}%"
