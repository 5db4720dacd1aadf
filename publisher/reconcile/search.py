"""Finding records from a few typed words: the site's search box and the suggest service.

Every word of the query must match a word of one name of the record: equal by key, a word it
begins (the last word may be unfinished), or one edit away (``WordIndex.typed_matches``). A hit
scores the mean of its words' matches plus up to 0.15 for covering the whole name, times the
weight of the name's role and of the record's kind (both chosen by the caller).
"""

from __future__ import annotations

from collections.abc import Mapping

from publisher.names import name_variants
from publisher.reconcile.index import EntityIndex
from publisher.reconcile.records import name_keys

#: How much a hit on each kind of name counts.
NAME_WEIGHTS: Mapping[str, float] = {"name": 1.0, "alternateName": 0.95, "mentionedAs": 0.85}
#: Most records scored for one query (a word in every name would otherwise score them all).
SCORED_LIMIT = 500


def typed_search(
    index: EntityIndex,
    query: str,
    limit: int,
    kind_weights: Mapping[str, float],
    default_weight: float = 0.5,
    allowed: frozenset[int] | None = None,
) -> list[tuple[int, float]]:
    """(record number, score) of the records matching every word of ``query``, best first
    (then by label); only records in ``allowed`` when it is given."""
    words = index.words
    best: dict[int, float] = {}
    for query_words in name_variants(query):
        per_word = [
            words.typed_matches(word, last=i == len(query_words) - 1)
            for i, word in enumerate(query_words)
        ]
        if not per_word or any(not matches for matches in per_word):
            continue
        for number in words.common(per_word, SCORED_LIMIT, allowed):
            entity = index.entities[number]
            score = _score(index, number, per_word) * kind_weights.get(entity.kind, default_weight)
            if score > best.get(number, 0.0):
                best[number] = score
    entities = index.entities
    ranked = sorted(best.items(), key=lambda item: (-item[1], entities[item[0]].label))
    return [(number, round(score, 4)) for number, score in ranked[:limit]]


def _score(index: EntityIndex, number: int, per_word: list[dict[str, float]]) -> float:
    best = 0.0
    for name in index.entities[number].names:
        weight = NAME_WEIGHTS[name.role]
        for name_words in name_keys(name.text)[1]:
            scores = [max((m.get(w, 0.0) for w in name_words), default=0.0) for m in per_word]
            if min(scores) == 0.0:
                continue
            covered = sum(1 for w in name_words if any(w in m for m in per_word))
            score = sum(scores) / len(scores) + 0.15 * covered / len(name_words)
            best = max(best, score * weight)
    return best
