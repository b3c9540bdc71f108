"""Parsing one lm-evaluation-harness per-sample record (``--log_samples``).

Used by :func:`distscale.io.read_lm_eval_samples`: the request type and the
responses of a record, its options, the index of the correct option, and its
per-document metric values.

**The correct option.** lm-eval >= 0.4.3 writes ``target`` as text
(``str(target)``), so the gold *index* 3 and the answer *text* ``"3"`` are
written alike. :func:`correct_index` takes the index from the options: a
target that is the text of exactly one option names it; a target of digits
names an index. When both readings are possible (digit options), the
record's own ``acc`` / ``acc_norm`` (1 exactly when the best option is the
correct one) and its ``doc`` (a field holding the target as text, or as the
integer) decide; a case that stays open gives no index (missing), never a
guess.

**Log-likelihood metrics.** The harness keeps, per document, a
log-likelihood where the aggregate is a perplexity: ``perplexity`` of
``loglikelihood`` tasks (the aggregate is ``exp(-mean(ll))``) and
``[ll, n]`` pairs for ``word_perplexity``, ``byte_perplexity`` (aggregate
``exp(-sum(ll) / sum(n))``) and ``bits_per_byte`` (``-sum(ll) / (sum(n)
ln 2)``). :func:`metric_values` gives each document's value of the metric
itself (``exp(-ll)``, ``exp(-ll / n)``, ``-ll / (n ln 2)``: lower is
better, as the name says) and, for pairs, the count ``n`` as
``<metric>_units``, from which the harness's aggregates follow exactly.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

from distscale._lib.validation import format_labels

__all__ = ["HIGHER_IS_BETTER", "correct_index", "metric_names", "metric_values", "options_of",
           "parse_response", "request_type"]

_INDEX = re.compile(r"\s*[0-9]+\s*")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
#: Per-document metrics whose harness direction is known (as in its results files).
HIGHER_IS_BETTER = {"acc": True, "acc_norm": True, "acc_bytes": True, "exact_match": True,
                    "f1": True, "mcc": True, "perplexity": False, "word_perplexity": False,
                    "byte_perplexity": False, "bits_per_byte": False, "bleu": True,
                    "chrf": True, "ter": False}
#: Fields of an lm-eval sample record that are not per-document metrics.
LM_EVAL_FIELDS = frozenset(
    {
        "doc_id",
        "doc",
        "target",
        "arguments",
        "resps",
        "filtered_resps",
        "filter",
        "metrics",
        "doc_hash",
        "prompt_hash",
        "target_hash",
    }
)
_PAIR_METRICS = {"word_perplexity": "perplexity", "byte_perplexity": "perplexity",
                 "bits_per_byte": "bits"}


def request_args(arguments: object) -> list[Any] | None:
    """Arguments of a record's first request, in both layouts; None if unknown."""
    if isinstance(arguments, dict):  # current layout: {"gen_args_0": {"arg_0": ..., ...}}
        first = arguments.get("gen_args_0")
        if not isinstance(first, dict):
            return None
        return [first[f"arg_{j}"] for j in range(len(first)) if f"arg_{j}" in first]
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list):
        return arguments[0]  # lm-eval 0.4.0-0.4.2: a list of argument lists
    return None


def request_type(arguments: object) -> str | None:
    args = request_args(arguments)
    if not args or not isinstance(args[0], str):
        return None
    if len(args) >= 2 and isinstance(args[1], dict):
        return "generate_until"  # (context, generation kwargs)
    if len(args) == 2 and isinstance(args[1], str):
        return "loglikelihood"  # (context, continuation)
    if len(args) == 1:
        return "loglikelihood_rolling"  # (text,)
    return None


def as_float(value: object) -> float | None:
    """A log-likelihood written as a JSON number or as text; None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def is_pair(item: object) -> bool:
    return (
        isinstance(item, (list, tuple))
        and len(item) == 2
        and as_float(item[0]) is not None
        and as_bool(item[1]) is not None
    )


def guess_type(filtered: list[Any]) -> str | None:
    if all(is_pair(item) for item in filtered):
        return "loglikelihood"
    if all(isinstance(item, str) for item in filtered):
        return "generate_until"
    if all(isinstance(item, numbers.Real) and not isinstance(item, bool) for item in filtered):
        return "loglikelihood_rolling"
    return None


def parse_response(record: dict[str, Any], where: str) -> dict[str, Any]:
    """response_type, response, option_logliks, option_is_greedy of one record."""
    filtered = record["filtered_resps"]
    if not isinstance(filtered, list) or not filtered:
        raise ValueError(f"{where}: 'filtered_resps' must be a non-empty list; got {filtered!r}")
    kind = request_type(record.get("arguments")) or guess_type(filtered)
    out: dict[str, Any] = {
        "response_type": kind,
        "response": None,
        "option_logliks": None,
        "option_is_greedy": None,
    }
    if kind == "loglikelihood":
        if not all(is_pair(item) for item in filtered):
            raise ValueError(
                f"{where}: a loglikelihood request's 'filtered_resps' must hold one "
                f"[log-likelihood, is_greedy] pair per option; got {filtered!r}"
            )
        logliks = [as_float(item[0]) for item in filtered]
        out["option_is_greedy"] = [as_bool(item[1]) for item in filtered]
    elif kind == "loglikelihood_rolling":
        logliks = [as_float(item) for item in filtered]
        if any(v is None for v in logliks):
            raise ValueError(
                f"{where}: a loglikelihood_rolling request's 'filtered_resps' must hold "
                f"numbers; got {filtered!r}"
            )
    elif kind == "generate_until":
        ok = all(
            isinstance(item, str)
            or (isinstance(item, list) and all(isinstance(s, str) for s in item))
            for item in filtered
        )
        if not ok:
            raise ValueError(
                f"{where}: a generate_until request's 'filtered_resps' must hold generated "
                f"strings; got {filtered!r}"
            )
        single = len(filtered) == 1 and isinstance(filtered[0], str)
        out["response"] = filtered[0] if single else filtered
        return out
    else:
        raise ValueError(
            f"{where}: cannot tell the request type: 'filtered_resps' holds neither "
            "[log-likelihood, is_greedy] pairs, nor strings, nor numbers, and 'arguments' "
            f"does not say; got {filtered!r}"
        )
    bad = [v for v in logliks if v is None or math.isnan(v) or v == math.inf]
    if bad:
        raise ValueError(f"{where}: log-likelihoods must be numbers below +inf; got {filtered!r}")
    out["option_logliks"] = logliks
    return out


def metric_names(record: dict[str, Any], where: str) -> list[str]:
    listed = record.get("metrics")
    if listed is None:  # older files: every field that is not part of the record layout
        return [key for key in record if key not in LM_EVAL_FIELDS]
    if not isinstance(listed, list) or not all(isinstance(m, str) for m in listed):
        raise ValueError(f"{where}: 'metrics' must be a list of metric names; got {listed!r}")
    missing = [m for m in listed if m not in record]
    if missing:
        raise ValueError(
            f"{where}: 'metrics' lists {format_labels(missing)} but the record has no such field"
        )
    return listed


def options_of(arguments: object) -> list[str] | None:
    """The continuation of every request (the options of a multiple-choice record)."""
    if isinstance(arguments, dict):
        conts = []
        for j in range(len(arguments)):
            args = arguments.get(f"gen_args_{j}")
            if not isinstance(args, dict) or not isinstance(args.get("arg_1"), str):
                return None
            conts.append(args["arg_1"])
        return conts
    if isinstance(arguments, list) and all(
        isinstance(a, list) and len(a) == 2 and isinstance(a[1], str) for a in arguments
    ):
        return [a[1] for a in arguments]
    return None


def _consistent(index: int, record: dict[str, Any], logliks: list[float],
                options: list[str] | None) -> bool:
    """Whether gold = ``index`` agrees with the record's own acc / acc_norm."""
    best = max(range(len(logliks)), key=logliks.__getitem__)
    acc = record.get("acc")
    if isinstance(acc, (int, float)) and not isinstance(acc, bool) and (best == index) != (
        acc >= 0.5
    ):
        return False
    norm = record.get("acc_norm")
    if options is not None and isinstance(norm, (int, float)) and not isinstance(norm, bool):
        lengths = [max(1, len(o.lstrip(" "))) for o in options]
        scaled = [ll / n for ll, n in zip(logliks, lengths, strict=True)]
        if (max(range(len(scaled)), key=scaled.__getitem__) == index) != (norm >= 0.5):
            return False
    return True


def _doc_says(doc: object, target: str) -> str | None:
    """"text" when the doc holds the target as a string, "index" as an integer, else None."""
    if not isinstance(doc, dict):
        return None
    values = list(doc.values())
    as_text = any(isinstance(v, str) and v.strip() == target.strip() for v in values)
    as_int = _INDEX.fullmatch(target) is not None and any(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v == int(target)
        for v in values)
    if as_text != as_int:
        return "text" if as_text else "index"
    return None


def correct_index(record: dict[str, Any], response: dict[str, Any]) -> int | None:
    """Index of the correct option of a multiple-choice record, or None (see the module)."""
    logliks = response["option_logliks"]
    if response["response_type"] != "loglikelihood" or not logliks or len(logliks) < 2:
        return None
    target = record["target"]
    n = len(logliks)
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return int(target) if 0 <= target < n else None  # older files keep numbers
    if not isinstance(target, str):
        return None
    options = response.get("options")
    candidates: dict[str, int] = {}
    if options is not None and len(options) == n:
        hits = [i for i, o in enumerate(options) if o.strip() == target.strip()]
        if len(hits) == 1:
            candidates["text"] = hits[0]
    if _INDEX.fullmatch(target) is not None and int(target) < n:
        candidates["index"] = int(target)
    if len(set(candidates.values())) > 1:
        fits = {k: i for k, i in candidates.items() if _consistent(i, record, logliks, options)}
        if len(set(fits.values())) == 1:
            return next(iter(fits.values()))
        said = _doc_says(record.get("doc"), target)
        return candidates[said] if said in candidates and said in fits else None
    return next(iter(candidates.values()), None)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    return as_float(value)


def metric_values(name: str, value: object) -> dict[str, object]:
    """The column(s) of one per-document metric (see the module on log-likelihoods)."""
    single = _number(value)
    if name == "perplexity" and single is not None:
        return {name: math.exp(-single)}
    pair = [_number(v) for v in value] if isinstance(value, (list, tuple)) else []
    if name in _PAIR_METRICS and len(pair) == 2 and None not in pair:
        ll, units = float(pair[0]), float(pair[1])  # type: ignore[arg-type]
        if units <= 0:
            per = math.nan
        elif _PAIR_METRICS[name] == "perplexity":
            per = math.exp(-ll / units)
        else:
            per = -ll / (units * math.log(2))
        return {name: per, f"{name}_units": units}
    if isinstance(value, (bool, numbers.Real)):
        return {name: float(value)}
    return {name: value}
