"""Input checks and encodings shared by the per-sample metrics.

Tokens, per-token log-probabilities and option log-likelihoods.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

#: Largest log-probability accepted as "not positive" (rounding slack).
LOGPROB_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- input checks
def is_missing(x: object) -> bool:
    """None, pd.NA or a float NaN (a missing value, not a sequence or token)."""
    if x is None or x is pd.NA:
        return True
    return isinstance(x, (float, np.floating)) and math.isnan(x)


def outer(values: object, name: str) -> list:
    """The items of a sequence of samples (list, tuple, Series or array)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of samples (list, tuple, pandas Series or numpy "
            f"array), not a single {type(values).__name__}; wrap one sample in a list"
        )
    if isinstance(values, pd.Series):
        return values.tolist()
    if isinstance(values, np.ndarray):
        if values.ndim == 0 or values.ndim > 2:
            raise ValueError(
                f"{name} must be 1-dimensional (one item per sample) or 2-dimensional "
                f"(one row per sample); got shape {values.shape}"
            )
        return list(values)
    if isinstance(values, (list, tuple)):
        return list(values)
    raise TypeError(
        f"{name} must be a list, tuple, pandas Series or numpy array of samples; "
        f"got {type(values).__name__}"
    )


def check_same_length(n_a: int, n_b: int, name_a: str, name_b: str) -> None:
    if n_a != n_b:
        raise ValueError(
            f"{name_a} and {name_b} must have one entry per sample (equal lengths); "
            f"got {n_a} and {n_b}"
        )


def as_tokens(item: object, name: str, i: int) -> Sequence:
    """One prediction or target as an iterable of tokens."""
    if isinstance(item, (str, list, tuple)):
        return item
    if isinstance(item, np.ndarray):
        if item.ndim != 1:
            raise ValueError(
                f"{name}[{i}] must be a 1-dimensional sequence of tokens; got shape {item.shape}"
            )
        return item.tolist()
    if is_missing(item):
        raise ValueError(f"{name}[{i}] is missing ({item!r}); every sample needs a sequence")
    raise TypeError(
        f"{name}[{i}] must be a sequence of tokens (str, list, tuple or 1-D numpy array); "
        f"got {type(item).__name__}"
    )


def new_code(vocab: dict, token: object, name: str, i: int) -> int:
    try:
        code = vocab.get(token)
    except TypeError:
        raise TypeError(
            f"{name}[{i}] contains an unhashable token of type {type(token).__name__}; "
            "tokens must be hashable (str, int, tuple, ...)"
        ) from None
    if code is None:
        if is_missing(token):
            raise ValueError(
                f"{name}[{i}] contains a missing token ({token!r}); tokens must equal "
                "themselves (no None, NaN or pd.NA)"
            )
        code = vocab[token] = len(vocab)
    return code


class Coded:
    """Predictions and targets as integer codes from one shared vocabulary."""

    def __init__(self, predictions: object, targets: object, names: tuple[str, str]):
        p_items, t_items = outer(predictions, names[0]), outer(targets, names[1])
        check_same_length(len(p_items), len(t_items), names[0], names[1])
        vocab: dict[Hashable, int] = {}
        self.pred = self._encode(p_items, names[0], vocab)
        self.target = self._encode(t_items, names[1], vocab)
        self.pred_len = np.fromiter(map(len, self.pred), np.int64, len(self.pred))
        self.target_len = np.fromiter(map(len, self.target), np.int64, len(self.target))

    @staticmethod
    def _encode(items: list, name: str, vocab: dict) -> list[list[int]]:
        out = []
        for i, item in enumerate(items):
            seq = as_tokens(item, name, i)
            try:
                codes = [vocab[t] for t in seq]
            except (KeyError, TypeError):
                codes = [new_code(vocab, t, name, i) for t in seq]
            out.append(codes)
        return out

    def n_matching_positions(self) -> np.ndarray:
        """Per sample: target positions i with prediction[i] == target[i]."""
        n = len(self.target)
        p_flat = np.fromiter((c for s in self.pred for c in s), np.int64, int(self.pred_len.sum()))
        t_flat = np.fromiter(
            (c for s in self.target for c in s), np.int64, int(self.target_len.sum())
        )
        if n == 0 or t_flat.size == 0 or p_flat.size == 0:
            return np.zeros(n, dtype=np.int64)
        p_start = np.cumsum(self.pred_len) - self.pred_len
        t_start = np.cumsum(self.target_len) - self.target_len
        row = np.repeat(np.arange(n), self.target_len)
        pos = np.arange(t_flat.size) - t_start[row]
        inside = pos < self.pred_len[row]
        pred_at = p_flat[np.where(inside, p_start[row] + pos, 0)]
        hit = inside & (pred_at == t_flat)
        return np.bincount(row[hit], minlength=n)

    def exact(self) -> np.ndarray:
        return np.fromiter(
            (p == t for p, t in zip(self.pred, self.target, strict=True)), bool, len(self.pred)
        )


def levenshtein_rows(pred_rows: list, target_rows: list) -> np.ndarray:
    """Levenshtein distances of aligned rows of non-negative integer codes.

    The one edit-distance engine of distscale (:func:`edit_distance` and the
    trainer both call it). Rows must hold plain Python ints: rapidfuzz hashes
    other objects (numpy scalars, floats), and ``hash(-1) == hash(-2)``.
    """
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError as err:  # pragma: no cover - rapidfuzz is a core dependency
        raise ImportError(
            "distscale's edit distance needs rapidfuzz: pip install 'rapidfuzz>=3'"
        ) from err
    distance = Levenshtein.distance
    return np.fromiter(
        (distance(p, t) for p, t in zip(pred_rows, target_rows, strict=True)),
        np.int64,
        len(pred_rows),
    )


def padded_levenshtein(pred: np.ndarray, pred_len: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Levenshtein distance of ``pred[i, :pred_len[i]]`` to the whole row ``target[i]``.

    For padded integer token arrays (the trainer's greedy outputs); int64 result.
    """
    rows = [row[:k] for row, k in zip(pred.tolist(), pred_len.tolist(), strict=True)]
    return levenshtein_rows(rows, target.tolist())


def logprob_rows(token_logprobs: object, name: str) -> tuple[np.ndarray, np.ndarray, list]:
    """Check per-token log-probabilities; return per-sample sums, lengths and arrays."""
    if isinstance(token_logprobs, np.ndarray) and token_logprobs.dtype.kind in "iuf":
        if token_logprobs.ndim != 2:
            raise ValueError(
                f"{name} as a numeric array must be 2-dimensional (samples x tokens); "
                f"got shape {token_logprobs.shape}"
            )
        arrays = list(token_logprobs.astype(np.float64))
    else:
        arrays = []
        for i, item in enumerate(outer(token_logprobs, name)):
            if is_missing(item):
                raise ValueError(f"{name}[{i}] is missing ({item!r}); every sample needs values")
            if not isinstance(item, (list, tuple, np.ndarray)):
                raise TypeError(
                    f"{name}[{i}] must be a list, tuple or 1-D array of per-token "
                    f"log-probabilities; got {type(item).__name__}"
                )
            try:
                arr = np.asarray(item, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name}[{i}] must contain only numbers") from None
            if arr.ndim != 1:
                raise ValueError(
                    f"{name}[{i}] must be 1-dimensional (one value per token); got shape "
                    f"{arr.shape}"
                )
            arrays.append(arr)
    lengths = np.fromiter(map(len, arrays), np.int64, len(arrays))
    for i, arr in enumerate(arrays):
        if not np.isfinite(arr).all():
            raise ValueError(
                f"{name}[{i}] has non-finite log-probabilities (NaN or inf); every token's "
                "log-probability must be a finite number <= 0"
            )
        if arr.size and arr.max() > LOGPROB_TOLERANCE:
            raise ValueError(
                f"{name}[{i}] has a positive log-probability ({arr.max()!r}); log-probabilities "
                "must be <= 0 (did you pass probabilities or negative log-probabilities?)"
            )
    n = len(arrays)
    if n and (lengths == lengths[0]).all():
        totals = np.stack(arrays).sum(axis=1)  # the same reduction as numpy's row mean
    else:
        flat = np.concatenate(arrays) if n else np.empty(0)
        totals = np.bincount(np.repeat(np.arange(n), lengths), weights=flat, minlength=n)
    return totals.astype(np.float64), lengths, arrays


def option_matrix(values: object, name: str, *, positive: bool = False):
    """Options per sample as a padded (n, k_max) float matrix, its mask and k per sample."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        if values.ndim != 2:
            raise ValueError(
                f"{name} must be 2-dimensional (samples x options) or a list of lists; "
                f"got shape {values.shape}"
            )
        rows = list(values.astype(np.float64))
    else:
        rows = []
        for i, item in enumerate(outer(values, name)):
            if not isinstance(item, (list, tuple, np.ndarray)):
                raise TypeError(
                    f"{name}[{i}] must be a list, tuple or 1-D array with one value per "
                    f"option; got {type(item).__name__}"
                )
            try:
                arr = np.asarray(item, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name}[{i}] must contain only numbers") from None
            if arr.ndim != 1:
                raise ValueError(f"{name}[{i}] must be 1-dimensional; got shape {arr.shape}")
            rows.append(arr)
    k = np.fromiter(map(len, rows), np.int64, len(rows))
    if (k == 0).any():
        raise ValueError(f"{name}[{int(np.argmax(k == 0))}] has no options; each sample needs >= 1")
    width = int(k.max()) if k.size else 0
    mask = np.arange(width) < k[:, None]
    mat = np.zeros((len(rows), width))
    mat[mask] = np.concatenate(rows) if rows else np.empty(0)
    bad = mask & ~np.isfinite(mat)
    if bad.any():
        raise ValueError(
            f"{name}[{int(np.argmax(bad.any(axis=1)))}] has a non-finite value (NaN or inf); "
            "option values must be finite"
        )
    if positive and (mask & (mat <= 0)).any():
        raise ValueError(
            f"{name}[{int(np.argmax((mask & (mat <= 0)).any(axis=1)))}] has a length <= 0; "
            "option lengths must be positive"
        )
    return mat, mask, k


def check_correct(correct: object, k: np.ndarray, name: str = "`correct`") -> np.ndarray:
    """Index of the correct option per sample, within 0 .. k_i - 1."""
    if isinstance(correct, (str, bytes)) or np.ndim(correct) != 1:
        raise ValueError(f"{name} must be 1-dimensional (one option index per sample)")
    arr = np.asarray(correct)
    check_same_length(arr.size, k.size, name, "`option_logliks`")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer option indices (0-based); got dtype {arr.dtype}"
        )
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= k)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must index an offered option (0 <= correct < number of options); "
            f"sample {i} has correct={arr[i]} with {k[i]} options"
        )
    return arr


def softmax(mat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the offered options (padding gets probability 0)."""
    if mat.size == 0:
        return mat.copy()
    shifted = np.where(mask, mat, -np.inf)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def first_argmax(mat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if mat.size == 0:
        return np.zeros(mat.shape[0], dtype=np.int64)
    return np.where(mask, mat, -np.inf).argmax(axis=1)
