"""Russian names in any spelling: match keys shared by Cyrillic and its romanisations.

A name becomes *match keys* in three steps:

1. **Transliterate** Cyrillic with four schemes people actually use: scholarly (ISO 9-like:
   ``Ulickaja``), English (BGN-like: ``Ulitskaya``), German (Duden: ``Ulizkaja``) and French
   (``Oulitskaïa``). Latin text is kept as it is.
2. **Fold**: casefold, strip diacritics (Unicode NFKD without combining marks), keep letters and
   digits; every other character separates words.
3. **Skeleton**: rewrite each word so that the romanisations of one Russian name coincide.
   The rules, in order (``S`` stands for the whole sibilant family):

   ====================================  =======  ==========================================
   pattern                               becomes  why
   ====================================  =======  ==========================================
   ``ou``                                ``u``    French у (Oulitskaïa)
   ``kh``                                ``h``    х in English (Khodorkovsky)
   ``schtsch shch chtch sch tsch tch``   ``S``    щ ч ш in German, English, French
   ``sh zh ch cz tz ts c z s``           ``S``    ц ж з с, and ч ш once more
   ``x``                                 ``kS``   Maxim and Maksim
   ``y j i`` before ``a e o u``          (gone)   я ю е ё: ya, ja, ia (Lyudmila, Ljudmila)
   ``iy yi ij ii yj y j`` at word end    ``i``    -ий -ый (Dmitry, Dmitrij, Dmitrii)
   other ``y`` and ``j``                 ``i``    ы й
   ``w`` / ``ph`` / ``ck`` / ``q``       v f k k  German в, Greek-style spellings
   ``of`` at word end                    ``ov``   Rachmaninoff
   doubled letters                       single   ss, ff, ll
   ====================================  =======  ==========================================

So 'Ulitskaya', 'Улицкая', 'Oulitskaïa', 'Ulickaja' and 'Ulitzkaja' all have the word key
``uliSka``. ISO 9 needs no table of its own: its letters fold onto the scholarly ones (``Ulickaâ``
folds to ``ulickaa``, whose key is ``uliSka``; ``Ŝ`` folds to ``s``), and the primes it and
ALA-LC write for ь and ъ (``Natalʹja``) are dropped inside a word, like apostrophes. The keys are
deliberately coarse: they find, the score ranks. The site's search (``publisher.site.search``),
the reconciliation service (``publisher.reconcile``) and Wikidata candidate matching all use
these keys.

Names are split into words before anything else, and each word's keys are remembered
(``word_keys``): an index of 100,000 names repeats the same few thousand words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _letters(cyrillic: str, latin: str) -> dict[str, str]:
    """A transliteration table from Cyrillic letters and their space-separated Latin forms."""
    return dict(zip(cyrillic, latin.split(" "), strict=True))


_COMMON = {
    **_letters("абвгдезиклмнопрстуфыэіґў", "a b v g d e z i k l m n o p r s t u f y e i g u"),
    "ъ": "",
    "ь": "",
}
_VARIABLE = "ёжйхцчшщюяєї"
#: Cyrillic to Latin, one table per scheme (lower case; text is casefolded first).
SCHEMES: dict[str, dict[str, str]] = {
    "scholarly": {**_COMMON, **_letters(_VARIABLE, "ë ž j h c č š šč ju ja je ji")},
    "english": {**_COMMON, **_letters(_VARIABLE, "yo zh y kh ts ch sh shch yu ya ye yi")},
    "german": {
        **_COMMON,
        **_letters("вз", "w s"),
        **_letters(_VARIABLE, "jo sch j ch z tsch sch schtsch ju ja je ji"),
    },
    "french": {
        **_COMMON,
        "у": "ou",
        **_letters(_VARIABLE, "io j ï kh ts tch ch chtch iou ia ie ï"),
    },
}
#: Latin letters that do not decompose into a base letter and a mark; apostrophes and the primes
#: of ISO 9 and ALA-LC (ь ъ) vanish inside a word.
_LATIN_EXTRA = {
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "þ": "th",
    **dict.fromkeys("'’ʼʹʺ`", ""),
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
#: A word of a name: letters and digits, with apostrophes and primes inside it.
_TOKEN = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
#: Endings of patronymics, as word keys (-ovich -evich -ovna -evna -ichna in every romanisation).
_PATRONYMIC_ENDINGS = ("oviS", "eviS", "ovna", "evna", "iSna")
_SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ou", "u"),
        (r"kh", "h"),
        (r"schtsch|shch|chtch|tsch|sch|tch|sh|zh|ch|cz|tz|ts|c|z|s", "S"),
        (r"x", "kS"),
        (r"[yji]+(?=[aeou])", ""),
        (r"(?:iy|yi|ij|ii|yj|y|j)$", "i"),
        (r"[yj]", "i"),
        (r"w", "v"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"(?<=o)f+$", "v"),
        (r"(.)\1+", r"\1"),
    )
)


def transliterations(text: str) -> list[str]:
    """``text`` casefolded, and if it has Cyrillic, once per scheme (in ``SCHEMES`` order).

    >>> transliterations("Улицкая")
    ['ulickaja', 'ulitskaya', 'ulizkaja', 'oulitskaia']
    """
    folded = unicodedata.normalize("NFC", text).casefold()
    if not _CYRILLIC.search(folded):
        return [_fold(folded)]
    variants: list[str] = []
    for table in SCHEMES.values():
        variant = _fold("".join(table.get(char, char) for char in folded))
        if variant not in variants:
            variants.append(variant)
    return variants


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(_LATIN_EXTRA.get(c, c) for c in stripped.casefold())


def skeleton(word: str) -> str:
    """The match key of one folded Latin word (see the module's table).

    >>> [skeleton(w) for w in ("ulitskaya", "ulickaja", "oulitskaia", "ulitzkaja")]
    ['uliSka', 'uliSka', 'uliSka', 'uliSka']
    >>> skeleton("lyudmila") == skeleton("ljudmila") == skeleton("ludmila")
    True
    """
    if word.isdigit():
        return word
    return _skeleton(word)


@lru_cache(maxsize=1 << 16)
def _skeleton(word: str) -> str:
    for pattern, replacement in _SKELETON_RULES:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=1 << 17)
def word_keys(token: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The folded words and word keys of one word of a name, once per transliteration.

    A Cyrillic word has one entry per scheme (in ``SCHEMES`` order), any other word one. An
    entry is a pair: the folded Latin words (a word may fold into several, or none) and their
    keys.

    >>> word_keys("Щедрин")[1]
    (('shchedrin',), ('Sedrin',))
    >>> word_keys("Ulitskaya")
    ((('ulitskaya',), ('uliSka',)),)
    """
    entries: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for latin in transliterations(token):
        words = tuple(_LATIN_WORD.findall(latin))
        entries.append((words, tuple(skeleton(word) for word in words)))
    return tuple(entries)


def name_forms(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """A name's folded words and word keys, once per transliteration (duplicates dropped).

    The same keys as ``name_variants``, with the folded spelling they came from, which tells an
    exact spelling from one that only shares the keys.

    >>> name_forms("Людмила Улицкая")[1]
    (('lyudmila', 'ulitskaya'), ('ludmila', 'uliSka'))
    """
    per_word = [
        # Numbers are their own keys (and would only crowd the cache: every record has its own).
        (((token,), (token,)),) if token.isascii() and token.isdigit() else word_keys(token)
        for token in _TOKEN.findall(unicodedata.normalize("NFC", text))
    ]
    count = max((len(entries) for entries in per_word), default=0)
    if count == 1:
        single = (
            tuple(word for ((words, _),) in per_word for word in words),
            tuple(key for ((_, keys),) in per_word for key in keys),
        )
        return [single] if single[1] else []
    forms: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for scheme in range(count):
        folded: list[str] = []
        keys: list[str] = []
        for entries in per_word:
            words, word_key = entries[min(scheme, len(entries) - 1)]
            folded.extend(words)
            keys.extend(word_key)
        form = (tuple(folded), tuple(keys))
        if keys and form not in forms:
            forms.append(form)
    return forms


def name_variants(text: str) -> list[tuple[str, ...]]:
    """The word keys of a name, once per transliteration (duplicates dropped, order kept).

    >>> name_variants("Natalʹja Ulickaâ") == name_variants("Наталья Улицкая")[:1]
    True
    """
    variants: list[tuple[str, ...]] = []
    for _, keys in name_forms(text):
        if keys not in variants:
            variants.append(keys)
    return variants


def normalize_name(text: str) -> set[str]:
    """The match keys of a whole name: its word keys joined by spaces, per transliteration.

    >>> normalize_name("Улицкая") == normalize_name("Oulitskaïa") == normalize_name("Ulitzkaja")
    True
    >>> sorted(normalize_name("Ljudmila Ulickaja"))
    ['ludmila uliSka']
    """
    return {" ".join(words) for words in name_variants(text)}


def is_patronymic(key: str) -> bool:
    """Whether a word key looks like a patronymic (Евгеньевна, Ivanovich, Iwanowitsch ...).

    Queries often carry the patronymic a record's names lack; a scorer can let it go unmatched.

    >>> [is_patronymic(skeleton(w)) for w in ("ivanovich", "iwanowitsch", "evgenevna", "ivan")]
    [True, True, True, False]
    """
    return len(key) >= 6 and key.endswith(_PATRONYMIC_ENDINGS)
