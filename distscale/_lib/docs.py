"""Parameters that many functions share, documented once.

A docstring writes ``%(name)s`` on a line of its own where a shared
parameter's entry belongs; :func:`fill_doc` replaces it with the entry below
(indented like the marker). In the manner of scipy's and matplotlib's
docstring substitution, so the words for ``pop``, ``threshold``,
``higher_is_better``, ``metric``, ``n_resamples``, ``confidence_level``,
``rng`` and the column arguments are the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["PARAMETERS", "fill_doc"]

#: The shared parameter entries (numpydoc), without indentation.
PARAMETERS = {
    "pop": """pop : Population or pandas.DataFrame
    The runs: one row per training run, with a scale, a seed and one or
    more metric columns. With a DataFrame, also pass ``scale=``, ``seed=``
    and ``value=`` (see :func:`~distscale.as_population`).""",
    "metric": """metric : str, optional
    Which metric column, when the population has several.""",
    "threshold": """threshold : float
    Success threshold. A run succeeds when its value is strictly above it
    (strictly below with ``higher_is_better=False``); a run exactly at the
    threshold fails.""",
    "higher_is_better": """higher_is_better : bool, default True
    Direction of success: False for losses and error rates.""",
    "n_resamples": """n_resamples : int, default 1000
    Seed-bootstrap resamples (seeds are resampled within each scale, or
    whole seeds across scales when the population is paired).""",
    "confidence_level": """confidence_level : float, default 0.95
    Confidence level of the intervals.""",
    "rng": """rng : int, numpy.random.Generator or None
    Source of randomness; an int gives reproducible results. The global
    NumPy random state is never used.""",
    "columns": """scale, seed, value : str, optional
    Column names, only with a DataFrame ``pop``.""",
}

_MARKER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def fill_doc(func: Callable) -> Callable:
    """Replace ``%(name)s`` marker lines of ``func.__doc__`` with shared entries.

    Examples
    --------
    >>> @fill_doc
    ... def f(pop):
    ...     '''Do something.
    ...
    ...     Parameters
    ...     ----------
    ...     %(pop)s
    ...     '''
    >>> "one row per training run" in f.__doc__
    True
    """
    doc = func.__doc__
    if not doc:
        return func

    def replace(match: re.Match) -> str:
        name, indent = match["name"], match["indent"]
        if name not in PARAMETERS:
            raise KeyError(f"no shared parameter {name!r} for {func.__qualname__}")
        return "\n".join(indent + line if line else line for line in PARAMETERS[name].split("\n"))

    func.__doc__ = _MARKER.sub(replace, doc)
    return func
