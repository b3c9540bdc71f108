"""Synthetic length-generalisation tasks and a registry for user tasks.

A task turns ``(n, length, generator)`` into a batch of token sequences plus
a mask of the *target* tokens (the ones the model is trained and scored on).
Every task has training lengths and longer, out-of-distribution test lengths.
Tasks are frozen dataclasses, so they serialise like every other config
(:meth:`Task.to_dict`, :func:`task_from_dict`).

Built-in tasks
--------------
``count`` (:class:`CountTask`)
    ``<bos> a b > a a+1 ... b <eos>`` with ``b = a + length - 1``; the loss
    covers ``a ... b <eos>`` (everything after ``>``).
``addition`` (:class:`~distscale.train.arithmetic.AdditionTask`)
    Reverse-order addition with index hints: digits least-significant first,
    each preceded by an index-hint token, e.g. 123 + 654 is
    ``<bos> a3 b2 c1 + a4 b5 c6 = a7 b7 c7 d0 <eos>``.

Adding a task
-------------
Subclass :class:`Task` as a frozen dataclass with fields ``train_lengths`` and
``test_lengths``, a class attribute ``name``, the properties ``vocab_size``,
``pad_token`` and ``eos_token``, and ``sample(n, length, generator)``
returning a :class:`TaskBatch`; decorate it with :func:`register_task`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import torch

from distscale.train.config import ConfigMixin, check_int

__all__ = [
    "CountTask",
    "Task",
    "TaskBatch",
    "available_tasks",
    "get_task",
    "register_task",
    "task_from_dict",
]


@dataclasses.dataclass(frozen=True)
class TaskBatch:
    """A batch of sequences with the mask of the target tokens.

    Attributes
    ----------
    tokens : torch.Tensor
        ``(n, T)`` int64 token ids, right-padded with the task's pad token.
    target_mask : torch.Tensor
        ``(n, T)`` bool, True at target tokens: the model is trained to
        predict them (the loss at position ``t`` scores the prediction of
        ``tokens[:, t]`` from ``tokens[:, :t]``) and scored on them. Prompt and
        padding tokens are False.
    """

    tokens: torch.Tensor
    target_mask: torch.Tensor

    def __post_init__(self) -> None:
        if not isinstance(self.tokens, torch.Tensor) or self.tokens.dtype != torch.int64:
            raise TypeError("TaskBatch `tokens` must be an int64 torch.Tensor")
        if self.tokens.ndim != 2:
            raise ValueError(
                f"TaskBatch `tokens` must be 2-D (n, T); got {tuple(self.tokens.shape)}"
            )
        if not isinstance(self.target_mask, torch.Tensor) or self.target_mask.dtype != torch.bool:
            raise TypeError("TaskBatch `target_mask` must be a bool torch.Tensor")
        if self.target_mask.shape != self.tokens.shape:
            raise ValueError(
                f"TaskBatch `target_mask` shape {tuple(self.target_mask.shape)} differs from "
                f"`tokens` shape {tuple(self.tokens.shape)}"
            )
        if self.target_mask[:, 0].any():
            raise ValueError("TaskBatch `target_mask` must be False at position 0 (nothing to "
                             "predict the first token from)")

    @property
    def n(self) -> int:
        """Number of sequences."""
        return int(self.tokens.shape[0])

    def prompt_and_target(self) -> tuple[int, int]:
        """``(prompt_length, target_length)`` shared by every sequence of the batch.

        Greedy decoding needs every sequence to have the same prompt length
        and a contiguous target of the same length; a ValueError says so
        otherwise (a task's ``sample`` at one length must give such batches).
        """
        mask = self.target_mask
        counts = mask.sum(1)
        first = mask.int().argmax(1)
        if counts.min() < 1:
            raise ValueError("every sequence needs at least one target token")
        if (first != first[0]).any() or (counts != counts[0]).any():
            raise ValueError(
                "evaluation needs the same prompt and target length for every sequence of a "
                "batch; `sample(n, length, generator)` must return equal-shape sequences"
            )
        start, size = int(first[0]), int(counts[0])
        if not mask[:, start : start + size].all():
            raise ValueError("the target tokens of a sequence must be contiguous")
        return start, size


def _check_lengths(owner: str, name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{owner} `{name}` must be a sequence or range of integers; got {value!r}")
    lengths = tuple(check_int(owner, name, v, minimum=1) for v in value)
    if not lengths:
        raise ValueError(f"{owner} `{name}` must contain at least one length")
    if len(set(lengths)) != len(lengths) or list(lengths) != sorted(lengths):
        raise ValueError(f"{owner} `{name}` must be strictly increasing; got {list(lengths)}")
    return lengths


def check_generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"`generator` must be a torch.Generator (never the global RNG); "
            f"got {type(generator).__name__}"
        )
    if generator.device.type != "cpu":
        raise ValueError("`generator` must be a CPU torch.Generator; data is made on the CPU")
    return generator


class Task(ConfigMixin, abc.ABC):
    """Base class of tasks; subclasses are frozen dataclasses (see module docs).

    Subclasses define ``name`` (class attribute), the fields
    ``train_lengths`` and ``test_lengths`` (tuples of ints), the properties
    :attr:`vocab_size`, :attr:`pad_token`, :attr:`eos_token`, and
    :meth:`sample`.
    """

    name: ClassVar[str]
    train_lengths: tuple[int, ...]
    test_lengths: tuple[int, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("name"), str):
            cls._dict_name = cls.__dict__["name"]

    def __post_init__(self) -> None:
        self._check_split_lengths()

    def _check_split_lengths(self) -> None:
        owner = type(self).__name__
        object.__setattr__(
            self, "train_lengths", _check_lengths(owner, "train_lengths", self.train_lengths)
        )
        object.__setattr__(
            self, "test_lengths", _check_lengths(owner, "test_lengths", self.test_lengths)
        )

    @property
    @abc.abstractmethod
    def vocab_size(self) -> int:
        """Number of token ids (specials included)."""

    @property
    @abc.abstractmethod
    def pad_token(self) -> int:
        """Token id used for right padding."""

    @property
    @abc.abstractmethod
    def eos_token(self) -> int:
        """End-of-sequence token id (the last target token)."""

    @abc.abstractmethod
    def sample(self, n: int, length: int, generator: torch.Generator) -> TaskBatch:
        """``n`` sequences of problem size ``length`` drawn with ``generator``.

        All sequences of one call have the same shape and prompt length.
        """

    def sequence_length(self, length: int) -> int:
        """Number of tokens of a sequence of problem size ``length``."""
        return int(self.sample(1, length, torch.Generator().manual_seed(0)).tokens.shape[1])

    @property
    def max_sequence_length(self) -> int:
        """Longest sequence over training and test lengths."""
        lengths = set(self.train_lengths) | set(self.test_lengths)
        return max(self.sequence_length(n) for n in lengths)

    def training_batch(self, n: int, generator: torch.Generator) -> TaskBatch:
        """A training batch: each sequence's length is drawn uniformly from ``train_lengths``.

        Sequences are grouped by length (shortest first) and right-padded.
        """
        n = check_int("training_batch", "n", n, minimum=1)
        choice = torch.randint(len(self.train_lengths), (n,), generator=generator)
        counts = torch.bincount(choice, minlength=len(self.train_lengths)).tolist()
        parts = [
            self.sample(c, self.train_lengths[i], generator) for i, c in enumerate(counts) if c
        ]
        return pad_batches(parts, self.pad_token)

    def format_tokens(self, tokens: Iterable[int]) -> str:
        """Human-readable rendering of one token sequence (pad tokens dropped)."""
        return " ".join(str(int(t)) for t in tokens if int(t) != self.pad_token)


def pad_batches(parts: list[TaskBatch], pad_token: int, length: int | None = None) -> TaskBatch:
    """Concatenate batches, right-padding to the longest (or to ``length``)."""
    width = max(p.tokens.shape[1] for p in parts) if length is None else length
    tokens, masks = [], []
    for p in parts:
        extra = width - p.tokens.shape[1]
        tokens.append(torch.nn.functional.pad(p.tokens, (0, extra), value=pad_token))
        masks.append(torch.nn.functional.pad(p.target_mask, (0, extra), value=False))
    return TaskBatch(torch.cat(tokens), torch.cat(masks))


# ---------------------------------------------------------------------- registry
_REGISTRY: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator adding a :class:`Task` subclass to the registry under ``cls.name``.

    Raises
    ------
    TypeError
        If ``cls`` is not a frozen dataclass subclass of :class:`Task` with a
        string ``name``.
    ValueError
        If another class is already registered under that name.

    Examples
    --------
    >>> import dataclasses, torch
    >>> @register_task
    ... @dataclasses.dataclass(frozen=True)
    ... class Copy(Task):
    ...     name = "copy-example"
    ...     train_lengths: tuple = (1, 2, 3)
    ...     test_lengths: tuple = (4, 5)
    ...     vocab_size = 12  # digits 0-9, separator 10, pad/eos 11
    ...     pad_token = eos_token = 11
    ...     def sample(self, n, length, generator):
    ...         x = torch.randint(10, (n, length), generator=generator)
    ...         sep = torch.full((n, 1), 10)
    ...         eos = torch.full((n, 1), 11)
    ...         tokens = torch.cat([x, sep, x, eos], dim=1)
    ...         mask = torch.zeros_like(tokens, dtype=torch.bool)
    ...         mask[:, length + 1:] = True
    ...         return TaskBatch(tokens, mask)
    >>> "copy-example" in available_tasks()
    True
    >>> get_task("copy-example").sample(2, 3, torch.Generator().manual_seed(0)).tokens.shape
    torch.Size([2, 8])
    """
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TypeError(f"register_task needs a subclass of Task; got {cls!r}")
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not name:
        raise TypeError(
            f"task class {cls.__name__} needs a non-empty string class attribute `name`"
        )
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
        raise TypeError(
            f"task class {cls.__name__} must be a frozen dataclass "
            "(@dataclasses.dataclass(frozen=True)) so that it serialises and hashes"
        )
    old = _REGISTRY.get(name)
    if old is not None and old.__qualname__ != cls.__qualname__:
        raise ValueError(
            f"a different task class ({old.__module__}.{old.__qualname__}) is already "
            f"registered as {name!r}"
        )
    _REGISTRY[name] = cls
    cls._dict_name = name
    return cls


def available_tasks() -> list[str]:
    """Names of the registered tasks, sorted."""
    return sorted(_REGISTRY)


def _lookup(name: object) -> type[Task]:
    if not isinstance(name, str):
        raise TypeError(f"task `name` must be a string; got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown task {name!r}; registered tasks: {', '.join(available_tasks())}"
        ) from None


def get_task(name: str, **params: Any) -> Task:
    """An instance of the registered task ``name`` with ``params``.

    Examples
    --------
    >>> get_task("count", train_lengths=range(1, 11), test_lengths=range(11, 21))
    CountTask(train_lengths=(1, ..., 10), test_lengths=(11, ..., 20), n_numbers=64)
    """
    return _lookup(name)(**params)


def task_from_dict(data: Mapping[str, Any]) -> Task:
    """Rebuild a task from :meth:`Task.to_dict` output (the ``"name"`` key picks the class).

    Examples
    --------
    >>> task = CountTask(train_lengths=range(1, 4), test_lengths=(5,))
    >>> task_from_dict(task.to_dict()) == task
    True
    """
    if not isinstance(data, Mapping) or "name" not in data:
        raise ValueError("`data` must be a mapping with a 'name' key naming a registered task")
    return _lookup(data["name"]).from_dict(data)


def short_lengths(lengths: tuple[int, ...]) -> str:
    if len(lengths) > 3 and lengths == tuple(range(lengths[0], lengths[-1] + 1)):
        return f"({lengths[0]}, ..., {lengths[-1]})"
    return repr(lengths)


# ------------------------------------------------------------------------ count
@register_task
@dataclasses.dataclass(frozen=True, repr=False)
class CountTask(Task):
    """Counting: ``<bos> a b > a a+1 … b <eos>`` with ``b = a + length - 1``.

    Token ids ``0 .. n_numbers-1`` are the numbers; then ``<bos>``, ``>``,
    ``<eos>`` and ``<pad>``. The start ``a`` is uniform over the values that
    keep ``b < n_numbers``. Targets (loss and scoring) are ``a ... b <eos>``.

    Parameters
    ----------
    train_lengths : sequence of int, default range(1, 21)
        Problem sizes (numbers to count) seen in training.
    test_lengths : sequence of int, default range(21, 31)
        Problem sizes scored (usually longer than any training length).
    n_numbers : int, default 64
        Number tokens; every length must be at most ``n_numbers``.

    Examples
    --------
    >>> import torch
    >>> task = CountTask(train_lengths=range(1, 6), test_lengths=(8,), n_numbers=16)
    >>> batch = task.sample(2, 3, torch.Generator().manual_seed(0))
    >>> [task.format_tokens(row) for row in batch.tokens]
    ['<bos> 4 6 > 4 5 6 <eos>', '<bos> 3 5 > 3 4 5 <eos>']
    >>> batch.target_mask[0].int().tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """

    name = "count"
    train_lengths: tuple[int, ...] = tuple(range(1, 21))
    test_lengths: tuple[int, ...] = tuple(range(21, 31))
    n_numbers: int = 64

    def __post_init__(self) -> None:
        self._check_split_lengths()
        check_int("CountTask", "n_numbers", self.n_numbers, minimum=1)
        longest = max(self.train_lengths + self.test_lengths)
        if longest > self.n_numbers:
            raise ValueError(
                f"CountTask lengths must be at most `n_numbers` ({self.n_numbers}); "
                f"got a length of {longest}"
            )

    def __repr__(self) -> str:
        return (
            f"CountTask(train_lengths={short_lengths(self.train_lengths)}, "
            f"test_lengths={short_lengths(self.test_lengths)}, n_numbers={self.n_numbers})"
        )

    @property
    def bos_token(self) -> int:
        """``<bos>`` id."""
        return self.n_numbers

    @property
    def sep_token(self) -> int:
        """``>`` id."""
        return self.n_numbers + 1

    @property
    def eos_token(self) -> int:
        return self.n_numbers + 2

    @property
    def pad_token(self) -> int:
        return self.n_numbers + 3

    @property
    def vocab_size(self) -> int:
        return self.n_numbers + 4

    def sequence_length(self, length: int) -> int:
        return length + 5

    def sample(self, n: int, length: int, generator: torch.Generator) -> TaskBatch:
        n = check_int("sample", "n", n, minimum=1)
        length = check_int("sample", "length", length, minimum=1)
        if length > self.n_numbers:
            raise ValueError(f"`length` must be at most n_numbers={self.n_numbers}; got {length}")
        generator = check_generator(generator)
        start = torch.randint(self.n_numbers - length + 1, (n, 1), generator=generator)
        run = start + torch.arange(length)
        col = torch.full((n, 1), 0, dtype=torch.int64)
        tokens = torch.cat(
            [
                col + self.bos_token,
                start,
                run[:, -1:],
                col + self.sep_token,
                run,
                col + self.eos_token,
            ],
            dim=1,
        )
        mask = torch.zeros_like(tokens, dtype=torch.bool)
        mask[:, 4:] = True
        return TaskBatch(tokens, mask)

    def training_batch(self, n: int, generator: torch.Generator) -> TaskBatch:
        """Vectorised version of :meth:`Task.training_batch` (one pass, not one per length).

        Same distribution: each sequence's length uniform over
        ``train_lengths``, its start uniform over the valid starts; rows come
        in random length order, right-padded.
        """
        n = check_int("training_batch", "n", n, minimum=1)
        generator = check_generator(generator)
        choices = torch.tensor(self.train_lengths, dtype=torch.int64)
        length = choices[torch.randint(len(choices), (n,), generator=generator)]
        u = torch.rand(n, generator=generator, dtype=torch.float64)
        start = (u * (self.n_numbers - length + 1)).floor().long().clamp_max(
            self.n_numbers - length
        )
        width = int(length.max()) + 1  # a .. b <eos>
        pos = torch.arange(width)
        body = start[:, None] + pos
        body = torch.where(pos < length[:, None], body, self.pad_token)
        body = torch.where(pos == length[:, None], self.eos_token, body)
        head = torch.stack(
            [
                torch.full((n,), self.bos_token),
                start,
                start + length - 1,
                torch.full((n,), self.sep_token),
            ],
            dim=1,
        )
        tokens = torch.cat([head, body], dim=1)
        mask = torch.zeros_like(tokens, dtype=torch.bool)
        mask[:, 4:] = pos <= length[:, None]
        return TaskBatch(tokens, mask)

    def format_tokens(self, tokens: Iterable[int]) -> str:
        names = {self.bos_token: "<bos>", self.sep_token: ">", self.eos_token: "<eos>"}
        return " ".join(
            names.get(int(t), str(int(t))) for t in tokens if int(t) != self.pad_token
        )
