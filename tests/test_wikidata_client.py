"""The Wikidata client against the local replay server (``tests/wikidata_replay.py``): batches,
redirects, missing items, User-Agent, maxlag, 429 and 5xx back-off, timeouts, the disk cache,
offline use, and ``emigre wikidata fetch`` end to end. No request leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import wikidata_replay as replay_fixtures
from wikidata_replay import FIXTURE_DIR, WikidataReplay

from publisher.errors import EmigreError
from publisher.wikidata.client import (
    MAX_IDS_PER_REQUEST,
    WikidataClient,
    WikidataError,
    WikidataUsageError,
)
from publisher.wikidata.settings import USER_AGENT_ENV, WikidataSettings

wikidata_replay = replay_fixtures.wikidata_replay

REPO_ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "EmigreTests/0.1 (https://example.org/emigre-tests; tests@example.org)"
#: Fictional IDs of tests/fixtures/wikidata/fictional.json.
REDIRECTED = "Q9999999901"
MISSING = "Q9999999902"
SANDBOX = "Q4115189"
BUNIN = "Q46602"
SEREBRENNIKOV = "Q1974774"
BERLIN = "Q64"


def settings_for(replay: WikidataReplay, cache_dir: Path, **overrides: object) -> WikidataSettings:
    values: dict[str, object] = {
        "user_agent": USER_AGENT,
        "api_url": replay.api_url,
        "cache_dir": cache_dir,
        "timeout": 5.0,
    }
    values.update(overrides)
    return WikidataSettings(**values)


@pytest.fixture
def open_client() -> Iterator[Callable[..., WikidataClient]]:
    """``open_client(settings, sleep=...)``: a WikidataClient, closed when the test ends."""
    opened: list[WikidataClient] = []

    def open_(settings: WikidataSettings, **options: Any) -> WikidataClient:
        opened.append(WikidataClient(settings, **options))
        return opened[-1]

    yield open_
    for client in opened:
        client.close()


def ids_asked(replay: WikidataReplay) -> list[list[str]]:
    return [request.params["ids"].split("|") for request in replay.api_requests("wbgetentities")]


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize("user_agent", ["", "   "])
def test_refuses_to_run_without_a_user_agent(user_agent: str, tmp_path: Path) -> None:
    settings = WikidataSettings(
        user_agent=user_agent, api_url="http://127.0.0.1:9/", cache_dir=tmp_path
    )
    with pytest.raises(WikidataUsageError) as raised:
        WikidataClient(settings)
    assert isinstance(raised.value, EmigreError)
    assert raised.value.exit_code == 2
    assert "User-Agent is required" in str(raised.value)
    assert USER_AGENT_ENV in str(raised.value)


def test_offline_needs_no_user_agent(tmp_path: Path) -> None:
    WikidataClient(WikidataSettings(user_agent="", cache_dir=tmp_path, offline=True)).close()


def test_malformed_ids_are_refused_before_any_request(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataUsageError, match="'q46602'"):
        client.get_entities([BUNIN, "q46602"])
    assert wikidata_replay.requests == []


# --- wbgetentities -----------------------------------------------------------------------------


def test_fetches_entities_with_user_agent_maxlag_and_json_format(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path, maxlag=3)) as client:
        fetched = client.get_entities([BUNIN, SEREBRENNIKOV])
    assert list(fetched) == [BUNIN, SEREBRENNIKOV]
    bunin = fetched[BUNIN]
    assert (bunin.requested_id, bunin.state, bunin.entity_id) == (BUNIN, "found", BUNIN)
    assert bunin.data is not None
    assert bunin.data["labels"]["ru"]["value"] == "Иван Бунин"
    assert bunin.revision == wikidata_replay.entities[BUNIN]["lastrevid"]
    serebrennikov = fetched[SEREBRENNIKOV].data
    assert serebrennikov is not None
    claims = serebrennikov["claims"]
    assert claims["P106"][0]["mainsnak"]["datavalue"]["value"]["id"] == "Q2526255"
    (request,) = wikidata_replay.requests
    assert request.method == "GET"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.params == {
        "action": "wbgetentities",
        "ids": f"{BUNIN}|{SEREBRENNIKOV}",
        "redirects": "yes",
        "format": "json",
        "formatversion": "2",
        "maxlag": "3",
    }


def test_duplicate_ids_are_asked_once(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        fetched = client.get_entities([BERLIN, BUNIN, BERLIN, BUNIN])
    assert list(fetched) == [BERLIN, BUNIN]
    assert ids_asked(wikidata_replay) == [[BERLIN, BUNIN]]


def test_asks_at_most_50_ids_per_request(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    real = sorted(wikidata_replay.entities)
    # Fictional IDs (ten digits: no such items) to make up 120; the replay answers them missing.
    fictional = [f"Q99999{n:05d}" for n in range(120 - len(real))]
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        fetched = client.get_entities(real + fictional)
    assert [len(batch) for batch in ids_asked(wikidata_replay)] == [50, 50, 20]
    assert [
        entity_id for batch in ids_asked(wikidata_replay) for entity_id in batch
    ] == real + fictional
    assert {fetched[entity_id].state for entity_id in real} == {"found"}
    assert {fetched[entity_id].state for entity_id in fictional} == {"missing"}


def test_the_replay_refuses_more_than_50_ids(wikidata_replay: WikidataReplay) -> None:
    """Negative control of the batch test: a 51-ID request is an error, as on Wikidata."""
    ids = "|".join(f"Q99999{n:05d}" for n in range(MAX_IDS_PER_REQUEST + 1))
    answer = requests.get(
        wikidata_replay.api_url,
        params={"action": "wbgetentities", "ids": ids, "format": "json", "formatversion": "2"},
        headers={"User-Agent": USER_AGENT},
        timeout=5,
    ).json()
    assert answer["error"]["code"] == "toomanyvalues"
    assert answer["error"]["limit"] == 50


def test_follows_redirects_of_merged_items(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        fetched = client.get_entities([REDIRECTED])
    entity = fetched[REDIRECTED]
    assert (entity.requested_id, entity.state, entity.entity_id) == (
        REDIRECTED,
        "redirected",
        SANDBOX,
    )
    assert entity.data is not None
    assert entity.data["labels"]["en"]["value"] == "Wikidata Sandbox"
    assert entity.data["redirects"] == {"from": REDIRECTED, "to": SANDBOX}


def test_redirect_known_only_by_the_entity_id(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    """Without a ``redirects`` field, an entity whose ``id`` differs from the key is a redirect."""
    sandbox = dict(wikidata_replay.entities[SANDBOX])
    wikidata_replay.script_response(200, {"entities": {REDIRECTED: sandbox}, "success": 1})
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        entity = client.get_entities([REDIRECTED])[REDIRECTED]
    assert (entity.state, entity.entity_id) == ("redirected", SANDBOX)


def test_redirect_keyed_by_its_target(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    """Should an answer key a redirect by its target, ``redirects.from`` still finds it."""
    sandbox = dict(wikidata_replay.entities[SANDBOX], redirects={"from": REDIRECTED, "to": SANDBOX})
    wikidata_replay.script_response(200, {"entities": {SANDBOX: sandbox}, "success": 1})
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        entity = client.get_entities([REDIRECTED])[REDIRECTED]
    assert (entity.state, entity.entity_id) == ("redirected", SANDBOX)


@pytest.mark.parametrize("missing_value", ["", True])
def test_reports_missing_items(
    missing_value: object, wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    """Wikibase writes ``"missing": ""`` (the replay's own answer); ``true`` means the same."""
    if missing_value is True:
        answer = {MISSING: {"id": MISSING, "missing": True}, BUNIN: wikidata_replay.entities[BUNIN]}
        wikidata_replay.script_response(200, {"entities": answer, "success": 1})
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        fetched = client.get_entities([MISSING, BUNIN])
    assert fetched[MISSING].state == "missing"
    assert fetched[MISSING].entity_id == MISSING
    assert fetched[MISSING].data is None
    assert fetched[MISSING].revision is None
    assert fetched[BUNIN].state == "found"
    assert len(wikidata_replay.requests) == 1


def test_an_item_deleted_in_the_replay_is_missing(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    """Negative control: the same ID is found before the replay is told it was deleted."""
    with WikidataClient(settings_for(wikidata_replay, tmp_path / "before")) as client:
        assert client.get_entities([BERLIN])[BERLIN].state == "found"
    wikidata_replay.mark_missing(BERLIN)
    with WikidataClient(settings_for(wikidata_replay, tmp_path / "after")) as client:
        assert client.get_entities([BERLIN])[BERLIN].state == "missing"


def test_an_answer_without_the_asked_entity_is_an_error(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_response(200, {"entities": {}, "success": 1})
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataError, match=f"no entity for {BUNIN}"):
        client.get_entities([BUNIN])


def test_an_answer_we_cannot_read_is_not_cached(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    bunin = wikidata_replay.entities[BUNIN]
    broken = {key: value for key, value in bunin.items() if key != "id"}
    wikidata_replay.script_response(
        200, {"entities": {BERLIN: wikidata_replay.entities[BERLIN], BUNIN: broken}}
    )
    wikidata_replay.script_response(200, {"searchinfo": {"search": "Ivan"}})
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataError, match=f"the entity for {BUNIN} has no valid 'id'"):
        client.get_entities([BERLIN, BUNIN])
    with pytest.raises(
        WikidataError, match="wbsearchentities 'Ivan' \\(en\\): the answer has no 'search'"
    ):
        client.search("Ivan")
    assert not list(tmp_path.rglob("*.json"))
    # Negative control: the same requests answered normally are cached.
    client.get_entities([BERLIN, BUNIN])
    client.search("Ivan")
    assert len(list(tmp_path.rglob("*.json"))) == 3


# --- errors and back-off ---------------------------------------------------------------------


def test_maxlag_waits_as_retry_after_says(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    wikidata_replay.script_maxlag(times=2, lag=7, retry_after=5)
    waits: list[float] = []
    with WikidataClient(settings_for(wikidata_replay, tmp_path), sleep=waits.append) as client:
        fetched = client.get_entities([BUNIN])
    assert fetched[BUNIN].state == "found"
    assert waits == [5.0, 5.0]
    assert [request.status for request in wikidata_replay.requests] == [200, 200, 200]
    assert all(request.params["maxlag"] == "5" for request in wikidata_replay.requests)


def test_waits_are_capped_by_max_backoff(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    wikidata_replay.script_maxlag(retry_after=120)
    wikidata_replay.script_rate_limit(retry_after=3600)
    waits: list[float] = []
    settings = settings_for(wikidata_replay, tmp_path, max_backoff=2.5)
    with WikidataClient(settings, sleep=waits.append) as client:
        client.get_entities([BUNIN])
    assert waits == [2.5, 2.5]


def test_429_honours_retry_after(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    wikidata_replay.script_rate_limit(retry_after=3)
    waits: list[float] = []
    with WikidataClient(settings_for(wikidata_replay, tmp_path), sleep=waits.append) as client:
        assert client.get_entities([BUNIN])[BUNIN].state == "found"
    assert waits == [3.0]
    assert [request.status for request in wikidata_replay.requests] == [429, 200]


def test_retry_after_as_an_http_date(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    wikidata_replay.script_rate_limit(retry_after="Wed, 21 Oct 2015 07:28:00 GMT")  # past
    wikidata_replay.script_rate_limit(retry_after="Fri, 01 Jan 2100 00:00:00 GMT")  # far ahead
    waits: list[float] = []
    settings = settings_for(wikidata_replay, tmp_path, max_backoff=30.0)
    with WikidataClient(settings, sleep=waits.append) as client:
        client.get_entities([BUNIN])
    assert waits == [0.0, 30.0]


def test_without_retry_after_backs_off_exponentially(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    wikidata_replay.script_rate_limit(times=2, retry_after=None)
    wikidata_replay.script_server_error(status=502)
    wikidata_replay.script_server_error(status=504)
    waits: list[float] = []
    with WikidataClient(settings_for(wikidata_replay, tmp_path), sleep=waits.append) as client:
        assert client.get_entities([BUNIN])[BUNIN].state == "found"
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert [request.status for request in wikidata_replay.requests] == [429, 429, 502, 504, 200]


def test_gives_up_after_max_attempts(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_server_error(times=3, status=503)
    waits: list[float] = []
    settings = settings_for(wikidata_replay, tmp_path, max_attempts=3)
    client = open_client(settings, sleep=waits.append)
    with pytest.raises(WikidataError) as raised:
        client.get_entities([BUNIN, BERLIN])
    message = str(raised.value)
    assert f"wbgetentities {BUNIN}|{BERLIN}" in message
    assert wikidata_replay.api_url in message
    assert "gave up after 3 attempt(s)" in message
    assert "HTTP 503" in message
    assert waits == [1.0, 2.0]
    assert len(wikidata_replay.requests) == 3
    assert not list(tmp_path.rglob("*.json"))  # nothing cached from a failure


def test_maxlag_until_attempts_run_out(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_maxlag(times=2, lag=12)
    settings = settings_for(wikidata_replay, tmp_path, max_attempts=2)
    client = open_client(settings, sleep=lambda _: None)
    with pytest.raises(WikidataError, match=r"API error maxlag: Waiting for .*12 seconds lagged"):
        client.get_entities([BUNIN])


def test_api_errors_are_not_retried(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_api_error(
        "internal_api_error_DBQueryError", "[abc123] Database query error."
    )
    waits: list[float] = []
    client = open_client(settings_for(wikidata_replay, tmp_path), sleep=waits.append)
    with pytest.raises(WikidataError) as raised:
        client.get_entities([BUNIN])
    assert f"wbgetentities {BUNIN}" in str(raised.value)
    assert "internal_api_error_DBQueryError: [abc123] Database query error." in str(raised.value)
    assert waits == []
    assert len(wikidata_replay.requests) == 1


def test_an_answer_that_is_not_json_is_an_error(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_response(200, "<html>maintenance</html>", {"Content-Type": "text/html"})
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataError, match="not JSON: <html>maintenance</html>"):
        client.get_entities([BUNIN])


def test_a_generic_user_agent_is_refused_by_the_replay(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    """What Wikimedia does to a library's default User-Agent; ours never sends one."""
    settings = settings_for(wikidata_replay, tmp_path, user_agent="python-requests/2.32")
    client = open_client(settings)
    with pytest.raises(WikidataError, match="HTTP 403"):
        client.get_entities([BUNIN])


def test_every_request_times_out(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    wikidata_replay.script_slow(delay=30.0)
    waits: list[float] = []
    settings = settings_for(wikidata_replay, tmp_path, timeout=0.2)
    with WikidataClient(settings, sleep=waits.append) as client:
        assert client.get_entities([BUNIN])[BUNIN].state == "found"
    assert waits == [1.0]
    assert len(wikidata_replay.requests) == 2


def test_timeouts_until_attempts_run_out(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_slow(times=2, delay=30.0)
    settings = settings_for(wikidata_replay, tmp_path, timeout=0.2, max_attempts=2)
    client = open_client(settings, sleep=lambda _: None)
    with pytest.raises(WikidataError, match=r"last: no answer within 0\.2 s"):
        client.get_entities([BUNIN])


def test_an_unreachable_api_is_an_error(
    tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    with WikidataReplay() as replay:
        url = replay.api_url  # a port nobody listens on once the replay stops
    settings = WikidataSettings(
        user_agent=USER_AGENT, api_url=url, cache_dir=tmp_path, max_attempts=2
    )
    client = open_client(settings, sleep=lambda _: None)
    with pytest.raises(WikidataError, match="connection failed"):
        client.get_entities([BUNIN])


# --- the cache -------------------------------------------------------------------------------


def test_a_second_client_answers_from_the_cache(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    ids = [BUNIN, REDIRECTED, MISSING]
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        first = client.get_entities(ids)
    assert len(wikidata_replay.requests) == 1
    wikidata_replay.clear_requests()
    # maxlag is not part of the cache key: it changes when Wikidata answers, not what.
    with WikidataClient(settings_for(wikidata_replay, tmp_path, maxlag=9)) as client:
        second = client.get_entities(ids)
    assert second == first
    assert wikidata_replay.requests == []


def test_cache_files_are_deterministic_and_complete(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path / "a")) as client:
        client.get_entities([BUNIN, BERLIN])
        client.search("Kirill")
    with WikidataClient(settings_for(wikidata_replay, tmp_path / "b")) as client:
        client.search("Kirill")
        client.get_entities([BERLIN, BUNIN])
    files_a = sorted(path.relative_to(tmp_path / "a") for path in (tmp_path / "a").rglob("*"))
    files_b = sorted(path.relative_to(tmp_path / "b") for path in (tmp_path / "b").rglob("*"))
    assert files_a == files_b
    entries = [path for path in (tmp_path / "a").rglob("*") if path.is_file()]
    assert len(entries) == 3  # one per entity, one for the search; no temporary files left
    for path in entries:
        assert path.suffix == ".json"
        text = path.read_text(encoding="utf-8")
        assert (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_text(
            encoding="utf-8"
        ) == text
        entry = json.loads(text)
        assert text == json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        assert "maxlag" not in entry["request"]["params"]


def test_only_uncached_ids_are_asked(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        client.get_entities([BUNIN, BERLIN])
        fetched = client.get_entities([BERLIN, SEREBRENNIKOV, BUNIN])
    assert ids_asked(wikidata_replay) == [[BUNIN, BERLIN], [SEREBRENNIKOV]]
    assert list(fetched) == [BERLIN, SEREBRENNIKOV, BUNIN]
    assert {entity.state for entity in fetched.values()} == {"found"}


def test_a_corrupt_cache_file_is_named(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        client.get_entities([BUNIN])
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{truncated", encoding="utf-8")
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataError, match=str(entry.name)):
        client.get_entities([BUNIN])


def test_offline_answers_from_the_cache_and_never_connects(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        online = client.get_entities([BUNIN, REDIRECTED])
        online_search = client.search("Ivan")
    wikidata_replay.clear_requests()
    offline = settings_for(wikidata_replay, tmp_path, user_agent="", offline=True)
    with WikidataClient(offline) as client:
        assert client.get_entities([REDIRECTED, BUNIN]) == online
        assert client.search("Ivan") == online_search
        with pytest.raises(WikidataError) as raised:
            client.get_entities([BUNIN, SEREBRENNIKOV])
        assert f"wbgetentities {SEREBRENNIKOV}: offline" in str(raised.value)
        with pytest.raises(WikidataError, match=r"wbsearchentities 'Kirill' .*offline"):
            client.search("Kirill")
    assert wikidata_replay.requests == []


# --- wbsearchentities ------------------------------------------------------------------------


def test_search_returns_wikidatas_search_items(
    wikidata_replay: WikidataReplay, tmp_path: Path
) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        results = client.search("kirill serebr", limit=5)
        russian = client.search("Кирилл", language="ru")
    (item,) = results
    assert item["id"] == SEREBRENNIKOV
    assert item["label"] == "Kirill Serebrennikov"
    assert item["description"] == "Russian film and theatre director"
    assert item["match"] == {"type": "label", "language": "en", "text": "Kirill Serebrennikov"}
    assert item["concepturi"] == f"http://www.wikidata.org/entity/{SEREBRENNIKOV}"
    assert [result["id"] for result in russian] == [SEREBRENNIKOV]
    first = wikidata_replay.api_requests("wbsearchentities")[0]
    assert first.headers["user-agent"] == USER_AGENT
    assert first.params == {
        "action": "wbsearchentities",
        "search": "kirill serebr",
        "language": "en",
        "uselang": "en",
        "type": "item",
        "limit": "5",
        "format": "json",
        "formatversion": "2",
        "maxlag": "5",
    }


def test_search_matches_aliases(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        (item,) = client.search("Bolshoi Theater")
    assert item["id"] == "Q138908"
    assert item["match"]["type"] == "alias"
    assert item["aliases"] == ["Bolshoi Theater"]


def test_search_without_matches(wikidata_replay: WikidataReplay, tmp_path: Path) -> None:
    with WikidataClient(settings_for(wikidata_replay, tmp_path)) as client:
        assert client.search("Nobody of that name") == []


@pytest.mark.parametrize("limit", [0, 51])
def test_search_limit_is_checked(
    limit: int,
    wikidata_replay: WikidataReplay,
    tmp_path: Path,
    open_client: Callable[..., WikidataClient],
) -> None:
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataUsageError, match="limit"):
        client.search("Ivan", limit=limit)
    assert wikidata_replay.requests == []


def test_search_errors_name_the_request(
    wikidata_replay: WikidataReplay, tmp_path: Path, open_client: Callable[..., WikidataClient]
) -> None:
    wikidata_replay.script_api_error("badvalue", 'Unrecognized value for parameter "language": xx.')
    client = open_client(settings_for(wikidata_replay, tmp_path))
    with pytest.raises(WikidataError, match=r"wbsearchentities 'Ivan' \(xx\).*badvalue"):
        client.search("Ivan", language="xx")


def test_the_replay_serves_special_entity_data(wikidata_replay: WikidataReplay) -> None:
    headers = {"User-Agent": USER_AGENT}
    url = wikidata_replay.entity_data_url
    found = requests.get(f"{url}{BUNIN}.json", headers=headers, timeout=5)
    assert found.json()["entities"][BUNIN]["labels"]["en"]["value"] == "Ivan Bunin"
    redirected = requests.get(f"{url}{REDIRECTED}.json", headers=headers, timeout=5)
    assert redirected.history[0].status_code == 301
    assert list(redirected.json()["entities"]) == [SANDBOX]
    assert requests.get(f"{url}{MISSING}.json", headers=headers, timeout=5).status_code == 404


def test_fixture_ids_are_in_the_reference_table() -> None:
    """Fixture entities use only checked IDs (and the sandbox item); fictional ones are marked."""
    table = (REPO_ROOT / "reference" / "wikidata-ids.tsv").read_text(encoding="utf-8")
    for entity_id in WikidataReplay.from_fixtures().entities:
        assert entity_id == SANDBOX or f"\t{entity_id}\t" in table, entity_id
    fictional = json.loads((FIXTURE_DIR / "fictional.json").read_text(encoding="utf-8"))
    assert "FICTIONAL" in fictional["_comment"]
    for entity_id in (REDIRECTED, MISSING):
        assert entity_id not in table


# --- emigre wikidata fetch -------------------------------------------------------------------


def run_fetch(*args: str | Path, user_agent: str | None) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != USER_AGENT_ENV}
    command = [sys.executable, "-m", "publisher", "wikidata", "fetch", *map(str, args)]
    if user_agent is not None:
        command += ["--user-agent", user_agent]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False, cwd=REPO_ROOT
    )


@pytest.mark.slow
def test_cli_fetch_then_offline(
    wikidata_replay: WikidataReplay, fixture_data_dir: Path, tmp_path: Path
) -> None:
    # A scenario the replay plays, not a fact: the sculptor item merged into the sandbox item,
    # the Berlin item deleted.
    wikidata_replay.redirect("Q1281618", SANDBOX)
    wikidata_replay.mark_missing(BERLIN)
    cache = tmp_path / "cache"
    options = ["--data", fixture_data_dir, "--api-url", wikidata_replay.api_url]
    options += ["--wikidata-cache", cache]
    online = run_fetch(*options, user_agent=USER_AGENT)
    assert online.returncode == 0, online.stderr
    expected = (
        f"Wikidata IDs linked from {fixture_data_dir}: 17\n"
        "  found               15\n"
        "  redirected           1\n"
        "  missing              1\n"
        f"redirected: Q1281618 -> {SANDBOX} (occupation/sculptor)\n"
        f"missing: {BERLIN} (place/berlin)\n"
        f"Cache: {cache}\n"
    )
    assert online.stdout == expected
    assert len(ids_asked(wikidata_replay)) == 1  # 17 IDs: one request
    assert all(r.headers["user-agent"] == USER_AGENT for r in wikidata_replay.requests)
    assert len(list(cache.rglob("*.json"))) == 17

    wikidata_replay.clear_requests()
    offline = run_fetch(*options, "--offline", user_agent=None)
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == expected
    assert wikidata_replay.requests == []


@pytest.mark.slow
def test_cli_fetch_refuses_without_a_user_agent(
    wikidata_replay: WikidataReplay, fixture_data_dir: Path, tmp_path: Path
) -> None:
    options = ["--data", fixture_data_dir, "--api-url", wikidata_replay.api_url]
    result = run_fetch(*options, "--wikidata-cache", tmp_path, user_agent=None)
    assert result.returncode == 2
    assert "error: a User-Agent is required to ask Wikidata" in result.stderr
    assert "--user-agent" in result.stderr
    assert result.stdout == ""
    assert wikidata_replay.requests == []


@pytest.mark.slow
def test_cli_fetch_offline_cache_miss(
    wikidata_replay: WikidataReplay, fixture_data_dir: Path, tmp_path: Path
) -> None:
    options = ["--data", fixture_data_dir, "--api-url", wikidata_replay.api_url, "--offline"]
    result = run_fetch(*options, "--wikidata-cache", tmp_path, user_agent=None)
    assert result.returncode == 3
    assert "offline, and the cache" in result.stderr
    assert wikidata_replay.requests == []
