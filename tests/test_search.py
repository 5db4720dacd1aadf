"""Name search (``publisher.site.search``): any spelling of a name finds the person, on the real
data; match keys are documented and stable; nonsense finds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.names import name_variants, normalize_name, skeleton, transliterations
from publisher.site.search import SearchIndex, search_index

BASE = DEFAULT_BASE_IRI


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """The index of one build of the checkout's ``data/``."""
    out_dir = tmp_path_factory.mktemp("search") / "dist"
    settings = BuildSettings(
        data_dir=project_root() / "data", out_dir=out_dir, cache_dir=None, workers=1
    )
    build_release(settings)
    return SearchIndex.build(Catalog.open(out_dir, BASE))


#: Query -> the record it must find first. Latin, Cyrillic, diacritics, other romanisations
#: (German, French, scholarly), name order, stage names, parts of names, the source's spelling.
TOP_HITS = {
    "Ulitskaya": "person/ulitskaya",
    "Улицкая": "person/ulitskaya",
    "Oulitskaïa": "person/ulitskaya",
    "Ljudmila Ulickaja": "person/ulitskaya",
    "Ulitzkaja": "person/ulitskaya",
    "ulizkaja": "person/ulitskaya",
    "Людмила Евгеньевна Улицкая": "person/ulitskaya",
    "Ulitskaya Lyudmila": "person/ulitskaya",
    "Ludmila": "person/ulitskaya",
    "ULITSKAYA": "person/ulitskaya",
    "Ulit": "person/ulitskaya",
    "Monetochka": "person/monetochka",
    "Монеточка": "person/monetochka",
    "Monetotschka": "person/monetochka",
    "Yelizaveta Gyrdymova": "person/monetochka",
    "Elizaveta Gyrdymova": "person/monetochka",
    "Гырдымова": "person/monetochka",
    "Noize MC": "person/noize-mc",
    "noize": "person/noize-mc",
    "Иван Алексеев": "person/noize-mc",
    "Zemfira Ramazanova": "person/zemfira",
    "Земфира": "person/zemfira",
    "Semfira": "person/zemfira",
    "Glukhovsky": "person/glukhovsky",
    "Gluchowski": "person/glukhovsky",
    "Dmitrij Gluchovskij": "person/glukhovsky",
    "Дмитрий Глуховский": "person/glukhovsky",
    "Serebrennikov": "person/serebrennikov",
    "Serebrennikow": "person/serebrennikov",
    "Кирилл Серебренников": "person/serebrennikov",
    "Rachmaninov": "person/rachmaninoff",
    "Rakhmaninov": "person/rachmaninoff",
    "Рахманинов": "person/rachmaninoff",
    "Ivan Kuprin": "person/kuprin",
    "Nureyev": "person/nureyev",
    "Noureev": "person/nureyev",
    "Nurejew": "person/nureyev",
    "Kandinskij": "person/kandinsky",
    "Набоков": "person/nabokov",
    "Balagov": "person/balagov",
    "IC3PEAK": "group/ic3peak",
    "Тбилиси": "place/tbilisi",
}


@pytest.mark.parametrize(("query", "expected"), sorted(TOP_HITS.items()))
def test_any_spelling_finds_the_person(index: SearchIndex, query: str, expected: str) -> None:
    hits = index.search(query, 5)
    assert hits, f"nothing found for {query!r}"
    assert hits[0].iri == f"{BASE}id/{expected}", [(h.label, h.score) for h in hits]


@pytest.mark.parametrize(
    "query", ["xyzzy", "qwerty asdf", "Zzyzx Qwertyuiop", "Улицкая Xyzzy", "Ψψψ", "", "   ", "!!!"]
)
def test_nonsense_finds_nothing(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


def test_results_are_ranked_and_limited(index: SearchIndex) -> None:
    hits = index.search("Ulitskaya", 10)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0].label == "Lyudmila Ulitskaya"
    assert all(hit.iri.startswith(BASE) for hit in hits)
    assert len(index.search("a", 3)) <= 3
    iri, label, score = hits[0]
    assert (iri, label) == (f"{BASE}id/person/ulitskaya", "Lyudmila Ulitskaya") and score > 1


@pytest.mark.parametrize(
    "spellings",
    [
        ("Ulitskaya", "Улицкая", "Oulitskaïa", "Ulickaja", "Ulitzkaja", "Ulizkaja"),
        ("Lyudmila", "Людмила", "Ljudmila", "Liudmila", "Ludmila", "Lioudmila"),
        ("Dmitry", "Дмитрий", "Dmitrij", "Dmitri", "Dmitrii"),
        ("Yevgeny", "Evgeny", "Jewgeni", "Evgenij"),
        ("Mayakovsky", "Majakowski", "Маяковский", "Maïakovski"),
        ("Zemfira", "Земфира", "Semfira"),
        ("Rachmaninoff", "Rachmaninov"),
    ],
)
def test_spellings_share_a_key(spellings: tuple[str, ...]) -> None:
    keys = [normalize_name(spelling) for spelling in spellings]
    common = set.intersection(*keys)
    assert common, dict(zip(spellings, keys, strict=True))


def test_cyrillic_is_transliterated_with_each_scheme() -> None:
    assert transliterations("Щедрин") == ["scedrin", "shchedrin", "schtschedrin", "chtchedrin"]
    assert transliterations("Gérard Depardieu") == ["gerard depardieu"]
    assert name_variants("Noize MC") == [("noiSe", "mS")]
    assert skeleton("oulitskaia") == skeleton("ulitskaya") == "uliSka"


def test_the_index_is_cached_per_catalog(tmp_path: Path) -> None:
    from pyoxigraph import Store

    catalog = Catalog(Store(), BASE)
    assert search_index(catalog) is search_index(catalog)
    assert len(search_index(catalog)) == 0
    assert search_index(catalog).search("Ulitskaya") == []
