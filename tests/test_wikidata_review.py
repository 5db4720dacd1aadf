"""The review file and the curator's decisions: ``emigre wikidata reconcile`` and ``accept``.

Pure parts (the file formats, line-by-line record edits) are tested on strings; ``accept`` on a
copy of ``tests/fixtures/data`` and of the reference table in a temporary directory (never the
real ``data/`` or ``reference/``); the commands end to end against the Wikidata replay server
on 127.0.0.1 (``tests/wikidata_replay.py``) holding the real fixtures of ``tests/fixtures/wikidata``
and the FICTIONAL candidates of ``tests/fixtures/wikidata-candidates``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import RdfFormat, parse
from wikidata_replay import WikidataReplay

from publisher.build import build_release
from publisher.config import BuildSettings
from publisher.errors import DataErrors
from publisher.wikidata.accept import accept_review
from publisher.wikidata.candidates import Feature
from publisher.wikidata.record_text import (
    RecordEditError,
    edit_record_text,
    remove_field,
    set_field,
    top_level_keys,
)
from publisher.wikidata.review import (
    COLUMNS,
    ReviewRow,
    read_review,
    render_json,
    render_tsv,
    write_review,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "wikidata-ids.tsv"
CANDIDATES = ROOT / "tests" / "fixtures" / "wikidata-candidates" / "entities.json"
USER_AGENT = "EmigreTests/0.1 (https://example.org/emigre-tests; tests@example.org)"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SCHEMA_SAME_AS = "http://schema.org/sameAs"
CANDIDATE = "https://w3id.org/emigre/ns#wikidataCandidate"


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path, fixture_data_dir: Path) -> Path:
    """A copy of the fixture data (``data/``) and of the reference table (``ref.tsv``), with
    ``person/bunin``'s ID removed: Bunin is pending, and Q46602 (verified in the table) is
    what a search finds for him."""
    shutil.copytree(fixture_data_dir, tmp_path / "data")
    shutil.copyfile(REFERENCE, tmp_path / "ref.tsv")
    bunin = tmp_path / "data" / "people" / "bunin.yaml"
    lines = bunin.read_text("utf-8").splitlines(keepends=True)
    assert lines[6] == "wikidata: Q46602\n"
    bunin.write_text("".join(lines[:6] + lines[7:]), "utf-8")
    return tmp_path


@pytest.fixture
def replay() -> Iterator[WikidataReplay]:
    """The replay server with the real fixtures and the fictional candidates."""
    server = WikidataReplay.from_fixtures()
    for entity in json.loads(CANDIDATES.read_text("utf-8"))["entities"].values():
        server.add_entity(entity)
    with server:
        yield server


def digest_tree(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory``, by relative path."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def settings(workspace: Path, out: str = "dist") -> BuildSettings:
    return BuildSettings(
        data_dir=workspace / "data",
        out_dir=workspace / out,
        reference_table=workspace / "ref.tsv",
        cache_dir=None,
        workers=1,
        write_site=False,
    )


def triples_about(dist: Path, item: str) -> set[tuple[str, str]]:
    """(subject, predicate) of every triple of the dump whose object is the Wikidata ``item``."""
    text = (dist / "emigre.nt").read_bytes()
    found = set()
    for triple in parse(text, RdfFormat.N_TRIPLES):
        if triple.object.value == f"http://www.wikidata.org/entity/{item}":
            found.add((triple.subject.value, triple.predicate.value))
    return found


def mark(path: Path, decisions: dict[tuple[str, str], tuple[str, str, str]]) -> None:
    """Fill in the curator's columns of a TSV review file: (ref, candidate) -> (decision,
    status, evidence)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter="\t"))
    for row in rows:
        decided = decisions.get((row["ref"], row["candidate"]))
        if decided:
            row["decision"], row["status"], row["evidence"] = decided
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8")


def row(ref: str, qid: str = "", decision: str = "", evidence: str = "") -> ReviewRow:
    """A decided row (name and scores do not matter to ``accept``)."""
    return ReviewRow(ref, "x", qid, decision=decision, evidence=evidence)


def accepted(ref: str, qid: str, status: str = "verified", evidence: str = "e") -> ReviewRow:
    """A row accepting ``qid`` for ``ref``."""
    return ReviewRow(ref, "x", qid, decision="accept", status=status, evidence=evidence)


def review_file(path: Path, rows: list[ReviewRow]) -> Path:
    path.write_text(render_tsv(rows), "utf-8")
    return path


# -- the review file ----------------------------------------------------------------------------

ROWS = [
    ReviewRow(
        "person/ulitskaya",
        "Lyudmila Ulitskaya",
        "Q9999999911",
        "Lyudmila Ulitskaya",
        "FICTIONAL test item: a novelist",
        100,
        "name 1.00 (Lyudmila Ulitskaya ~ Lyudmila Ulitskaya)",
        (Feature("name", 1.0, "Lyudmila Ulitskaya ~ Lyudmila Ulitskaya"),),
    ),
    ReviewRow(
        "person/smyslov",
        "Vadim Smyslov",
        explanation='a note with a\ttab and "quotes"',
        decision="no-item",
        evidence="searched",
    ),
]


def test_review_file_round_trips_as_tsv_and_json(tmp_path: Path) -> None:
    tsv, json_path = write_review(ROWS, tmp_path / "review")
    assert (tsv.name, json_path.name) == ("review.tsv", "review.json")
    assert tsv.read_text("utf-8").splitlines()[0].split("\t") == list(COLUMNS)
    from_tsv = read_review(tsv)
    from_json = read_review(json_path)
    for read in (from_tsv, from_json):
        assert [(r.ref, r.candidate, r.score, r.decision, r.evidence) for r in read] == [
            ("person/ulitskaya", "Q9999999911", 100, "", ""),
            ("person/smyslov", "", None, "no-item", "searched"),
        ]
    assert from_tsv[0].explanation == ROWS[0].explanation
    assert from_json[0].features == ROWS[0].features
    assert [r.line for r in from_tsv] == [2, 3]
    document = json.loads(json_path.read_text("utf-8"))
    assert document["rows"][0]["features"] == [
        {"id": "name", "value": 1.0, "note": "Lyudmila Ulitskaya ~ Lyudmila Ulitskaya"}
    ]
    assert "NOT links" in document["about"]
    # the same rows give the same bytes
    assert render_tsv(ROWS) == tsv.read_text("utf-8")
    assert render_json(ROWS) == json_path.read_text("utf-8")


def test_bad_rows_are_named_by_file_and_line(tmp_path: Path) -> None:
    rows = [
        ReviewRow("person/ulitskaya", "x", "Q1", decision="accept", evidence="e"),
        ReviewRow("person/ulitskaya", "x", "Q1", decision="maybe"),
        ReviewRow("nobody", "x", "wd:Q2", status="sure"),
    ]
    path = review_file(tmp_path / "review.tsv", rows)
    with pytest.raises(DataErrors) as caught:
        read_review(path)
    text = str(caught.value)
    assert f"{path}:3: record 'person/ulitskaya': decision 'maybe' is not one of" in text
    assert f"{path}:4: record 'nobody': ref 'nobody' is not a record reference" in text
    assert "candidate 'wd:Q2' is not a Wikidata item ID" in text
    assert "status 'sure' is not one of verified, single-source" in text
    assert f"{path}:2" not in text


def test_json_rows_keep_their_lines_when_the_file_is_reformatted(tmp_path: Path) -> None:
    document = json.loads(render_json(ROWS))
    document["rows"][1]["decision"] = "perhaps"
    path = tmp_path / "review.json"
    text = json.dumps({"rows": document["rows"], "about": "moved first"}, indent=4)
    path.write_text(text, "utf-8")
    line = text.splitlines().index('            "ref": "person/smyslov",')  # 0-based: its "{" line
    with pytest.raises(DataErrors) as caught:
        read_review(path)
    assert f"{path}:{line}: record 'person/smyslov': decision 'perhaps'" in str(caught.value)


def test_a_review_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "review.tsv"
    path.write_text("ref\tname\nperson/x\tX\n", "utf-8")
    with pytest.raises(DataErrors, match=r"review.tsv:1: missing columns: candidate"):
        read_review(path)
    other = tmp_path / "review.csv"
    other.write_text("", "utf-8")
    with pytest.raises(DataErrors, match=r"ends in \.tsv or \.json"):
        read_review(other)


# -- editing a record by lines ------------------------------------------------------------------


def test_set_field_puts_the_line_where_the_format_lists_it(fixture_data_dir: Path) -> None:
    original = (fixture_data_dir / "people" / "bunin.yaml").read_text("utf-8")
    without = remove_field(original, "wikidata")
    assert without != original and "wikidata" not in without
    assert set_field(without, "wikidata", "Q46602") == original


def test_set_field_keeps_comments_with_the_field_they_describe() -> None:
    text = "slug: x\nname:\n  en: X\n\n# The sources disagree:\nclaims:\n- key: a\n"
    assert set_field(text, "link_state", "no-item") == (
        "slug: x\nname:\n  en: X\n\nlink_state: no-item\n# The sources disagree:\nclaims:\n- key: a\n"
    )


def test_set_field_keeps_windows_line_endings_and_a_missing_last_newline() -> None:
    text = "slug: x\r\nname:\r\n  en: X"
    assert set_field(text, "wikidata", "Q1") == "slug: x\r\nname:\r\n  en: X\r\nwikidata: Q1\r\n"


def test_remove_field_removes_a_block_list_and_nothing_else() -> None:
    text = "slug: x\nwikidata_candidates:\n- Q1\n- Q2\n\n# note\nclaims: []\n"
    assert remove_field(text, "wikidata_candidates") == "slug: x\n\n# note\nclaims: []\n"
    assert top_level_keys(remove_field(text, "wikidata_candidates")) == [(0, "slug"), (3, "claims")]
    assert remove_field(text, "absent") == text


def test_an_edit_that_would_change_another_field_is_refused() -> None:
    # "claims:" at the start of a line, but inside a quoted description
    text = 'slug: x\nname: {en: X}\ndescription: "abc\nclaims: def"\n'
    with pytest.raises(RecordEditError, match="edit it by hand"):
        edit_record_text(text, {"wikidata": "Q1"}, "x.yaml")
    edited = edit_record_text("slug: x\nname: {en: X}\n", {"wikidata": "Q1"}, "x.yaml")
    assert edited == "slug: x\nname: {en: X}\nwikidata: Q1\n"


# -- accept: the library ------------------------------------------------------------------------


def test_accept_links_marks_and_notes_changing_one_line_each(workspace: Path) -> None:
    data = workspace / "data"
    before = {path: path.read_bytes() for path in sorted(data.rglob("*.yaml"))}
    table_before = (workspace / "ref.tsv").read_bytes()
    rows = [
        accepted("person/bunin", "Q46602", evidence="item page read; enwiki article links it"),
        accepted(
            "person/ulitskaya",
            "Q9999999911",
            status="single-source",
            evidence="FICTIONAL test: the item's\tpage",
        ),
        row("person/ulitskaya", "Q9999999913", "reject"),
        row("person/smyslov", decision="no-item", evidence="searched Wikidata: Smyslov, Смыслов"),
        row("person/nikita-seleznev", "Q9999999915", "candidate"),
        row("person/nikita-seleznev", "Q9999999914", "candidate"),
        row("group/ic3peak"),
    ]
    path = review_file(workspace / "review.tsv", rows)
    result = accept_review(path, data, workspace / "ref.tsv")
    assert result.linked == [("person/bunin", "Q46602"), ("person/ulitskaya", "Q9999999911")]
    assert result.no_item == ["person/smyslov"]
    assert result.candidates == [
        ("person/nikita-seleznev", "Q9999999915"),
        ("person/nikita-seleznev", "Q9999999914"),
    ]
    assert result.table_rows == ["Q9999999911"]
    assert result.already_in_table == [("Q46602", "verified")]
    assert (result.rejected, result.undecided) == (1, 1)

    changed = {p.name: p for p in before if p.read_bytes() != before[p]}
    assert sorted(changed) == [
        "bunin.yaml",
        "nikita-seleznev.yaml",
        "smyslov.yaml",
        "ulitskaya.yaml",
    ]
    added = {
        name: sorted(
            set(path.read_text("utf-8").splitlines()) - set(before[path].decode().split("\n"))
        )
        for name, path in changed.items()
    }
    assert added == {
        "bunin.yaml": ["wikidata: Q46602"],
        "nikita-seleznev.yaml": ["wikidata_candidates: [Q9999999914, Q9999999915]"],
        "smyslov.yaml": ["link_state: no-item"],
        "ulitskaya.yaml": ["wikidata: Q9999999911"],
    }
    for path in changed.values():  # one line more, nothing else moved
        old, new = before[path].decode().splitlines(), path.read_text("utf-8").splitlines()
        assert len(new) == len(old) + 1
        assert [line for line in new if line not in added[path.name]] == old
    table = (workspace / "ref.tsv").read_bytes()
    assert table.startswith(table_before)
    assert table[len(table_before) :].decode() == (
        "person\tLyudmila Ulitskaya\tQ9999999911\tsingle-source\t"
        "FICTIONAL test: the item's page\t"
        "accepted for person/ulitskaya with emigre wikidata accept\n"
    )

    built = build_release(settings(workspace))
    states = dict(built.statistics.link_states)
    assert built.report.conforms
    people = {r.slug: r.link_state for r in built.dataset.records if r.kind == "person"}
    assert [people[slug] for slug in ("bunin", "ulitskaya", "smyslov", "nikita-seleznev")] == [
        "verified",
        "needs-review",
        "no-item",
        "pending",
    ]
    assert states["NoItem"] == 2  # smyslov and the fictional test person
    dist = workspace / "dist"
    ulitskaya = "https://w3id.org/emigre/id/person/ulitskaya"
    seleznev = "https://w3id.org/emigre/id/person/nikita-seleznev"
    assert triples_about(dist, "Q9999999911") == {
        (ulitskaya, OWL_SAME_AS),
        (ulitskaya, SCHEMA_SAME_AS),
    }
    # a candidate is published with our own term only, never as a link
    assert triples_about(dist, "Q9999999914") == {(seleznev, CANDIDATE)}
    assert triples_about(dist, "Q9999999913") == set()  # rejected
    assert built.statistics.wikidata_candidates == 2


def test_accepting_a_candidate_replaces_the_candidates(workspace: Path) -> None:
    data = workspace / "data"
    seleznev = data / "people" / "nikita-seleznev.yaml"
    noted = review_file(
        workspace / "noted.tsv",
        [ReviewRow("person/nikita-seleznev", "x", "Q9999999914", decision="candidate")],
    )
    accept_review(noted, data, workspace / "ref.tsv")
    assert "wikidata_candidates: [Q9999999914]\n" in seleznev.read_text("utf-8")
    accepted = review_file(
        workspace / "accepted.tsv",
        [
            ReviewRow(
                "person/nikita-seleznev", "x", "Q9999999914", decision="accept",
                status="single-source", evidence="FICTIONAL test evidence",
            )
        ],
    )  # fmt: skip
    accept_review(accepted, data, workspace / "ref.tsv")
    text = seleznev.read_text("utf-8")
    assert "wikidata: Q9999999914\n" in text and "wikidata_candidates" not in text
    assert build_release(settings(workspace)).report.conforms


def test_rejecting_a_noted_candidate_removes_it(workspace: Path) -> None:
    data = workspace / "data"
    seleznev = data / "people" / "nikita-seleznev.yaml"
    original = seleznev.read_bytes()
    noted = [
        row("person/nikita-seleznev", "Q9999999914", "candidate"),
        row("person/nikita-seleznev", "Q9999999915", "candidate"),
    ]
    accept_review(review_file(workspace / "noted.tsv", noted), data, workspace / "ref.tsv")
    one = [row("person/nikita-seleznev", "Q9999999915", "reject")]
    result = accept_review(review_file(workspace / "one.tsv", one), data, workspace / "ref.tsv")
    assert result.unnoted == [("person/nikita-seleznev", "Q9999999915")]
    assert "wikidata_candidates: [Q9999999914]\n" in seleznev.read_text("utf-8")
    # rejecting the last one removes the field: the file is as it was
    last = [row("person/nikita-seleznev", "Q9999999914", "reject")]
    accept_review(review_file(workspace / "last.tsv", last), data, workspace / "ref.tsv")
    assert seleznev.read_bytes() == original


def test_a_review_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "review.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + render_tsv(ROWS).encode("utf-8"))
    assert [r.ref for r in read_review(path)] == ["person/ulitskaya", "person/smyslov"]


REFUSALS: list[tuple[str, list[ReviewRow], str]] = [
    (
        "no evidence",
        [accepted("person/ulitskaya", "Q9999999911", evidence="")],
        ":2: record 'person/ulitskaya': accept: evidence is required",
    ),
    (
        "no status",
        [accepted("person/ulitskaya", "Q9999999911", status="")],
        ":2: record 'person/ulitskaya': accept: status is required",
    ),
    (
        "no-item without evidence",
        [row("person/smyslov", decision="no-item")],
        ":2: record 'person/smyslov': no-item: evidence is required",
    ),
    (
        "an ID another record uses",
        [accepted("person/ulitskaya", "Q80966")],
        ":2: record 'person/ulitskaya': accept: Q80966 is already the ID of person/cate-blanchett",
    ),
    (
        "a record that has another ID",
        [accepted("person/balagov", "Q9999999911")],
        ":2: record 'person/balagov': accept: person/balagov already has the ID Q30346628",
    ),
    (
        "an unknown record",
        [accepted("person/nobody", "Q9999999911")],
        ":2: record 'person/nobody': accept: unknown record person/nobody",
    ),
    (
        "one ID for two records",
        [accepted("person/ulitskaya", "Q9999999911"), accepted("person/smyslov", "Q9999999911")],
        ":3: record 'person/smyslov': accept: Q9999999911 is also accepted for person/ulitskaya "
        "(line 2)",
    ),
    (
        "two IDs for one record",
        [accepted("person/ulitskaya", "Q9999999911"), accepted("person/ulitskaya", "Q9999999913")],
        ":3: record 'person/ulitskaya': accept: person/ulitskaya also accepts Q9999999911 (line 2)",
    ),
    (
        "no-item and accept",
        [
            accepted("person/ulitskaya", "Q9999999911"),
            row("person/ulitskaya", decision="no-item", evidence="e"),
        ],
        ":3: record 'person/ulitskaya': no-item contradicts accept of Q9999999911 (line 2)",
    ),
    (
        "a candidate for a linked record",
        [row("person/balagov", "Q9999999911", "candidate")],
        ":2: record 'person/balagov': candidate: person/balagov is not pending",
    ),
    (
        "a candidate another record accepts",
        [
            accepted("person/ulitskaya", "Q9999999914"),
            row("person/smyslov", "Q9999999914", "candidate"),
        ],
        ":2: record 'person/ulitskaya': accept: Q9999999914 is noted as a possible match of "
        "person/smyslov",
    ),
    (
        "a source",
        [row("source/smyslov-2022", decision="no-item", evidence="e")],
        ":2: record 'source/smyslov-2022': no-item: a source record has no Wikidata link state",
    ),
]


@pytest.mark.parametrize(("case", "rows", "message"), REFUSALS, ids=[c for c, _, _ in REFUSALS])
def test_accept_refuses_and_writes_nothing(
    workspace: Path, case: str, rows: list[ReviewRow], message: str
) -> None:
    # with a good row: refusing one row refuses the whole file
    good = row("person/nikita-seleznev", "Q9999999915", "candidate")
    path = review_file(workspace / "review.tsv", [*rows, good])
    before = digest_tree(workspace)
    with pytest.raises(DataErrors) as caught:
        accept_review(path, workspace / "data", workspace / "ref.tsv")
    assert f"{path}{message}" in str(caught.value)
    assert digest_tree(workspace) == before


def test_the_good_row_of_the_refusal_cases_alone_is_accepted(workspace: Path) -> None:
    """Negative control: the refusals above come from their own rows."""
    good = row("person/nikita-seleznev", "Q9999999915", "candidate")
    before = digest_tree(workspace)
    accept_review(
        review_file(workspace / "review.tsv", [good]), workspace / "data", workspace / "ref.tsv"
    )
    assert digest_tree(workspace) != before


def test_dry_run_writes_nothing(workspace: Path) -> None:
    path = review_file(
        workspace / "review.tsv",
        [ReviewRow("person/smyslov", "x", decision="no-item", evidence="searched")],
    )
    before = digest_tree(workspace)
    result = accept_review(path, workspace / "data", workspace / "ref.tsv", dry_run=True)
    assert result.no_item == ["person/smyslov"] and result.files == []
    assert digest_tree(workspace) == before


# -- the commands end to end --------------------------------------------------------------------


def reconcile(run_emigre: Any, workspace: Path, replay: WikidataReplay, *args: str | Path) -> Any:
    """``emigre wikidata reconcile ARGS`` on the workspace, asking the replay server."""
    return run_emigre(
        "wikidata", "reconcile",
        "--data", workspace / "data",
        "--reference", workspace / "ref.tsv",
        "--api-url", replay.api_url,
        "--user-agent", USER_AGENT,
        "--wikidata-cache", workspace / "cache",
        *args,
        cwd=workspace,
    )  # fmt: skip


@pytest.mark.slow
def test_reconcile_writes_the_review_file_and_nothing_into_data(
    run_emigre: Any, workspace: Path, replay: WikidataReplay
) -> None:
    data_before = digest_tree(workspace / "data")
    done = reconcile(run_emigre, workspace, replay, "--out", workspace / "review")
    assert done.returncode == 0, done.stderr
    assert "8 pending records, 3 with candidates, 6 candidates" in done.stdout
    assert digest_tree(workspace / "data") == data_before
    rows = read_review(workspace / "review.tsv")
    by_ref: dict[str, list[ReviewRow]] = {}
    for item in rows:
        by_ref.setdefault(item.ref, []).append(item)
    assert [r.candidate for r in by_ref["person/ulitskaya"]] == [
        "Q9999999911",
        "Q9999999913",
        "Q9999999912",
    ]
    assert [r.candidate for r in by_ref["person/nikita-seleznev"]] == ["Q9999999914", "Q9999999915"]
    assert [r.candidate for r in by_ref["person/bunin"]] == ["Q46602"]
    assert by_ref["person/smyslov"] == [
        ReviewRow(
            "person/smyslov",
            "Vadim Smyslov",
            explanation="no item found by any spelling",
            line=by_ref["person/smyslov"][0].line,
        )
    ]
    top = by_ref["person/ulitskaya"][0]
    assert top.score == 100 and "birth_year 1.00 (ours 1943, Wikidata 1943)" in top.explanation
    assert all(not (r.decision or r.status or r.evidence) for r in rows)
    assert list(by_ref) == sorted(by_ref, key=lambda ref: tuple(ref.split("/")))
    # Every spelling was searched, each in its language
    searched = {
        (r.params["search"], r.params["language"]) for r in replay.api_requests("wbsearchentities")
    }
    assert {
        ("Людмила Улицкая", "ru"),
        ("Людмила Евгеньевна Улицкая", "ru"),
        ("IC3PEAK", "en"),
    } <= searched
    # Again, from the cache: the same bytes
    first = (workspace / "review.tsv").read_bytes(), (workspace / "review.json").read_bytes()
    again = reconcile(run_emigre, workspace, replay, "--out", workspace / "review", "--offline")
    assert again.returncode == 0, again.stderr
    assert (
        (workspace / "review.tsv").read_bytes(),
        (workspace / "review.json").read_bytes(),
    ) == first


@pytest.mark.slow
def test_candidates_found_are_not_links_until_accepted(
    run_emigre: Any, workspace: Path, replay: WikidataReplay
) -> None:
    done = reconcile(run_emigre, workspace, replay, "--out", workspace / "review")
    assert done.returncode == 0, done.stderr
    build_release(settings(workspace, "before"))
    text = (workspace / "before" / "emigre.nt").read_text("utf-8")
    for qid in ("Q46602", "Q9999999911", "Q9999999914"):
        assert f"/entity/{qid}>" not in text, qid
    # negative control: the same check sees a link once one is accepted
    mark(
        workspace / "review.tsv",
        {("person/bunin", "Q46602"): ("accept", "verified", "item page and enwiki checked")},
    )
    accepted = accept_cli(run_emigre, workspace, workspace / "review.tsv")
    assert accepted.returncode == 0, accepted.stderr
    build_release(settings(workspace, "after"))
    assert "/entity/Q46602>" in (workspace / "after" / "emigre.nt").read_text("utf-8")


@pytest.mark.slow
def test_reconcile_then_accept_then_build(
    run_emigre: Any, workspace: Path, replay: WikidataReplay
) -> None:
    only = ("--ref", "person/bunin", "--ref", "person/smyslov")
    done = reconcile(run_emigre, workspace, replay, "--out", workspace / "review", *only)
    assert done.returncode == 0, done.stderr
    assert "2 pending records, 1 with candidates, 1 candidates" in done.stdout
    review = workspace / "review.tsv"
    mark(
        review,
        {
            ("person/bunin", "Q46602"): ("accept", "", "item page read"),
            ("person/smyslov", ""): ("no-item", "", "searched Wikidata for Smyslov, Смыслов"),
        },
    )
    refused = accept_cli(run_emigre, workspace, review)
    assert refused.returncode == 2
    assert f"{review}:2: record 'person/bunin': accept: status is required" in refused.stderr
    mark(review, {("person/bunin", "Q46602"): ("accept", "verified", "item page read")})
    accepted = accept_cli(run_emigre, workspace, review)
    assert accepted.returncode == 0, accepted.stderr
    assert "Linked person/bunin to Q46602" in accepted.stdout
    assert "Marked person/smyslov no-item" in accepted.stdout
    # Q46602 is in the checkout's table too, so the command's own build passes on the result
    options = ("--data", workspace / "data", "--out", workspace / "dist", "--no-cache")
    built = run_emigre("build", *options, cwd=workspace)
    assert built.returncode == 0, built.stderr
    stats = json.loads((workspace / "dist" / "stats.json").read_text("utf-8"))
    assert stats["wikidata_link_states"]["NoItem"] == 2


def test_reconcile_refuses_records_that_are_not_pending_and_a_review_file_inside_data(
    run_emigre: Any, workspace: Path
) -> None:
    inside = reconcile_offline(run_emigre, workspace, "--out", workspace / "data" / "review")
    assert inside.returncode == 2 and "may not be inside --data" in inside.stderr
    linked = reconcile_offline(run_emigre, workspace, "--ref", "person/balagov")
    assert linked.returncode == 2
    assert "person/balagov: link state needs-review, not pending" in linked.stderr
    assert not (workspace / "wikidata-review.tsv").exists()


def accept_cli(run_emigre: Any, workspace: Path, review: Path) -> Any:
    """``emigre wikidata accept REVIEW`` on the workspace's data and table."""
    options = ("--data", workspace / "data", "--reference", workspace / "ref.tsv")
    return run_emigre("wikidata", "accept", review, *options, cwd=workspace)


def reconcile_offline(run_emigre: Any, workspace: Path, *args: str | Path) -> Any:
    return run_emigre(
        "wikidata", "reconcile", "--data", workspace / "data", "--reference", workspace / "ref.tsv",
        "--offline", "--wikidata-cache", workspace / "cache", *args, cwd=workspace,
    )  # fmt: skip
