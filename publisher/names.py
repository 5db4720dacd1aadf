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
``uliSka``. The keys are deliberately coarse: they find, the score ranks. The site's search
(``publisher.site.search``), the reconciliation service and Wikidata candidate matching all use
these keys.
"""

from __future__ import annotations

import re
import unicodedata


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
#: Latin letters that do not decompose into a base letter and a mark.
_LATIN_EXTRA = {"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
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
    for pattern, replacement in _SKELETON_RULES:
        word = pattern.sub(replacement, word)
    return word


def name_variants(text: str) -> list[tuple[str, ...]]:
    """The word keys of a name, once per transliteration (duplicates dropped, order kept)."""
    variants: list[tuple[str, ...]] = []
    for latin in transliterations(text):
        words = tuple(skeleton(w) for w in re.split(r"[^a-z0-9]+", latin) if w)
        if words and words not in variants:
            variants.append(words)
    return variants


def normalize_name(text: str) -> set[str]:
    """The match keys of a whole name: its word keys joined by spaces, per transliteration.

    >>> normalize_name("Улицкая") == normalize_name("Oulitskaïa") == normalize_name("Ulitzkaja")
    True
    >>> sorted(normalize_name("Ljudmila Ulickaja"))
    ['ludmila uliSka']
    """
    return {" ".join(words) for words in name_variants(text)}
