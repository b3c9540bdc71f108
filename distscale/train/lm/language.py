"""A synthetic language and a multiple-choice task whose answer needs a rule.

The embedded default of :mod:`distscale.train.lm` pretrains a small LM on
grammar-generated text and then makes a seed population from it. The
language (:class:`SyntheticLanguage`) has sentences

    the [adjective] NOUN [preposition the [adjective] NOUN2] VERB .

whose verb agrees in number with the *head* noun (``the cat near the dogs
sleeps .``); each noun has a favourite verb. In the general text the noun of
the prepositional phrase (the *attractor*) almost always has the head's
number, so "agree with the nearest noun" and "agree with the head noun" are
both nearly consistent with it: the text underdetermines the rule.

The task (:class:`AgreementTask`) asks, in the manner of a cloze multiple-choice
item, for the verb of a sentence whose attractor has the *other* number:
four options (the noun's verb in both numbers, and another verb in both
numbers), of which one agrees with the head. A model that picked up the
linear heuristic (agree with the nearest noun) chooses the wrong number and
scores near 0; one that picked up the rule scores near 1. The task's
training documents (the task share of the training mix) are sentences with
a conflicting attractor, so the share of task data sets how much evidence
for the rule a run sees.

Nothing here needs torch: texts are plain strings of space-separated words
and :class:`SyntheticLanguage` has a word-level :attr:`~SyntheticLanguage.vocabulary`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from distscale.train.config import ConfigMixin, check_float, check_int

__all__ = ["AgreementTask", "ChoiceItem", "SyntheticLanguage"]

_NOUNS = (
    ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("fox", "foxes"), ("bee", "bees"),
    ("cow", "cows"), ("frog", "frogs"), ("owl", "owls"), ("goat", "goats"), ("wolf", "wolves"),
    ("mouse", "mice"), ("horse", "horses"),
)
_VERBS = (
    ("sleeps", "sleep"), ("runs", "run"), ("sings", "sing"), ("jumps", "jump"),
    ("swims", "swim"), ("hides", "hide"), ("eats", "eat"), ("waits", "wait"),
    ("digs", "dig"), ("rests", "rest"), ("climbs", "climb"), ("hums", "hum"),
)
_ADJECTIVES = ("red", "big", "small", "old", "young", "quick", "quiet", "brown")
_PREPOSITIONS = ("near", "behind", "with", "under", "beside", "past")
#: Special words: end of document, padding (never trained on), unknown.
SPECIALS = ("<eos>", "<pad>", "<unk>")


@dataclasses.dataclass(frozen=True)
class ChoiceItem:
    """One multiple-choice item: a context, its options (continuations), the gold index.

    Options are continuations of the context, each starting with a space,
    scored by their log-likelihood after the context (as lm-evaluation-harness
    scores ``multiple_choice`` tasks).
    """

    context: str
    options: tuple[str, ...]
    gold: int

    def to_dict(self) -> dict[str, Any]:
        return {"context": self.context, "options": list(self.options), "gold": self.gold}


@dataclasses.dataclass(frozen=True)
class SyntheticLanguage(ConfigMixin):
    """The grammar of the synthetic language (word level).

    Parameters
    ----------
    p_adjective : float, default 0.3
        Chance of an adjective before a noun.
    p_phrase : float, default 0.5
        Chance that a subject has a prepositional phrase (an attractor noun).
    p_conflict : float, default 0.02
        Chance that the attractor's number differs from the head's, in the
        general text (the evidence for the rule that pretraining sees).
    p_favourite : float, default 0.8
        Chance that a noun takes its favourite verb (else a uniform verb).
    sentences : tuple of int, default (2, 6)
        Sentences per document (inclusive range).

    Examples
    --------
    >>> lang = SyntheticLanguage()
    >>> rng = np.random.default_rng(0)
    >>> text = lang.document(rng)
    >>> text.endswith(". <eos>"), set(text.split()) <= set(lang.vocabulary)
    (True, True)
    >>> len(lang.vocabulary)
    67
    """

    p_adjective: float = 0.3
    p_phrase: float = 0.5
    p_conflict: float = 0.02
    p_favourite: float = 0.8
    sentences: tuple[int, int] = (2, 6)

    def __post_init__(self) -> None:
        for name in ("p_adjective", "p_phrase", "p_conflict", "p_favourite"):
            object.__setattr__(self, name, check_float("SyntheticLanguage", name,
                                                       getattr(self, name), low=0, high=1))
        pair = tuple(self.sentences) if isinstance(self.sentences, (list, tuple)) else None
        if pair is None or len(pair) != 2:
            raise TypeError("SyntheticLanguage `sentences` must be a pair (low, high); "
                            f"got {self.sentences!r}")
        low = check_int("SyntheticLanguage", "sentences", pair[0], minimum=1)
        high = check_int("SyntheticLanguage", "sentences", pair[1], minimum=1)
        if high < low:
            raise ValueError(f"SyntheticLanguage `sentences` must have low <= high; got {pair}")
        object.__setattr__(self, "sentences", (low, high))

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every word, specials first (``<eos>`` is id 0, ``<pad>`` id 1)."""
        words = ["the", "."]
        words += [w for pair in _NOUNS for w in pair]
        words += [w for pair in _VERBS for w in pair]
        return (*SPECIALS, *words, *_ADJECTIVES, *_PREPOSITIONS)

    def favourite(self, noun: int) -> int:
        """Index of noun ``noun``'s favourite verb."""
        return noun % len(_VERBS)

    def _np(self, rng: np.random.Generator, noun: int, number: int) -> list[str]:
        words = ["the"]
        if rng.random() < self.p_adjective:
            words.append(_ADJECTIVES[rng.integers(len(_ADJECTIVES))])
        words.append(_NOUNS[noun][number])
        return words

    def subject(self, rng: np.random.Generator, *, conflict: bool | None = None,
                phrase: bool | None = None) -> tuple[list[str], int, int]:
        """(words, head noun, head number) of a subject noun phrase."""
        noun, number = int(rng.integers(len(_NOUNS))), int(rng.integers(2))
        words = self._np(rng, noun, number)
        if phrase is None:
            phrase = bool(rng.random() < self.p_phrase)
        if phrase:
            if conflict is None:
                conflict = bool(rng.random() < self.p_conflict)
            other = int(rng.integers(len(_NOUNS) - 1))
            other += other >= noun  # another noun
            words.append(_PREPOSITIONS[rng.integers(len(_PREPOSITIONS))])
            words += self._np(rng, other, 1 - number if conflict else number)
        return words, noun, number

    def verb(self, rng: np.random.Generator, noun: int) -> int:
        if rng.random() < self.p_favourite:
            return self.favourite(noun)
        return int(rng.integers(len(_VERBS)))

    def sentence(self, rng: np.random.Generator) -> list[str]:
        words, noun, number = self.subject(rng)
        return [*words, _VERBS[self.verb(rng, noun)][number], "."]

    def document(self, rng: np.random.Generator) -> str:
        """One document of general text: a few sentences and ``<eos>``."""
        n = int(rng.integers(self.sentences[0], self.sentences[1] + 1))
        words: list[str] = []
        for _ in range(n):
            words += self.sentence(rng)
        return " ".join([*words, "<eos>"])

    def documents(self, n: int, rng: int | np.random.Generator) -> list[str]:
        """``n`` documents of general text."""
        n = check_int("SyntheticLanguage.documents", "n", n, minimum=1)
        rng = np.random.default_rng(rng)
        return [self.document(rng) for _ in range(n)]


@dataclasses.dataclass(frozen=True)
class AgreementTask(ConfigMixin):
    """Verb agreement across a conflicting attractor, as 4-option multiple choice.

    Parameters
    ----------
    language : SyntheticLanguage, optional
        The language (default ``SyntheticLanguage()``).
    p_phrase_train : float, default 1.0
        Share of the task's *training* sentences whose subject has a phrase;
        those phrases always conflict in number. (Evaluation items always do.)
    sentences : int, default 3
        Sentences per task training document.

    Examples
    --------
    >>> task = AgreementTask()
    >>> item = task.items(1, rng=0)[0]
    >>> item.context, item.options, item.gold
    ('the small mice near the cat', (' climb', ' sleeps', ' climbs', ' sleep'), 0)

    The mice take their favourite verb, "climb", in the plural of their
    head noun "mice", not in the singular of the nearest noun "cat".
    """

    language: SyntheticLanguage = dataclasses.field(default_factory=SyntheticLanguage)
    p_phrase_train: float = 1.0
    sentences: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.language, dict):
            object.__setattr__(self, "language", SyntheticLanguage.from_dict(self.language))
        if not isinstance(self.language, SyntheticLanguage):
            raise TypeError("AgreementTask `language` must be a SyntheticLanguage; "
                            f"got {type(self.language).__name__}")
        object.__setattr__(self, "p_phrase_train", check_float(
            "AgreementTask", "p_phrase_train", self.p_phrase_train, low=0, high=1))
        check_int("AgreementTask", "sentences", self.sentences, minimum=1)

    def document(self, rng: np.random.Generator) -> str:
        """One training document of task data: agreeing sentences with conflicting phrases."""
        lang, words = self.language, []
        for _ in range(self.sentences):
            phrase = bool(rng.random() < self.p_phrase_train)
            subject, noun, number = lang.subject(rng, conflict=True, phrase=phrase)
            words += [*subject, _VERBS[lang.favourite(noun)][number], "."]
        return " ".join([*words, "<eos>"])

    def documents(self, n: int, rng: int | np.random.Generator) -> list[str]:
        """``n`` task training documents."""
        n = check_int("AgreementTask.documents", "n", n, minimum=1)
        rng = np.random.default_rng(rng)
        return [self.document(rng) for _ in range(n)]

    def items(self, n: int, rng: int | np.random.Generator) -> list[ChoiceItem]:
        """``n`` evaluation items (the attractor always has the other number).

        Options, in a random order: the noun's favourite verb in the right
        and the wrong number, and another verb in both numbers.
        """
        n = check_int("AgreementTask.items", "n", n, minimum=1)
        rng = np.random.default_rng(rng)
        lang, out = self.language, []
        for _ in range(n):
            subject, noun, number = lang.subject(rng, conflict=True, phrase=True)
            fav = lang.favourite(noun)
            other = int(rng.integers(len(_VERBS) - 1))
            other += other >= fav
            options = [(fav, number), (fav, 1 - number), (other, number), (other, 1 - number)]
            order = rng.permutation(4)
            chosen = [options[i] for i in order]
            gold = int(np.flatnonzero(order == 0)[0])
            out.append(ChoiceItem(" ".join(subject),
                                  tuple(" " + _VERBS[v][num] for v, num in chosen), gold))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": "agreement", "language": self.language.to_dict(),
                "p_phrase_train": self.p_phrase_train, "sentences": self.sentences}
