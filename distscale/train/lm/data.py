"""Local data files of an LM population: documents, multiple-choice items, MMLU rows.

Nothing is downloaded: the files are JSON Lines the user prepared (e.g. with
``datasets.load_dataset(...).to_json(path)`` on a machine with network).

* :func:`read_documents`: one document per line, ``{"text": ...}`` (or a
  plain ``.txt`` file, one document per line).
* :func:`read_items`: multiple-choice items, one per line, ``{"context",
  "choices", "gold"}`` (what :func:`~distscale.train.lm.harness.write_choice_task`
  writes), or MMLU rows ``{"question", "choices", "answer"}`` with
  ``format="mmlu"``.
* :func:`mmlu_item` / :func:`mmlu_document`: one MMLU row as the harness's
  zero-shot ``mmlu`` prompt (``"<question>\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\nAnswer:"``,
  options ``" A"`` .. ``" D"``) and as a training document (the prompt and
  its answer letter).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from distscale.train.lm.language import ChoiceItem

__all__ = ["mmlu_document", "mmlu_item", "read_documents", "read_items"]

_LETTERS = ("A", "B", "C", "D")
FORMATS = ("items", "mmlu")


def _lines(path: str | os.PathLike, name: str) -> list[tuple[int, str]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`{name}` file '{path}' does not exist")
    out = [(i, line) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if line.strip()]
    if not out:
        raise ValueError(f"`{name}` file '{path}' has no lines")
    return out


def _json(path: str | os.PathLike, name: str, i: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"`{name}` file '{path}' line {i} is not JSON: {exc.msg}") from None
    if not isinstance(row, dict):
        raise ValueError(f"`{name}` file '{path}' line {i} must be a JSON object")
    return row


def read_documents(path: str | os.PathLike, *, field: str = "text", name: str = "documents",
                   limit: int | None = None) -> list[str]:
    """Documents from a JSON Lines file (``{field: text}`` per line) or a ``.txt`` file.

    A ``.jsonl`` file whose rows are MMLU rows (``question``, ``choices``,
    ``answer``) gives :func:`mmlu_document` of each row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "d.jsonl").write_text('{"text": "the cat sleeps ."}\\n')
    >>> read_documents(folder / "d.jsonl")
    ['the cat sleeps .']
    """
    lines = _lines(path, name)
    if limit is not None:
        lines = lines[:limit]
    if Path(path).suffix == ".txt":
        return [line for _, line in lines]
    docs = []
    for i, line in lines:
        row = _json(path, name, i, line)
        if field in row and isinstance(row[field], str):
            docs.append(row[field])
        elif {"question", "choices", "answer"} <= set(row):
            docs.append(mmlu_document(row))
        else:
            raise ValueError(f"`{name}` file '{path}' line {i} has no string field {field!r} "
                             "(nor MMLU fields question, choices, answer)")
    return docs


def read_items(path: str | os.PathLike, *, format: str = "items", limit: int | None = None
               ) -> list[ChoiceItem]:
    """Multiple-choice items from a JSON Lines file.

    Parameters
    ----------
    path : path
    format : {"items", "mmlu"}, default "items"
        ``items``: ``{"context", "choices", "gold"}`` per line (options get a
        leading space, the harness's target delimiter); ``mmlu``:
        ``{"question", "choices", "answer"}`` per line (see :func:`mmlu_item`).
    limit : int, optional
        The first ``limit`` items only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mmlu.jsonl"
    >>> _ = p.write_text('{"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1}\\n')
    >>> item = read_items(p, format="mmlu")[0]
    >>> print(item.context)
    2+2?
    A. 3
    B. 4
    C. 5
    D. 6
    Answer:
    >>> item.options, item.gold
    ((' A', ' B', ' C', ' D'), 1)
    """
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}; got {format!r}")
    lines = _lines(path, "items")
    if limit is not None:
        lines = lines[:limit]
    out = []
    for i, line in lines:
        row = _json(path, "items", i, line)
        try:
            if format == "mmlu":
                out.append(mmlu_item(row))
            else:
                choices, gold = row["choices"], row["gold"]
                if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                    raise ValueError("`choices` must be a list of strings")
                if isinstance(gold, bool) or not isinstance(gold, int) \
                        or not 0 <= gold < len(choices):
                    raise ValueError(f"`gold` must be an index into the {len(choices)} choices")
                out.append(ChoiceItem(str(row["context"]), tuple(" " + c for c in choices),
                                      gold))
        except KeyError as exc:
            raise ValueError(f"`items` file '{path}' line {i} lacks the field {exc}") from None
        except ValueError as exc:
            raise ValueError(f"`items` file '{path}' line {i}: {exc}") from None
    return out


def _mmlu_prompt(row: dict[str, Any]) -> tuple[str, int]:
    question, choices, answer = row["question"], row["choices"], row["answer"]
    if not isinstance(choices, list) or len(choices) != 4:
        raise ValueError("an MMLU row must have 4 `choices`")
    if isinstance(answer, str) and answer in _LETTERS:
        answer = _LETTERS.index(answer)
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < 4:
        raise ValueError(f"an MMLU `answer` must be 0-3 or A-D; got {answer!r}")
    lines = [str(question).strip(), *(f"{L}. {c}" for L, c in zip(_LETTERS, choices,
                                                                      strict=True)), "Answer:"]
    return "\n".join(lines), answer


def mmlu_item(row: dict[str, Any]) -> ChoiceItem:
    """An MMLU row as lm-evaluation-harness's zero-shot ``mmlu`` item (letters as options)."""
    prompt, answer = _mmlu_prompt(row)
    return ChoiceItem(prompt, tuple(" " + L for L in _LETTERS), answer)


def mmlu_document(row: dict[str, Any]) -> str:
    """An MMLU row as a training document: the prompt followed by its answer letter.

    Examples
    --------
    >>> print(mmlu_document({"question": "2+2?", "choices": ["3", "4", "5", "6"],
    ...                      "answer": 1}).splitlines()[-1])
    Answer: B
    """
    prompt, answer = _mmlu_prompt(row)
    return f"{prompt} {_LETTERS[answer]}"
