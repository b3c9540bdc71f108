"""Reverse-order addition with index hints, a registered task (``"addition"``)."""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Iterable
from typing import ClassVar

import torch

from distscale.train.config import check_int
from distscale.train.tasks import Task, TaskBatch, check_generator, register_task, short_lengths

__all__ = ["AdditionTask"]


@register_task
@dataclasses.dataclass(frozen=True, repr=False)
class AdditionTask(Task):
    """Reverse-order addition with index hints.

    Both operands have ``length`` digits (the most significant one nonzero
    when ``length > 1``); the sum is written with ``length + 1`` digits (a
    final 0 when there is no carry out). Digits are written
    least-significant first, each preceded by an index-hint token: 123 + 654
    is ``<bos> a3 b2 c1 + a4 b5 c6 = a7 b7 c7 d0 <eos>``. Targets are the
    hinted sum digits and ``<eos>``.

    With ``random_hint_offset=True`` (default) the hints of a sequence start
    at a random offset, consecutive from there, so that training at short
    lengths still uses every hint token that the longer test lengths need.

    Parameters
    ----------
    train_lengths : sequence of int, default range(1, 6)
        Operand lengths (digits) seen in training.
    test_lengths : sequence of int, default range(6, 9)
        Operand lengths scored.
    n_hints : int, optional
        Number of hint tokens; at least the longest length + 1. By default
        exactly that.
    random_hint_offset : bool, default True
        Start each sequence's hints at a random offset (else always at the
        first hint).

    Examples
    --------
    >>> import torch
    >>> task = AdditionTask(train_lengths=(1, 2), test_lengths=(3,), random_hint_offset=False)
    >>> batch = task.sample(1, 3, torch.Generator().manual_seed(1))
    >>> task.format_tokens(batch.tokens[0])
    '<bos> a5 b9 c6 + a3 b3 c6 = a8 b2 c3 d1 <eos>'
    >>> int(batch.target_mask[0].sum())  # 695 + 633 = 1328: four hinted digits and <eos>
    9
    """

    name = "addition"
    train_lengths: tuple[int, ...] = tuple(range(1, 6))
    test_lengths: tuple[int, ...] = tuple(range(6, 9))
    n_hints: int | None = None
    random_hint_offset: bool = True

    def __post_init__(self) -> None:
        self._check_split_lengths()
        needed = max(self.train_lengths + self.test_lengths) + 1
        if self.n_hints is None:
            object.__setattr__(self, "n_hints", needed)
        check_int("AdditionTask", "n_hints", self.n_hints, minimum=needed)
        if not isinstance(self.random_hint_offset, bool):
            raise TypeError("AdditionTask `random_hint_offset` must be True or False")

    def __repr__(self) -> str:
        return (
            f"AdditionTask(train_lengths={short_lengths(self.train_lengths)}, "
            f"test_lengths={short_lengths(self.test_lengths)}, n_hints={self.n_hints}, "
            f"random_hint_offset={self.random_hint_offset})"
        )

    plus_token: ClassVar[int] = 10
    equals_token: ClassVar[int] = 11
    bos_token: ClassVar[int] = 12

    @property
    def eos_token(self) -> int:
        return 13

    @property
    def pad_token(self) -> int:
        return 14

    @property
    def first_hint_token(self) -> int:
        """Id of the first index-hint token (the others follow)."""
        return 15

    @property
    def vocab_size(self) -> int:
        return 15 + self.n_hints

    def sequence_length(self, length: int) -> int:
        return 6 * length + 6

    def sample(self, n: int, length: int, generator: torch.Generator) -> TaskBatch:
        n = check_int("sample", "n", n, minimum=1)
        length = check_int("sample", "length", length, minimum=1)
        if length + 1 > self.n_hints:
            raise ValueError(f"`length` must be at most n_hints - 1 = {self.n_hints - 1}")
        generator = check_generator(generator)

        def operand() -> torch.Tensor:
            digits = torch.randint(10, (n, length), generator=generator)
            if length > 1:  # most significant digit (last, reversed order) nonzero
                digits[:, -1] = torch.randint(1, 10, (n,), generator=generator)
            return digits

        x, y = operand(), operand()
        total = torch.zeros(n, length + 1, dtype=torch.int64)
        carry = torch.zeros(n, dtype=torch.int64)
        for i in range(length):
            s = x[:, i] + y[:, i] + carry
            total[:, i] = s % 10
            carry = s // 10
        total[:, length] = carry
        if self.random_hint_offset:
            offset = torch.randint(self.n_hints - length, (n, 1), generator=generator)
        else:
            offset = torch.zeros(n, 1, dtype=torch.int64)
        hints = self.first_hint_token + offset + torch.arange(length + 1)

        def hinted(digits: torch.Tensor) -> torch.Tensor:
            k = digits.shape[1]
            return torch.stack([hints[:, :k], digits], dim=2).reshape(n, 2 * k)

        col = torch.zeros(n, 1, dtype=torch.int64)
        tokens = torch.cat(
            [
                col + self.bos_token,
                hinted(x),
                col + self.plus_token,
                hinted(y),
                col + self.equals_token,
                hinted(total),
                col + self.eos_token,
            ],
            dim=1,
        )
        mask = torch.zeros_like(tokens, dtype=torch.bool)
        mask[:, 4 * length + 3 :] = True
        return TaskBatch(tokens, mask)

    def hint_name(self, index: int) -> str:
        """Printable name of hint ``index``: a, b, ..., z, then h26, h27, ..."""
        return string.ascii_lowercase[index] if index < 26 else f"h{index}"

    def format_tokens(self, tokens: Iterable[int]) -> str:
        names = {
            self.plus_token: "+",
            self.equals_token: "=",
            self.bos_token: "<bos>",
            self.eos_token: "<eos>",
        }
        out: list[str] = []
        pending = ""
        for t in (int(t) for t in tokens):
            if t == self.pad_token:
                continue
            if t >= self.first_hint_token:
                if pending:
                    out.append(pending)
                pending = self.hint_name(t - self.first_hint_token)
            elif t < 10:
                out.append(pending + str(t))
                pending = ""
            else:
                if pending:
                    out.append(pending)
                    pending = ""
                out.append(names[t])
        if pending:
            out.append(pending)
        return " ".join(out)
