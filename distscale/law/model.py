r"""The distributional scaling law: its parts, its transform and its parameters.

With ``g = ln(scale)``, the seed distribution at a scale is a mixture of a
*failed* and a *successful* part,

.. math::

    f(y \mid g) = (1 - \pi(g))\,[q_F(g)\,\delta_{b_F} + (1 - q_F(g))\,
    \phi_F(y \mid g)] + \pi(g)\,[q_S(g)\,\delta_{b_S} + (1 - q_S(g))\,\phi_S(y \mid g)],

where

* ``pi(g)`` is the weight of the successful part, logistic in ``g``
  (``expit(a + b g)``), or with a floor and a ceiling
  (``floor + (ceiling - floor) expit(a + b g)``) where the data plateau;
* ``delta_b`` is a point mass at a bound of the metric (exact 0s of an
  accuracy, exact 1s of a solved task), present in a part only where the data
  pile there, with a share ``q(g) = expit(c + d g)`` of its part;
* ``phi_k`` is a continuous component: Gaussian in ``z = T(y)``, with location
  ``m_k(g) = a_k + b_k g`` and log-spread ``ln s_k(g) = c_k + d_k g``.

``T`` keeps predictions inside the metric's range: the logit of the metric's
position inside ``(lo, hi)`` when both bounds are finite (a logit-normal
component: see ``docs/law.md`` for why logit-normal rather than Beta), the
logarithm of the distance to the one finite bound, and the identity for an
unbounded metric (or ``bounds="auto"``, where only the piles are modelled).

This module holds the pieces the other modules share: the transform, the
split of a population into piles and continuous values (which part is which
comes from the success threshold), which parameters a population can
identify, and the parameters themselves, stored in units of ``g`` with a
leading replicate axis (the fit to the data, then one row per seed-bootstrap
replicate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from distscale._lib.success_rule import success_mask
from distscale._lib.validation import format_labels

#: A pile (``bounds="auto"``): at least this many values, and at least this
#: share of a scale's seeds, exactly at the smallest (largest) value of the population.
PILE_MIN_COUNT = 3
PILE_MIN_SHARE = 0.05
#: Fewest continuous values on a side of the threshold for a continuous component there.
MIN_COMPONENT_VALUES = 3
#: Fewest values of a component at a scale for the scale to inform its slopes.
MIN_VALUES_PER_SCALE = 2

#: Names of the parameters (standardised units, see :class:`Params`).
PARAM_NAMES = (
    "pa", "pb", "pu", "pv",          # weight of the successful part: intercept, slope, floor, ceil
    "fa", "fb", "sa", "sb",          # pile shares of the failed and the successful part
    "mFa", "mFb", "lFa", "lFb",      # failed component: location and log-spread (intercept, slope)
    "mSa", "mSb", "lSa", "lSb",      # successful component
)  # fmt: skip


# ==================================================================================== transform
@dataclass(frozen=True)
class Transform:
    """The increasing map ``z = T(y)`` under which the continuous components are Gaussian.

    ``kind`` is ``"identity"``, ``"logit"`` (both bounds finite), ``"log"``
    (only ``lo`` finite: ``z = ln(y - lo)``) or ``"neglog"`` (only ``hi``
    finite: ``z = -ln(hi - y)``).

    Examples
    --------
    >>> t = Transform("logit", 0.0, 1.0)
    >>> float(t.forward(np.array([0.5]))[0]), float(t.inverse(np.array([0.0]))[0])
    (0.0, 0.5)
    """

    kind: str
    lo: float = -math.inf
    hi: float = math.inf

    @classmethod
    def for_bounds(cls, bounds: tuple[float, float] | None) -> Transform:
        if bounds is None:
            return cls("identity")
        lo, hi = bounds
        if math.isfinite(lo) and math.isfinite(hi):
            return cls("logit", lo, hi)
        if math.isfinite(lo):
            return cls("log", lo, hi)
        if math.isfinite(hi):
            return cls("neglog", lo, hi)
        return cls("identity")

    def forward(self, y: np.ndarray) -> np.ndarray:
        """``T(y)`` for values strictly inside the range."""
        y = np.asarray(y, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "logit":
                u = (y - self.lo) / (self.hi - self.lo)
                return np.log(u) - np.log1p(-u)
            if self.kind == "log":
                return np.log(y - self.lo)
            if self.kind == "neglog":
                return -np.log(self.hi - y)
        return y

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """``T^{-1}(z)``; infinite ``z`` maps to the bounds."""
        z = np.asarray(z, dtype=float)
        with np.errstate(over="ignore"):
            if self.kind == "logit":
                return self.lo + (self.hi - self.lo) * special.expit(z)
            if self.kind == "log":
                return self.lo + np.exp(z)
            if self.kind == "neglog":
                return self.hi - np.exp(-z)
        return z

    def log_jacobian(self, y: np.ndarray) -> np.ndarray:
        """``ln |dz/dy|`` at values strictly inside the range."""
        y = np.asarray(y, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "logit":
                width = self.hi - self.lo
                u = (y - self.lo) / width
                return -np.log(width) - np.log(u) - np.log1p(-u)
            if self.kind == "log":
                return -np.log(y - self.lo)
            if self.kind == "neglog":
                return -np.log(self.hi - y)
        return np.zeros_like(y)

    def inside(self) -> float:
        """A value strictly inside the range (a placeholder where a value is not used)."""
        lo, hi = self.lo, self.hi
        if math.isfinite(lo) and math.isfinite(hi):
            return (lo + hi) / 2
        if math.isfinite(lo):
            return lo + 1.0
        if math.isfinite(hi):
            return hi - 1.0
        return 0.0

    def describe(self) -> str:
        return {
            "identity": "Gaussian",
            "logit": f"logit-normal on ({self.lo:g}, {self.hi:g})",
            "log": f"log-normal above {self.lo:g}",
            "neglog": f"log-normal below {self.hi:g} (reflected)",
        }[self.kind]


# ======================================================================= piles and parts
def find_piles(
    values: list[np.ndarray], bounds: object
) -> tuple[tuple[float, float] | None, list[float], str]:
    """Where the point masses are: the range for the transform, the pile locations, a note.

    With ``bounds=(lo, hi)`` every value exactly at a finite bound is a
    point mass there. With ``"auto"`` a pile is the smallest (largest) value
    of the whole population repeated at some scale by at least
    ``max(3, 5 %)`` of its seeds; the continuous part is then Gaussian
    (identity transform). With None there are no point masses.
    """
    every = np.concatenate(values)
    if bounds is None:
        return None, [], ""
    if isinstance(bounds, str):  # "auto"
        piles, notes = [], []
        for name, v in (("smallest", float(every.min())), ("largest", float(every.max()))):
            if piles and v == piles[0]:
                break
            counts = [int(np.sum(x == v)) for x in values]
            need = [max(PILE_MIN_COUNT, math.ceil(PILE_MIN_SHARE * x.size)) for x in values]
            if any(c >= m for c, m in zip(counts, need, strict=True)):
                piles.append(v)
                notes.append(f"{sum(counts)} runs sit exactly at the {name} value {v:g}")
        note = "; ".join(notes) + (": point masses there" if notes else "")
        return None, piles, note
    lo, hi = bounds
    outside = int(np.count_nonzero((every < lo) | (every > hi)))
    if outside:
        raise ValueError(
            f"{outside} values lie outside `bounds` ({lo:g}, {hi:g}); the metric's range must "
            "hold every value"
        )
    piles = [b for b in (lo, hi) if math.isfinite(b) and np.any(every == b)]
    return (lo, hi), piles, ""


@dataclass
class Layout:
    """A population as padded ``(scales, seeds)`` arrays, split into piles and continuous values.

    ``z`` holds the transformed continuous values (0 elsewhere), ``cont``,
    ``pile_f`` and ``pile_s`` the masks of continuous values and of the
    failed and successful piles, ``valid`` the real entries (scales may have
    different numbers of seeds). ``side`` is True where a continuous value
    succeeds under the threshold rule (the start of the EM).
    """

    y: np.ndarray
    z: np.ndarray
    valid: np.ndarray
    cont: np.ndarray
    pile_f: np.ndarray
    pile_s: np.ndarray
    side: np.ndarray
    pile_f_at: float
    pile_s_at: float
    notes: list[str] = field(default_factory=list)


def layout(
    values: list[np.ndarray],
    transform: Transform,
    piles: list[float],
    threshold: float,
    higher_is_better: bool,
) -> Layout:
    """Pad the per-scale values and split them (see :class:`Layout`)."""
    n = max(x.size for x in values)
    J = len(values)
    y = np.zeros((J, n))
    valid = np.zeros((J, n), dtype=bool)
    for j, x in enumerate(values):
        y[j, : x.size] = x
        valid[j, : x.size] = True
    notes: list[str] = []
    at = {"F": math.nan, "S": math.nan}
    masks = {"F": np.zeros_like(valid), "S": np.zeros_like(valid)}
    for v in piles:
        part = "S" if bool(success_mask(np.array([v]), threshold, higher_is_better)[0]) else "F"
        if math.isfinite(at[part]):  # two piles in one part: keep the outer one
            inner = v if abs(v - threshold) < abs(at[part] - threshold) else at[part]
            notes.append(
                f"two piles ({at[part]:g} and {v:g}) are on the same side of the threshold; "
                f"the one at {inner:g} is modelled by the continuous component"
            )
            if inner == at[part]:
                at[part] = v
            continue
        at[part] = v
    for part in ("F", "S"):
        if math.isfinite(at[part]):
            masks[part] = valid & (y == at[part])
    cont = valid & ~masks["F"] & ~masks["S"]
    z = np.where(cont, transform.forward(np.where(cont, y, transform.inside())), 0.0)
    if not np.all(np.isfinite(z)):
        bad = np.argwhere(~np.isfinite(z))
        raise ValueError(
            f"values at the bounds of the transform ({transform.describe()}) are not point "
            f"masses (rows/scales {format_labels([tuple(b) for b in bad.tolist()])})"
        )
    side = cont & success_mask(y, threshold, higher_is_better)
    return Layout(y, z, valid, cont, masks["F"], masks["S"], side, at["F"], at["S"], notes)


@dataclass(frozen=True)
class Structure:
    """Which parts of the model a population supports (decided once, from the data).

    ``cont`` / ``pile``: whether each part (``"F"``, ``"S"``) has a
    continuous component / a point mass; ``loc_slope`` / ``spread_slope``:
    whether a component's location / log-spread may move with scale (its
    values span at least two scales, else the slope is held at 0);
    ``weight_free`` and ``pile_free``: whether the weight of the successful
    part and each pile share are estimated (both sides present).
    """

    cont: dict
    pile: dict
    loc_slope: dict
    spread_slope: dict
    n_scales: int

    @property
    def parts(self) -> dict:
        return {k: self.cont[k] or self.pile[k] for k in ("F", "S")}

    @property
    def weight_free(self) -> bool:
        return self.parts["F"] and self.parts["S"]

    @property
    def pile_free(self) -> dict:
        return {k: self.cont[k] and self.pile[k] for k in ("F", "S")}

    @property
    def slope_free(self) -> bool:
        return self.n_scales >= 2

    def describe(self) -> list[str]:
        out = []
        names = {"F": "failed", "S": "successful"}
        for k in ("F", "S"):
            what = []
            if self.pile[k]:
                what.append("a point mass")
            if self.cont[k]:
                moves = []
                if not self.loc_slope[k]:
                    moves.append("location")
                if not self.spread_slope[k]:
                    moves.append("spread")
                held = f" ({' and '.join(moves)} held constant across scales)" if moves else ""
                what.append("a continuous component" + held)
            out.append(f"{names[k]} part: " + (" and ".join(what) if what else "absent"))
        return out


def structure(lay: Layout) -> Structure:
    """What the data can identify (see :class:`Structure`)."""
    cont, pile, loc, spread = {}, {}, {}, {}
    for k, mask in (("F", lay.cont & ~lay.side), ("S", lay.side)):
        per_scale = mask.sum(axis=1)
        cont[k] = bool(per_scale.sum() >= MIN_COMPONENT_VALUES)
        informative = int(np.sum(per_scale >= MIN_VALUES_PER_SCALE))
        loc[k] = cont[k] and informative >= 2
        spread[k] = cont[k] and informative >= 2 and int(per_scale.sum()) >= 8
        pile[k] = bool((lay.pile_f if k == "F" else lay.pile_s).any())
    if not (cont["F"] or cont["S"]):
        # every continuous value on one side is too few: one component takes them all
        k = "S" if lay.side.sum() >= (lay.cont & ~lay.side).sum() else "F"
        if lay.cont.any():
            cont[k] = True
    return Structure(cont, pile, loc, spread, lay.y.shape[0])


# ====================================================================================== params
@dataclass
class Scaling:
    """Standardisation: ``g_std = (ln(scale) - centre) / half``, ``z_std = (z - loc) / spread``."""

    centre: float
    half: float
    loc: float
    spread: float

    def g(self, scales: np.ndarray) -> np.ndarray:
        return (np.log(np.asarray(scales, dtype=float)) - self.centre) / self.half


class Params:
    """Parameters in standardised units, each an array with a leading replicate axis.

    Names are :data:`PARAM_NAMES`; a missing piece of the model is encoded
    by fixed values (a pile share of 0 or 1 by an intercept of -inf or +inf,
    a weight of 0 or 1 likewise, a logistic without floor/ceiling by
    ``pu = -inf``, ``pv = +inf``).
    """

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.v = {k: np.asarray(values[k], dtype=float) for k in PARAM_NAMES}

    def __getitem__(self, key: str) -> np.ndarray:
        return self.v[key]

    def take(self, rows: np.ndarray) -> Params:
        return Params({k: a[rows] for k, a in self.v.items()})

    def copy(self) -> Params:
        return Params({k: a.copy() for k, a in self.v.items()})

    @property
    def rows(self) -> int:
        return self.v["pa"].shape[0]

    @staticmethod
    def stack(parts: list[Params]) -> Params:
        return Params({k: np.concatenate([p.v[k] for p in parts]) for k in PARAM_NAMES})

    def at(self, g: np.ndarray) -> dict[str, np.ndarray]:
        """The model at standardised covariates ``g`` (shape ``(J,)``): arrays ``(rows, J)``.

        Returns ``pi`` (weight of the successful part), ``qF``, ``qS`` (pile
        shares), ``mF``, ``sF``, ``mS``, ``sS`` (components, standardised z).
        """
        v = self.v
        g = np.asarray(g, dtype=float)[None, :]

        def lin(a: str, b: str) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                out = v[a][:, None] + v[b][:, None] * g
            return np.where(np.isfinite(v[a])[:, None], out, v[a][:, None])

        with np.errstate(over="ignore", invalid="ignore"):
            core = special.expit(lin("pa", "pb"))
            floor = special.expit(v["pu"])[:, None]
            ceiling = floor + (1 - floor) * special.expit(v["pv"])[:, None]
            pi = floor + (ceiling - floor) * core
            return {
                "pi": pi,
                "qF": special.expit(lin("fa", "fb")),
                "qS": special.expit(lin("sa", "sb")),
                "mF": lin("mFa", "mFb"),
                "sF": np.exp(lin("lFa", "lFb")),
                "mS": lin("mSa", "mSb"),
                "sS": np.exp(lin("lSa", "lSb")),
            }

    def natural(self, sc: Scaling) -> dict[str, np.ndarray]:
        """The coefficients in the units of ``g = ln(scale)`` and of ``z = T(y)``.

        Slopes are divided by ``half``; intercepts are moved to ``g = 0``;
        locations and log-spreads are put back into z units.
        """
        v = self.v
        out = {}

        def icpt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return np.where(np.isfinite(a), a - b * sc.centre / sc.half, a)

        out["weight_intercept"] = icpt(v["pa"], v["pb"])
        out["weight_slope"] = v["pb"] / sc.half
        out["weight_floor"] = special.expit(v["pu"])
        out["weight_ceiling"] = out["weight_floor"] + (1 - out["weight_floor"]) * special.expit(
            v["pv"]
        )
        for k, (a, b) in (("F", ("fa", "fb")), ("S", ("sa", "sb"))):
            out[f"{k}_pile_intercept"] = icpt(v[a], v[b])
            out[f"{k}_pile_slope"] = v[b] / sc.half
        for k in ("F", "S"):
            ma, mb, la, lb = v[f"m{k}a"], v[f"m{k}b"], v[f"l{k}a"], v[f"l{k}b"]
            out[f"{k}_location_intercept"] = sc.loc + sc.spread * icpt(ma, mb)
            out[f"{k}_location_slope"] = sc.spread * mb / sc.half
            out[f"{k}_log_spread_intercept"] = math.log(sc.spread) + icpt(la, lb)
            out[f"{k}_log_spread_slope"] = lb / sc.half
        return out

    @classmethod
    def from_natural(cls, nat: dict[str, float], sc: Scaling) -> Params:
        """Inverse of :meth:`natural` for one set of coefficients (one row)."""
        def std(a: float, b: float) -> tuple[float, float]:
            slope = b * sc.half
            return (a + b * sc.centre if math.isfinite(a) else a), slope

        v: dict[str, list[float]] = {}
        v["pa"], v["pb"] = std(nat["weight_intercept"], nat["weight_slope"])
        floor, ceiling = nat["weight_floor"], nat["weight_ceiling"]
        v["pu"] = float(special.logit(floor)) if floor > 0 else -math.inf
        rest = (ceiling - floor) / (1 - floor) if floor < 1 else 1.0
        v["pv"] = float(special.logit(rest)) if rest < 1 else math.inf
        for k, (a, b) in (("F", ("fa", "fb")), ("S", ("sa", "sb"))):
            v[a], v[b] = std(nat[f"{k}_pile_intercept"], nat[f"{k}_pile_slope"])
        for k in ("F", "S"):
            a, b = std(nat[f"{k}_location_intercept"], nat[f"{k}_location_slope"])
            v[f"m{k}a"], v[f"m{k}b"] = (a - sc.loc) / sc.spread, b / sc.spread
            a, b = std(nat[f"{k}_log_spread_intercept"], nat[f"{k}_log_spread_slope"])
            v[f"l{k}a"], v[f"l{k}b"] = a - math.log(sc.spread), b
        return cls({k: np.array([float(x)]) for k, x in v.items()})
