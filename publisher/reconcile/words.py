"""Word postings over name keys: exact, prefix and one-edit lookups.

The site's search box and the reconciliation service find records through the same index: each
word key (``publisher.names``) points at the records having a name with that word. A query word
finds index words that equal it, that it begins (for words being typed), or that are one edit
away (a typo; only for words of four letters or more, and never for numbers: ``00042`` is not
``00043``). One-edit lookups use a deletion map (symmetric delete: both words lose at most one
letter) instead of comparing with every word.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence

#: Shortest word that may match another one edit away.
FUZZY_MIN_LENGTH = 4
#: What a word one edit away counts (an equal word counts 1).
ONE_EDIT_SCORE = 0.75


def within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by at most one insertion, deletion or substitution.

    >>> within_one_edit("ulitskaya", "ulitzkaya"), within_one_edit("ulitskaya", "ulitkaja")
    (True, False)
    """
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


def fuzzy_word(word: str) -> bool:
    """Whether a word may match words one edit away (long enough, and not a number)."""
    return len(word) >= FUZZY_MIN_LENGTH and not any(c.isdigit() for c in word)


class WordIndex:
    """Which records (by number) have a name with each word key."""

    def __init__(self, words_of_records: Iterable[tuple[int, Iterable[str]]]) -> None:
        postings: dict[str, set[int]] = defaultdict(set)
        for number, words in words_of_records:
            for word in words:
                postings[word].add(number)
        # Most words are one record's (numbers, rare surnames): a tuple is a quarter of a set.
        self._postings: dict[str, Collection[int]] = {
            w: tuple(sorted(n)) if len(n) <= 4 else frozenset(n) for w, n in postings.items()
        }
        # Sets in order too, for walking the records of common words from the first (``common``).
        self._ordered: dict[str, tuple[int, ...]] = {
            w: tuple(sorted(n)) for w, n in postings.items() if len(n) > 4
        }
        self._deleted: dict[str, set[str]] = defaultdict(set)
        for word in self._postings:
            if fuzzy_word(word):
                for key in _deletions(word):
                    self._deleted[key].add(word)
        self._sorted = sorted(self._postings)

    def __len__(self) -> int:
        return len(self._postings)

    def postings(self, word: str) -> Collection[int]:
        """The records having ``word`` in a name (empty when none do)."""
        return self._postings.get(word, ())

    def size(self, words: Iterable[str]) -> int:
        """How many postings the words have together (records may count more than once)."""
        return sum(len(self._postings.get(w, ())) for w in words)

    def common(
        self, groups: Sequence[Iterable[str]], limit: int, allowed: Collection[int] | None = None
    ) -> list[int]:
        """The first ``limit`` records (by number) that have, for every group, one of its words;
        only records in ``allowed`` when it is given.

        Walks the postings of the group with the fewest, in order, and looks the others up:
        no set of every record having a common word is ever built.
        """
        lists = [[w for w in group if w in self._postings] for group in groups]
        if not lists or not all(lists):
            return []
        lists.sort(key=self.size)
        first, others = lists[0], [[self._postings[w] for w in group] for group in lists[1:]]
        walk = heapq.merge(*(self._ordered.get(w) or self._postings[w] for w in first))
        found: list[int] = []
        previous = -1
        for number in walk:
            if number == previous or (allowed is not None and number not in allowed):
                continue
            previous = number
            if all(any(number in p for p in postings) for postings in others):
                found.append(number)
                if len(found) >= limit:
                    break
        return found

    def prefixed(self, prefix: str) -> Iterator[str]:
        """Index words beginning with ``prefix``, in order."""
        start = bisect_left(self._sorted, prefix)
        for word in self._sorted[start:]:
            if not word.startswith(prefix):
                break
            yield word

    def one_edit(self, word: str) -> Iterator[str]:
        """Index words one edit away from ``word`` (not ``word`` itself)."""
        if not fuzzy_word(word):
            return
        seen: set[str] = set()
        for key in _deletions(word):
            for found in self._deleted.get(key, ()):
                if found != word and found not in seen and within_one_edit(word, found):
                    seen.add(found)
                    yield found

    def exact_or_one_edit(self, word: str) -> dict[str, float]:
        """Index words equal to ``word`` (1.0) or one edit away (``ONE_EDIT_SCORE``)."""
        matches = {found: ONE_EDIT_SCORE for found in self.one_edit(word)}
        if word in self._postings:
            matches[word] = 1.0
        return matches

    def typed_matches(self, word: str, last: bool = False) -> dict[str, float]:
        """Index words a word typed into a search box may mean, with how well they match.

        Equal words count 1; words it begins, 0.6 to 0.9 (more when it is most of the word); one
        edit away, 0.75. The last word of a query may be unfinished, and may end inside a letter
        cluster whose key differs ("Ulit" for "Ulitskaya", key ``uliSka``): it also matches as a
        prefix without its last letter.
        """
        matches: dict[str, float] = {}
        if word in self._postings:
            matches[word] = 1.0
        if last and len(word) >= 4:
            for found in self.prefixed(word[:-1]):
                score = 0.55 + 0.3 * len(word) / max(len(found), len(word))
                matches[found] = max(matches.get(found, 0.0), score)
        if len(word) >= 2:
            for found in self.prefixed(word):
                score = 0.6 + 0.3 * len(word) / len(found)
                matches[found] = max(matches.get(found, 0.0), score)
        for found in self.one_edit(word):
            matches[found] = max(matches.get(found, 0.0), ONE_EDIT_SCORE)
        return matches
