"""The reconciliation service (``publisher.reconcile``, ``/reconcile``): matching Russian names in
any spelling, scores and features, types, properties, suggestions, data extension, previews, and
the HTTP contract, with every response validated against the specification's JSON schemas.

Three levels:

- the service in-process over an index of the checkout's ``data/`` (real people, their real
  spellings, stage names and the mentions kept from sources), and over a small index of
  obviously fictional namesakes, for the rule that makes a match;
- the endpoint in-process (``ReconcileEndpoint.handle``), fed random and malformed requests
  (Hypothesis): never an exception, only the statuses we promise;
- ``python -m publisher serve`` on 127.0.0.1 (``server_fixtures``), spoken to over sockets.

Schemas: ``tests/fixtures/reconciliation-api`` (a copy of ``../shared/specs/reconciliation-api``),
Draft 7, with the ``$ref``s between the files resolved from the copy, never over the network.
"""

from __future__ import annotations

import functools
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jsonschema
import pytest
import server_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referencing import Registry
from referencing.jsonschema import DRAFT7
from server_fixtures import RENAMED, WITHDRAWN, XSS_NAME, Response, RunningServer

from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.reconcile import EntityIndex, ReconcileEndpoint, ReconciliationService
from publisher.reconcile.parsing import parse_batch, parse_extend
from publisher.reconcile.preview import PREVIEW_HEIGHT, PREVIEW_WIDTH
from publisher.reconcile.records import Entity, Name
from publisher.reconcile.scoring import MATCH_SCORE

REPO_ROOT = Path(__file__).resolve().parent.parent
SPECS = REPO_ROOT / "tests" / "fixtures" / "reconciliation-api"
SHARED_SPECS = REPO_ROOT.parent / "shared" / "specs" / "reconciliation-api"
ID_SPACE = f"{DEFAULT_BASE_IRI}id/"

# Shared session fixtures (see server_fixtures): one build and one server for every module.
release_dist = server_fixtures.release_dist
server = server_fixtures.server


# --- Schemas ------------------------------------------------------------------------------------


@functools.cache
def _registry(version: str) -> Registry[Any]:
    resources = []
    for path in sorted((SPECS / version).glob("*.json")):
        contents = json.loads(path.read_text("utf-8"))
        # openapi.json's $id ends in "#"; references name the document without it.
        resources.append((contents["$id"].rstrip("#"), DRAFT7.create_resource(contents)))
    return Registry().with_resources(resources)


@functools.cache
def validator(version: str, name: str) -> jsonschema.Draft7Validator:
    """A Draft 7 validator for ``SPECS/version/name.json`` (the files declare the generic
    ``http://json-schema.org/schema#``; the specification's README says to treat them as Draft 7)."""
    schema = json.loads((SPECS / version / f"{name}.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema, registry=_registry(version))


def assert_valid(version: str, name: str, value: object) -> None:
    """``value`` conforms to the schema ``name`` of ``version``; the errors otherwise."""
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(version, name).iter_errors(value)
    ]
    assert not errors, f"{version}/{name}: {errors[:5]}\n{json.dumps(value)[:1000]}"


def test_the_schema_copy_is_the_shared_one() -> None:
    if not SHARED_SPECS.is_dir():
        pytest.skip("../shared/specs is not beside this checkout")
    for path in sorted(SHARED_SPECS.rglob("*.json")):
        copy = SPECS / path.relative_to(SHARED_SPECS)
        assert copy.read_bytes() == path.read_bytes(), f"{copy} differs from {path}"


#: The specification's examples, by schema: the validator must accept the valid ones and refuse
#: the invalid ones (so a validation that passes is not a validation that cannot fail).
EXAMPLES = {
    "manifest": "manifest",
    "reconciliation-query-batch": "reconciliation-query-batch",
    "reconciliation-result-batch": "reconciliation-result-batch",
    "data-extension-query": "data-extension-query",
    "data-extension-response": "data-extension-response",
    "data-extension-property-proposal": "data-extension-property-proposal",
    "suggest-entities-response": "suggest-entities-response",
    "suggest-types-response": "suggest-types-response",
    "suggest-properties-response": "suggest-properties-response",
}


def _examples(validity: str) -> list[tuple[str, Path]]:
    return [
        (schema, path)
        for folder, schema in EXAMPLES.items()
        for path in sorted((SPECS / "0.2" / "examples" / folder / validity).glob("*.json"))
    ]


@pytest.mark.parametrize(
    ("schema", "path"), _examples("valid"), ids=lambda v: getattr(v, "name", v)
)
def test_the_validator_accepts_the_valid_examples(schema: str, path: Path) -> None:
    assert_valid("0.2", schema, json.loads(path.read_text("utf-8")))


@pytest.mark.parametrize(
    ("schema", "path"), _examples("invalid"), ids=lambda v: getattr(v, "name", v)
)
def test_the_validator_refuses_the_invalid_examples(schema: str, path: Path) -> None:
    value = json.loads(path.read_text("utf-8"))
    assert list(validator("0.2", schema).iter_errors(value)), f"{path} passed"


# --- The service over the real data -------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> ReconciliationService:
    """The service over one build of the checkout's ``data/``."""
    out_dir = tmp_path_factory.mktemp("reconcile") / "dist"
    settings = BuildSettings(
        data_dir=project_root() / "data", out_dir=out_dir, cache_dir=None, workers=1
    )
    build_release(settings)
    return ReconciliationService(EntityIndex.build(Catalog.open(out_dir, DEFAULT_BASE_IRI)))


def reconcile(service: ReconciliationService, **query: Any) -> list[dict[str, Any]]:
    """The candidates of one 0.2 query (the batch validated both ways)."""
    batch = {"q0": query}
    assert_valid("0.2", "reconciliation-query-batch", batch)
    result = service.reconcile(parse_batch(batch, 50))
    assert_valid("0.2", "reconciliation-result-batch", result)
    candidates: list[dict[str, Any]] = result["q0"]["result"]  # type: ignore[index]
    return candidates


def features(candidate: dict[str, Any]) -> dict[str, Any]:
    """A candidate's features by id."""
    return {f["id"]: f["value"] for f in candidate["features"]}


#: Query (type Person) -> the record it must find first, and whether it is a sure match.
#: Cyrillic, English, German, French, scholarly and ISO 9 romanisations, diacritics, case, name
#: order, patronymics, stage names and real names, aliases, and the source's "Ivan Kuprin".
SPELLINGS = {
    "Людмила Улицкая": ("person/ulitskaya", True),
    "Lyudmila Ulitskaya": ("person/ulitskaya", True),
    "Ludmila Ulitskaya": ("person/ulitskaya", True),
    "Ljudmila Ulizkaja": ("person/ulitskaya", True),
    "Oulitskaïa Ludmila": ("person/ulitskaya", True),
    "Ljudmila Ulickaja": ("person/ulitskaya", True),
    "Lûdmila Ulickaâ": ("person/ulitskaya", True),
    "ULITSKAYA, Lyudmila": ("person/ulitskaya", True),
    "Lyudmila Evgenyevna Ulitskaya": ("person/ulitskaya", True),
    "Людмила Евгеньевна Улицкая": ("person/ulitskaya", True),
    "Улицкая": ("person/ulitskaya", False),
    "Monetochka": ("person/monetochka", True),
    "Монеточка": ("person/monetochka", True),
    "Monetotschka": ("person/monetochka", True),
    "Yelizaveta Gyrdymova": ("person/monetochka", True),
    "Elizaveta Gyrdymova": ("person/monetochka", True),
    "Noize MC": ("person/noize-mc", True),
    "Иван Алексеев": ("person/noize-mc", True),
    "Ivan Kuprin": ("person/kuprin", True),
    "Aleksandr Kuprin": ("person/kuprin", True),
    "Alexander Kuprin": ("person/kuprin", True),
    "Александр Иванович Куприн": ("person/kuprin", True),
    "Dmitrij Gluchovskij": ("person/glukhovsky", True),
    "Дмитрий Глуховский": ("person/glukhovsky", True),
    "Kirill Serebrennikow": ("person/serebrennikov", True),
    "Zemfira": ("person/zemfira", True),
    "Земфира Рамазанова": ("person/zemfira", True),
    "Sergei Rachmaninov": ("person/rachmaninoff", True),
    "Сергей Рахманинов": ("person/rachmaninoff", True),
    "Wassily Kandinsky": ("person/kandinsky", True),
    "Gluchowski": ("person/glukhovsky", False),
}


@pytest.mark.parametrize(("query", "expected"), sorted(SPELLINGS.items()))
def test_any_spelling_reconciles(
    service: ReconciliationService, query: str, expected: tuple[str, bool]
) -> None:
    record, sure = expected
    candidates = reconcile(service, query=query, type="Person")
    assert candidates, f"no candidates for {query!r}"
    best = candidates[0]
    summary = [(c["id"], c["score"], c["match"]) for c in candidates]
    assert best["id"] == record, summary
    assert best["match"] is sure, summary
    assert all(c["match"] is False for c in candidates[1:]), summary
    assert 0 <= best["score"] <= 100
    assert (best["score"] >= MATCH_SCORE) or not sure


@pytest.mark.parametrize("query", ["Xyzzy Qwerty", "Zzyzx", "Ψψψ", "!!!", "Улицкая Xyzzyqwerty"])
def test_nonsense_has_no_sure_match(service: ReconciliationService, query: str) -> None:
    candidates = reconcile(service, query=query, type="Person")
    assert not any(c["match"] for c in candidates), candidates
    assert all(c["score"] < 60 for c in candidates), candidates


def test_scores_are_explained_by_features(service: ReconciliationService) -> None:
    (exact,) = reconcile(service, query="Lyudmila Ulitskaya", type="Person", limit=1)
    assert features(exact) == {
        "name_similarity": 1.0,
        "name_exact": True,
        "name_reordered": False,
        "alias": False,
        "source_mention": False,
        "type_match": True,
    }
    assert exact["score"] == 100
    french = reconcile(service, query="Oulitskaïa Ludmila", type="Person")[0]
    assert features(french)["name_exact"] is False and features(french)["name_reordered"] is True
    assert french["score"] < exact["score"]
    mention = reconcile(service, query="Ivan Kuprin", type="Person")[0]
    assert features(mention)["source_mention"] is True and mention["score"] < 100
    alias = reconcile(service, query="Alexander Kuprin", type="Person")[0]
    assert features(alias)["alias"] is True and features(alias)["source_mention"] is False
    surname = reconcile(service, query="Ulitskaya", type="Person")[0]
    assert features(surname)["name_similarity"] < 1 and surname["score"] < MATCH_SCORE


def test_candidates_describe_the_record(service: ReconciliationService) -> None:
    best = reconcile(service, query="Lyudmila Ulitskaya")[0]
    assert best["name"] == "Lyudmila Ulitskaya"
    assert best["type"] == [{"id": "Person", "name": "person"}]
    assert best["description"].startswith("Russian novelist")
    assert "born 1943-02-21" in best["description"] and "Germany" in best["description"]


def test_an_identifier_is_its_own_record(service: ReconciliationService) -> None:
    for identifier in (
        "person/kuprin",
        f"{ID_SPACE}person/kuprin",
        "http://x/doc/person/kuprin.ttl",
    ):
        best = reconcile(service, query=identifier)[0]
        assert (best["id"], best["match"], best["score"]) == ("person/kuprin", True, 100)
    by_qid = reconcile(service, query="Q32361743")[0]
    assert (by_qid["id"], by_qid["match"]) == ("person/monetochka", True)


# --- A match is only a sure match when nothing comes close ---------------------------------------


def _fictional(slug: str, name: str, born: str) -> Entity:
    return Entity(
        id=f"person/{slug}",
        kind="person",
        label=name,
        description="fictional test person",
        classes=("Person",),
        names=(Name(name, "en", "name"),),
        facts={"birthDate": (born,)},
    )


@pytest.fixture(scope="module")
def namesakes() -> ReconciliationService:
    """Two fictional people with one name, born in different years."""
    entities = [
        _fictional("ivan-testov-1950", "Ivan Testov", "1950"),
        _fictional("ivan-testov-1980", "Ivan Testov", "1980-05-01"),
        _fictional("pyotr-testov", "Pyotr Testov", "1950"),
    ]
    return ReconciliationService(EntityIndex(entities, DEFAULT_BASE_IRI))


def test_namesakes_are_no_sure_match(namesakes: ReconciliationService) -> None:
    candidates = reconcile(namesakes, query="Ivan Testov")
    assert [c["score"] for c in candidates[:2]] == [100, 100]
    assert not any(c["match"] for c in candidates)


def test_a_property_tells_namesakes_apart(namesakes: ReconciliationService) -> None:
    for year, expected in (("1950", "person/ivan-testov-1950"), (1980, "person/ivan-testov-1980")):
        candidates = reconcile(
            namesakes, query="Ivan Testov", properties=[{"pid": "birthYear", "v": year}]
        )
        assert candidates[0]["id"] == expected and candidates[0]["match"] is True, candidates
        assert features(candidates[0])["property:birthYear"] == 1.0
        assert features(candidates[1])["property:birthYear"] == 0.0
        assert candidates[0]["score"] - candidates[1]["score"] >= 10


def test_a_birth_date_near_the_published_one_counts_half(namesakes: ReconciliationService) -> None:
    candidates = reconcile(
        namesakes, query="Ivan Testov", properties=[{"pid": "birthDate", "v": "1981-05-01"}]
    )
    by_id = {c["id"]: features(c)["property:birthDate"] for c in candidates}
    assert by_id["person/ivan-testov-1980"] == 0.5 and by_id["person/ivan-testov-1950"] == 0.0


# --- Properties ---------------------------------------------------------------------------------


def _score_with(service: ReconciliationService, query: str, **condition: Any) -> dict[str, Any]:
    candidates = reconcile(service, query=query, type="Person", properties=[condition])
    return candidates[0]


def test_property_matches_raise_and_contradictions_lower_the_score(
    service: ReconciliationService,
) -> None:
    alone = reconcile(service, query="Ulitskaya", type="Person")[0]["score"]
    same = _score_with(service, "Ulitskaya", pid="birthYear", v="1943")
    other = _score_with(service, "Ulitskaya", pid="birthYear", v="1960")
    assert other["score"] < alone < same["score"]
    assert features(same)["property:birthYear"] == 1.0
    assert features(other)["property:birthYear"] == 0.0
    for value in ("1943-02-21", "21.02.1943", "1943-02-21T00:00:00Z", 1943):
        matched = _score_with(service, "Ulitskaya", pid="birthDate", v=value)
        assert features(matched)["property:birthDate"] == 1.0, value


@pytest.mark.parametrize(
    ("query", "destination", "expected"),
    [
        ("Lyudmila Ulitskaya", "Germany", 1.0),
        ("Lyudmila Ulitskaya", "Германия", 1.0),
        ("Lyudmila Ulitskaya", {"id": "Q183", "name": "Germany"}, 1.0),
        ("Lyudmila Ulitskaya", {"id": "place/germany"}, 1.0),
        ("Zemfira", "France", 1.0),  # she went to Paris: a city matches its country
        ("Zemfira", "Paris", 1.0),
        ("Lyudmila Ulitskaya", "Georgia", 0.0),
    ],
)
def test_destination_conditions(
    service: ReconciliationService, query: str, destination: object, expected: float
) -> None:
    best = _score_with(service, query, pid="destination", v=destination)
    assert features(best)["property:destination"] == expected


def test_occupation_and_wikidata_conditions(service: ReconciliationService) -> None:
    for value in ("novelist", {"id": "occupation/novelist"}, "Q6625963"):
        best = _score_with(service, "Ulitskaya", pid="occupation", v=value)
        assert features(best)["property:occupation"] == 1.0, value
    assert (
        features(_score_with(service, "Ulitskaya", pid="occupation", v="composer"))[
            "property:occupation"
        ]
        == 0.0
    )
    identified = _score_with(service, "Rachmaninov", pid="wikidataId", v="Q131861")
    assert (identified["id"], identified["score"], identified["match"]) == (
        "person/rachmaninoff",
        100,
        True,
    )
    wrong = _score_with(service, "Sergei Rachmaninoff", pid="wikidataId", v="Q1")
    assert wrong["score"] < MATCH_SCORE and features(wrong)["property:wikidataId"] == 0.0


def test_queries_without_a_name_find_records_by_their_properties(
    service: ReconciliationService,
) -> None:
    by_qid = reconcile(service, properties=[{"pid": "wikidataId", "v": "Q131861"}])
    assert [(c["id"], c["match"]) for c in by_qid] == [("person/rachmaninoff", True)]
    by_year = reconcile(service, properties=[{"pid": "birthYear", "v": "1943"}], type="Person")
    assert "person/ulitskaya" in [c["id"] for c in by_year]
    assert not any(c["match"] for c in by_year)
    unknown = reconcile(service, properties=[{"pid": "P569", "v": "1943"}])
    assert unknown == []


def test_a_property_we_do_not_have_judges_nobody(service: ReconciliationService) -> None:
    best = _score_with(service, "Lyudmila Ulitskaya", pid="professionOrOccupation", v="Politik*")
    assert best["score"] == 100 and "property:professionOrOccupation" not in features(best)


# --- Types --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "types", "expected"),
    [
        ("Berlin", "Place", "place/berlin"),
        ("Berlin", "City", "place/berlin"),
        ("Berlin", "schema:Place", "place/berlin"),
        ("Berlin", "http://schema.org/City", "place/berlin"),
        ("Berlin", ["Person", "Place"], "place/berlin"),
        ("Berlin", "Person", None),
        ("Berlin", "Country", None),
        ("Berlin", "Q5", None),
        ("IC3PEAK", "Group", "group/ic3peak"),
        ("IC3PEAK", "MusicGroup", "group/ic3peak"),
        ("IC3PEAK", "Person", None),
        ("novelist", "Occupation", "occupation/novelist"),
    ],
)
def test_type_filters(
    service: ReconciliationService, query: str, types: str | list[str], expected: str | None
) -> None:
    candidates = reconcile(service, query=query, type=types)
    assert (candidates[0]["id"] if candidates else None) == expected
    assert all(features(c)["type_match"] is True for c in candidates)


def test_type_strict_should_prefers_the_type_without_filtering(
    service: ReconciliationService,
) -> None:
    candidates = reconcile(service, query="Berlin", type="Person", type_strict="should")
    assert candidates[0]["id"] == "place/berlin"
    assert features(candidates[0])["type_match"] is False
    assert candidates[0]["score"] < reconcile(service, query="Berlin")[0]["score"]


# --- Suggest, extend, preview -------------------------------------------------------------------


def test_suggest_entities_by_prefix_and_by_identifier(service: ReconciliationService) -> None:
    for prefix, expected in (
        ("Ulit", "person/ulitskaya"),
        ("Улиц", "person/ulitskaya"),
        ("Monet", "person/monetochka"),
        ("person/kuprin", "person/kuprin"),
        (f"{ID_SPACE}person/kuprin", "person/kuprin"),
        ("Q131861", "person/rachmaninoff"),
    ):
        result = service.suggest_entities(prefix)
        assert_valid("0.2", "suggest-entities-response", result)
        assert result["result"][0]["id"] == expected, (prefix, result)  # type: ignore[index]
    places = service.suggest_entities("Ber", "Place")["result"]
    assert [s["id"] for s in places] == ["place/berlin"]  # type: ignore[index]
    assert service.suggest_entities("Xyzzyq")["result"] == []


def test_suggest_types_and_properties(service: ReconciliationService) -> None:
    types = service.suggest_types("pl")
    assert_valid("0.2", "suggest-types-response", types)
    assert types["result"][0]["id"] == "Place"  # type: ignore[index]
    music = service.suggest_types("music")["result"]
    assert music[0]["broader"] == [{"id": "Group", "name": "group"}]  # type: ignore[index]
    properties = service.suggest_properties("birth")
    assert_valid("0.2", "suggest-properties-response", properties)
    ids = [p["id"] for p in properties["result"]]  # type: ignore[attr-defined]
    assert ids == ["birthDate", "birthYear", "birthPlace"]
    assert [p["id"] for p in service.suggest_properties("emigrated")["result"]] == [  # type: ignore[attr-defined]
        "destination",
        "origin",
    ]


def test_properties_are_proposed_by_type(service: ReconciliationService) -> None:
    people = service.propose_properties("Person", None)
    assert_valid("0.2", "data-extension-property-proposal", people)
    ids = [p["id"] for p in people["properties"]]  # type: ignore[attr-defined]
    assert {"birthDate", "occupation", "destination", "wave", "wikidataId", "linkState"} <= set(ids)
    places = [p["id"] for p in service.propose_properties("City", 5)["properties"]]  # type: ignore[attr-defined]
    assert "birthDate" not in places and "country" in places and len(places) <= 5


def test_extend_returns_our_values_and_wikidata_ids(service: ReconciliationService) -> None:
    request = {
        "ids": ["person/rachmaninoff", "person/ulitskaya", "person/no-such-person"],
        "properties": [
            {"id": "wikidataId"},
            {"id": "birthDate"},
            {"id": "birthYear"},
            {"id": "destination"},
            {"id": "occupation", "settings": {"limit": "1"}},
            {"id": "nameRu"},
        ],
    }
    assert_valid("0.2", "data-extension-query", request)
    result = service.extend(parse_extend(request))
    assert_valid("0.2", "data-extension-response", result)
    meta = {m["id"]: m for m in result["meta"]}  # type: ignore[attr-defined]
    assert meta["wikidataId"]["service"].startswith("https://")
    assert meta["destination"]["type"] == {"id": "Place", "name": "place"}
    rows: dict[str, dict[str, list[dict[str, Any]]]] = result["rows"]  # type: ignore[assignment]
    assert rows["person/rachmaninoff"]["wikidataId"] == [
        {"id": "Q131861", "name": "Sergei Rachmaninoff"}
    ]
    ulitskaya = rows["person/ulitskaya"]
    assert ulitskaya["wikidataId"] == []
    assert ulitskaya["birthDate"] == [{"date": "1943-02-21T00:00:00Z"}]
    assert ulitskaya["birthYear"] == [{"int": 1943}]
    assert ulitskaya["destination"] == [{"id": "place/germany", "name": "Germany"}]
    assert ulitskaya["occupation"] == [{"id": "occupation/novelist", "name": "novelist"}]
    assert ulitskaya["nameRu"] == [{"str": "Людмила Улицкая"}]
    assert all(values == [] for values in rows["person/no-such-person"].values())


def test_preview_fits_the_declared_frame_and_escapes(service: ReconciliationService) -> None:
    found, page = service.preview("person/ulitskaya", "http://127.0.0.1:1/")
    assert found
    assert f"width:{PREVIEW_WIDTH}px;height:{PREVIEW_HEIGHT}px;overflow:hidden" in page
    assert 'href="http://127.0.0.1:1/id/person/ulitskaya"' in page
    assert "Людмила Улицкая" in page and "<script" not in page
    missing, page = service.preview("<b>x</b>", "http://127.0.0.1:1/")
    assert not missing and "&lt;b&gt;x&lt;/b&gt;" in page and "<b>" not in page


# --- The endpoint in-process: any request gets one of the answers we promise --------------------

ROOT = "http://127.0.0.1:8000/"
#: Statuses the endpoint may answer; never 500.
PROMISED = {200, 400, 404, 405, 413, 415}

#: Keys without line breaks: the schema's ``"^.*$"`` does not match those, so it would call any
#: value under such a key valid.
keys = st.text(st.characters(exclude_characters="\n"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
query_fields = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(st.text(max_size=40), json_values),
        "type": st.one_of(st.sampled_from(["Person", "Place", "Group", "Q5"]), json_values),
        "limit": st.one_of(st.integers(-5, 500), json_values),
        "type_strict": st.one_of(st.sampled_from(["any", "all", "should"]), json_values),
        "properties": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "pid": st.sampled_from(["birthYear", "destination", "wikidataId", "x"]),
                        "v": json_values,
                    }
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
)
batches = st.dictionaries(keys, query_fields, max_size=4) | json_values


@pytest.fixture(scope="module")
def endpoint(service: ReconciliationService) -> ReconcileEndpoint:
    """The HTTP face of the real-data service (64 KiB bodies)."""
    return ReconcileEndpoint(service, 64 * 1024)


def _checked(reply_status: int, media_type: str, body: bytes) -> object:
    assert reply_status in PROMISED, (reply_status, body[:300])
    if media_type == "application/json":
        value = json.loads(body)
        if reply_status != 200:
            assert set(value) == {"status", "error", "message"} and value["status"] == reply_status
        return value
    assert media_type.startswith("text/html")
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches, as_text=st.booleans(), post=st.booleans())
def test_any_batch_gets_a_promised_answer(
    endpoint: ReconcileEndpoint, batch: object, as_text: bool, post: bool
) -> None:
    text = json.dumps(batch) if as_text or not isinstance(batch, str) else batch
    form = urlencode({"queries": text}).encode()
    reply = endpoint.handle(
        "POST" if post else "GET",
        "",
        [] if post else [("queries", text)],
        "application/x-www-form-urlencoded",
        form if post else b"",
        ROOT,
    )
    value = _checked(reply.status, reply.media_type, reply.body)
    try:
        sent = json.loads(text)
    except ValueError:
        valid = False
    else:
        valid = not list(validator("0.2", "reconciliation-query-batch").iter_errors(sent))
    # A batch is answered exactly when the specification's schema calls it valid.
    assert (reply.status == 200) == valid, (reply.status, reply.body[:300])
    if reply.status == 200:
        assert_valid("0.2", "reconciliation-result-batch", value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    path=st.sampled_from(
        [
            "",
            "suggest/entity",
            "suggest/type",
            "suggest/property",
            "suggest/nothing",
            "preview",
            "propose_properties",
            "v1",
            "v1/match",
            "v1/extend",
            "v1/extend/propose",
            "v1/suggest/entity",
            "v1/preview",
            "nope",
        ]
    ),
    params=st.lists(
        st.tuples(
            st.sampled_from(["prefix", "cursor", "limit", "type", "id", "queries", "extend", "x"]),
            st.text(max_size=20),
        ),
        max_size=4,
    ),
    content_type=st.sampled_from(
        [
            None,
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "multipart/form-data",
        ]
    ),
    body=st.one_of(st.binary(max_size=60), json_values.map(lambda v: json.dumps(v).encode())),
)
def test_any_request_gets_a_promised_answer(
    endpoint: ReconcileEndpoint,
    method: str,
    path: str,
    params: list[tuple[str, str]],
    content_type: str | None,
    body: bytes,
) -> None:
    reply = endpoint.handle(method, path, params, content_type, body, ROOT)
    _checked(reply.status, reply.media_type, reply.body)


def test_a_body_over_the_limit_is_refused_before_it_is_read(endpoint: ReconcileEndpoint) -> None:
    refused = endpoint.refuse_length(str(10**9))
    assert refused is not None and refused.status == 413
    assert endpoint.refuse_length("12") is None
    bad_length = endpoint.refuse_length("twelve")
    assert bad_length is not None and bad_length.status == 400
    assert endpoint.handle("POST", "", [], None, None, ROOT).status == 413


# --- The server end to end ----------------------------------------------------------------------

SUGGEST_SCHEMAS = {
    "entity": "suggest-entities-response",
    "type": "suggest-types-response",
    "property": "suggest-properties-response",
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def get_json(server: RunningServer, path: str, status: int = 200) -> Any:
    """GET ``path``: ``status``, JSON, CORS; the decoded body."""
    response = server.fetch(path)
    return _json_of(response, status)


def post_form(server: RunningServer, path: str, fields: dict[str, str], status: int = 200) -> Any:
    """POST a form: ``status``, JSON, CORS; the decoded body."""
    body = urlencode(fields).encode()
    return _json_of(server.fetch(path, FORM, method="POST", body=body), status)


def _json_of(response: Response, status: int) -> Any:
    assert response.status == status, response.text[:500]
    assert response.media_type == "application/json", response.media_type
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    value = json.loads(response.body)
    if status != 200:
        assert value["status"] == status and value["message"], value
        assert "Traceback" not in response.text
    return value


def batch_path(batch: object) -> str:
    return "/reconcile?" + urlencode({"queries": json.dumps(batch)})


@pytest.mark.slow
def test_the_manifest(server: RunningServer) -> None:
    for path in ("/reconcile", "/reconcile/"):
        manifest = get_json(server, path)
        assert_valid("0.2", "manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == ID_SPACE
    assert manifest["schemaSpace"] == "https://w3id.org/emigre/ns#"
    assert [t["id"] for t in manifest["defaultTypes"]][:2] == ["Person", "Group"]
    assert manifest["batchSize"] == 50
    assert (manifest["preview"]["width"], manifest["preview"]["height"]) == (
        PREVIEW_WIDTH,
        PREVIEW_HEIGHT,
    )
    for url in (manifest["view"]["url"], manifest["preview"]["url"]):
        assert url.startswith(server.url("/")), url
    # The view URL of an id resolves on this server (303 to the record's page).
    view = urlsplit(manifest["view"]["url"].replace("{{id}}", "person/ulitskaya"))
    response = server.fetch(view.path, {"Accept": "text/html"})
    assert response.status == 303 and response.headers["Location"].startswith(
        "/doc/person/ulitskaya"
    )
    preview = urlsplit(manifest["preview"]["url"].replace("{{id}}", "person/ulitskaya"))
    page = server.fetch(f"{preview.path}?{preview.query}")
    assert page.status == 200 and page.media_type == "text/html"
    for kind, service in manifest["suggest"].items():
        url = urlsplit(service["service_url"] + service["service_path"])
        assert_valid("0.2", SUGGEST_SCHEMAS[kind], get_json(server, f"{url.path}?prefix=a"))
    propose = manifest["extend"]["propose_properties"]
    url = urlsplit(propose["service_url"] + propose["service_path"])
    assert_valid(
        "0.2", "data-extension-property-proposal", get_json(server, f"{url.path}?type=Person")
    )


BATCH = {
    "q0": {"query": "Людмила Улицкая", "type": "Person"},
    "q1": {"query": "Oulitskaïa Ludmila", "type": ["Person"], "type_strict": "any", "limit": 2},
    "q2": {"query": "Ulitskaya", "properties": [{"pid": "birthYear", "v": "1943"}]},
    "q3": {"query": "Xyzzy Qwerty"},
    "q4": {"properties": [{"pid": "wikidataId", "v": "Q131861"}]},
}


@pytest.mark.slow
def test_a_batch_by_get_and_by_post(server: RunningServer) -> None:
    assert_valid("0.2", "reconciliation-query-batch", BATCH)
    by_get = get_json(server, batch_path(BATCH))
    by_post = post_form(server, "/reconcile", {"queries": json.dumps(BATCH)})
    assert by_get == by_post
    assert_valid("0.2", "reconciliation-result-batch", by_post)
    assert set(by_post) == set(BATCH)
    best = {key: value["result"][0] if value["result"] else None for key, value in by_post.items()}
    assert best["q0"]["id"] == "person/ulitskaya" and best["q0"]["match"] is True
    assert best["q1"]["id"] == "person/ulitskaya" and len(by_post["q1"]["result"]) <= 2
    assert {f["id"]: f["value"] for f in best["q2"]["features"]}["property:birthYear"] == 1.0
    assert best["q3"] is None
    # The renamed record answers under its new id only.
    assert best["q4"]["id"] == RENAMED[1] and best["q4"]["match"] is True


@pytest.mark.slow
def test_renamed_and_withdrawn_records(server: RunningServer) -> None:
    result = get_json(
        server, batch_path({"a": {"query": "Sergei Rachmaninoff"}, "b": {"query": "Ivan Bunin"}})
    )
    ids = [c["id"] for value in result.values() for c in value["result"]]
    assert RENAMED[1] in ids and RENAMED[0] not in ids and WITHDRAWN not in ids
    assert server.fetch(f"/reconcile/preview?id={WITHDRAWN}").status == 404


@pytest.mark.slow
def test_the_spec_examples_get_answers_or_clear_errors(server: RunningServer) -> None:
    folder = SPECS / "0.2" / "examples" / "reconciliation-query-batch"
    for path in sorted((folder / "valid").glob("*.json")):
        result = post_form(server, "/reconcile", {"queries": path.read_text("utf-8")})
        assert_valid("0.2", "reconciliation-result-batch", result)
    for path in sorted((folder / "invalid").glob("*.json")):
        error = post_form(server, "/reconcile", {"queries": path.read_text("utf-8")}, 400)
        assert "queries[" in error["message"], (path.name, error)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"queries": '{"q0": {"query": "x"'}, "queries: malformed JSON"),
        ({"queries": "[1, 2]"}, "queries: expected an object"),
        ({"queries": '{"q0": {"query": 5}}'}, "queries['q0'].query: expected a string"),
        ({"queries": '{"q0": {"query": "x", "limit": "five"}}'}, "limit: expected a number"),
        ({"queries": '{"q0": {"query": "x", "props": []}}'}, "unknown field 'props'"),
        ({"queries": '{"q0": {"query": "x", "type_strict": "some"}}'}, "type_strict"),
        ({"extend": '{"ids": ["person/ulitskaya"]'}, "extend: malformed JSON"),
        (
            {"extend": '{"ids": "person/ulitskaya", "properties": []}'},
            "extend.ids: expected an array",
        ),
    ],
)
def test_malformed_requests_get_a_clear_json_error(
    server: RunningServer, fields: dict[str, str], fragment: str
) -> None:
    for error in (
        post_form(server, "/reconcile", fields, 400),
        get_json(server, "/reconcile?" + urlencode(fields), 400),
    ):
        assert fragment in error["message"], error
        assert error["error"] == "Bad request"


@pytest.mark.slow
def test_a_batch_over_the_batch_size_is_refused(server: RunningServer) -> None:
    batch = {f"q{i}": {"query": "Ulitskaya"} for i in range(51)}
    error = post_form(server, "/reconcile", {"queries": json.dumps(batch)}, 413)
    assert "batchSize of 50" in error["message"]
    get_json(server, batch_path(batch), 413)
    v1 = {"queries": [{"conditions": [{"matchType": "name", "propertyValue": "x"}]}] * 51}
    response = server.fetch(
        "/reconcile/v1/match", JSON, method="POST", body=json.dumps(v1).encode()
    )
    _json_of(response, 413)
    fifty = {f"q{i}": {"query": "Ulitskaya"} for i in range(50)}
    assert len(post_form(server, "/reconcile", {"queries": json.dumps(fifty)})) == 50


def _raw_exchange(server: RunningServer, head: bytes, body: bytes = b"") -> bytes:
    """Send raw bytes, half-close, and read the whole answer (the server closes or answers)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head + body)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b'"message"' in b"".join(chunks):
                break
        return b"".join(chunks)


@pytest.mark.slow
def test_a_large_body_is_refused_from_its_length_before_it_is_sent(server: RunningServer) -> None:
    head = (
        b"POST /reconcile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\n"
    )
    answer = _raw_exchange(server, head)  # no body follows: the answer comes from the header
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"access-control-allow-origin: *" in answer.lower()


@pytest.mark.slow
def test_a_large_chunked_body_is_refused(server: RunningServer) -> None:
    head = (
        b"POST /reconcile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"queries=" + b"a" * 70_000
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
    answer = _raw_exchange(server, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("POST", "/reconcile", {"Content-Type": "text/plain"}, b"queries={}", 415),
        (
            "POST",
            "/reconcile",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"queries=%FF",
            400,
        ),
        ("GET", "/reconcile/nope", {}, None, 404),
        ("GET", "/reconcile/suggest/nothing?prefix=a", {}, None, 404),
        ("GET", "/reconcile/suggest/entity", {}, None, 400),
        ("GET", "/reconcile/suggest/entity?prefix=a&cursor=-1", {}, None, 400),
        ("GET", "/reconcile/preview", {}, None, 400),
        ("GET", "/reconcile/v1/match", {}, None, 405),
        ("POST", "/reconcile/suggest/entity?prefix=a", FORM, b"x=1", 405),
        ("POST", "/reconcile/v1/match", JSON, b"{not json", 400),
        ("POST", "/reconcile/v1/match", {"Content-Type": "text/csv"}, b"a,b", 415),
    ],
)
def test_error_statuses(
    server: RunningServer,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    _json_of(server.fetch(path, headers, method=method, body=body), status)


@pytest.mark.slow
def test_wrong_methods_on_the_endpoint(server: RunningServer) -> None:
    response = server.fetch("/reconcile", {"Accept": "application/json"}, method="PUT", body=b"")
    assert response.status == 405 and response.headers["Access-Control-Allow-Origin"] == "*"


RECONCILE_PATHS = [
    "/reconcile",
    "/reconcile/suggest/entity?prefix=Ulit",
    "/reconcile/suggest/type?prefix=P",
    "/reconcile/suggest/property?prefix=b",
    "/reconcile/preview?id=person/ulitskaya",
    "/reconcile/propose_properties?type=Person",
    "/reconcile/v1",
    "/reconcile/v1/suggest/entity?prefix=Ulit",
    "/reconcile/v1/preview?id=person/ulitskaya",
    "/reconcile/v1/extend/propose?type=Person",
]


@pytest.mark.slow
@pytest.mark.parametrize("path", RECONCILE_PATHS)
def test_cors_on_every_route(server: RunningServer, path: str) -> None:
    response = server.fetch(path, {"Origin": "http://127.0.0.1:3333"})
    assert response.status == 200, response.text[:300]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = server.fetch(
        path.split("?")[0],
        {
            "Origin": "http://127.0.0.1:3333",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
        method="OPTIONS",
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()


@pytest.mark.slow
def test_suggest_over_http(server: RunningServer) -> None:
    entities = get_json(server, "/reconcile/suggest/entity?" + urlencode({"prefix": "Улиц"}))
    assert_valid("0.2", "suggest-entities-response", entities)
    assert entities["result"][0]["id"] == "person/ulitskaya"
    exact = get_json(
        server, "/reconcile/suggest/entity?prefix=" + quote(f"{ID_SPACE}person/balagov")
    )
    assert exact["result"][0]["id"] == "person/balagov"
    paged = get_json(server, "/reconcile/suggest/type?prefix=&cursor=2&limit=3")
    assert_valid("0.2", "suggest-types-response", paged)
    everything = get_json(server, "/reconcile/suggest/type?prefix=")["result"]
    assert paged["result"] == everything[2:5]


@pytest.mark.slow
def test_extend_over_http(server: RunningServer) -> None:
    request = {
        "ids": ["person/balagov", RENAMED[1]],
        "properties": [
            {"id": "birthDate"},
            {"id": "wikidataId"},
            {"id": "occupation"},
            {"id": "x"},
        ],
    }
    result = post_form(server, "/reconcile", {"extend": json.dumps(request)})
    assert_valid("0.2", "data-extension-response", result)
    balagov = result["rows"]["person/balagov"]
    # Two sources disagree on his birth date: both published values come back.
    assert balagov["birthDate"] == [
        {"date": "1991-01-25T00:00:00Z"},
        {"date": "1991-07-28T00:00:00Z"},
    ]
    assert balagov["wikidataId"] == [{"id": "Q30346628", "name": "Kantemir Balagov"}]
    assert balagov["occupation"] == [{"id": "occupation/film-director", "name": "film director"}]
    assert balagov["x"] == [] and {"id": "x", "name": "x"} in result["meta"]
    assert result["rows"][RENAMED[1]]["wikidataId"][0]["id"] == "Q131861"


@pytest.mark.slow
def test_preview_escapes_what_it_shows(server: RunningServer) -> None:
    xss = get_json(server, batch_path({"q": {"query": "Xss Test Person"}}))["q"]["result"][0]
    response = server.fetch("/reconcile/preview?" + urlencode({"id": xss["id"]}))
    assert response.status == 200 and response.media_type == "text/html"
    assert "<script>window.__xss" not in response.text and "onerror=" not in response.text.replace(
        "onerror=&quot;", ""
    )
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in response.text
    assert XSS_NAME.split("<")[0].strip() in response.text
    missing = server.fetch("/reconcile/preview?id=" + quote("<script>alert(1)</script>"))
    assert missing.status == 404 and "<script>alert" not in missing.text


CHROMIUM = Path("/usr/bin/chromium")
#: As in test_browser.py (components.md §1.7): flags that work as root, no name resolves but
#: 127.0.0.1, and every request elsewhere is aborted.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.mark.slow
def test_previews_fit_their_frame_in_a_browser(server: RunningServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian chromium; .ci/install installs it)")
    xss = get_json(server, batch_path({"q": {"query": "Xss Test Person"}}))["q"]["result"][0]["id"]
    ids = ["person/ulitskaya", "person/fictional-test-person", xss, "place/tbilisi"]

    def local_only(route: Any) -> None:
        if route.request.url.startswith(server.url("/")):
            route.continue_()
        else:
            route.abort()

    def scroll_size(page: Any, path: str) -> tuple[int, int]:
        page.goto(server.url(path))
        width, height = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        return int(width), int(height)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            # The frame OpenRefine gives a preview: the size the manifest declares.
            page = browser.new_page(viewport={"width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT})
            page.route("**/*", local_only)
            for record in ids:
                size = scroll_size(page, "/reconcile/preview?" + urlencode({"id": record}))
                assert size[0] <= PREVIEW_WIDTH and size[1] <= PREVIEW_HEIGHT, (record, size)
                assert page.evaluate("() => window.__xss === undefined"), record
            # The measurement can fail: the landing page does not fit such a frame.
            landing = scroll_size(page, "/")
            assert landing[1] > PREVIEW_HEIGHT, landing
        finally:
            browser.close()


# --- 1.0-draft ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_draft_routes(server: RunningServer) -> None:
    manifest = get_json(server, "/reconcile/v1")
    assert_valid("1.0-draft", "manifest", manifest)
    assert manifest["versions"] == ["1.0-draft"] and manifest["standardizedScore"] is True
    assert "{id}" in manifest["view"]["url"] and "{{id}}" not in manifest["view"]["url"]
    request = {
        "queries": [
            {
                "type": "Person",
                "conditions": [{"matchType": "name", "propertyValue": "Ljudmila Ulickaja"}],
            },
            {
                "conditions": [
                    {"matchType": "name", "propertyValue": "Ulitskaya"},
                    {
                        "matchType": "property",
                        "propertyId": "birthYear",
                        "propertyValue": "1960",
                        "required": True,
                    },
                ]
            },
            {"conditions": [{"matchType": "id", "propertyValue": "person/balagov"}]},
        ]
    }
    assert_valid("1.0-draft", "reconciliation-query-batch", request)
    response = server.fetch(
        "/reconcile/v1/match", JSON, method="POST", body=json.dumps(request).encode()
    )
    result = _json_of(response, 200)
    assert_valid("1.0-draft", "reconciliation-result-batch", result)
    first, required, by_id = (r["candidates"] for r in result["results"])
    assert first[0]["id"] == "person/ulitskaya" and first[0]["match"] is True
    assert required == []  # she was born in 1943: the required condition admits nobody
    assert by_id[0]["id"] == "person/balagov" and by_id[0]["score"] == 100
    for kind, schema in SUGGEST_SCHEMAS.items():
        assert_valid(
            "1.0-draft", schema, get_json(server, f"/reconcile/v1/suggest/{kind}?prefix=b")
        )
    propose = get_json(server, "/reconcile/v1/extend/propose?type=Person&limit=4")
    assert_valid("1.0-draft", "data-extension-property-proposal", propose)
    extend = {"ids": ["person/balagov"], "properties": [{"id": "wikidataId"}, {"id": "birthYear"}]}
    response = server.fetch(
        "/reconcile/v1/extend", JSON, method="POST", body=json.dumps(extend).encode()
    )
    extended = _json_of(response, 200)
    assert_valid("1.0-draft", "data-extension-response", extended)
    assert extended["rows"][0]["properties"][1] == {"id": "birthYear", "values": [{"int": 1991}]}
    assert server.fetch("/reconcile/v1/preview?id=person/balagov").status == 200


# --- The documentation --------------------------------------------------------------------------


def test_every_type_and_property_is_documented() -> None:
    from publisher.reconcile.entity_types import TYPES
    from publisher.reconcile.properties import PROPERTIES

    text = (REPO_ROOT / "docs" / "reconciliation.md").read_text("utf-8")
    missing = [f"`{name}`" for name in (*TYPES, *PROPERTIES) if f"`{name}`" not in text]
    assert not missing, f"docs/reconciliation.md does not mention {missing}"
