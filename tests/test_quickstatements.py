"""QuickStatements (``publisher.wikidata.quickstatements``): what is written and what is not, every
line checked against a strict grammar of the V1 format, the CSV checked against the same
commands, and the CLI against the replay server.

The grammar follows the QuickStatements 3 parser (``src/core/parsers/{base,v1,csv}.py``) as
summarised in the project's protocol notes (§d5), narrowed to what we mean to write.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunEmigre
from test_wikidata_diff import FIXTURES, USER_AGENT, fetched_fixtures
from wikidata_replay import WikidataReplay

from publisher.config import BuildSettings
from publisher.model.dates import PartialDate
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Record, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.diff import DiffReport, diff_dataset
from publisher.wikidata.entities import FetchedEntity
from publisher.wikidata.quickstatements import (
    QuickStatementsError,
    QuickStatementsPlan,
    plan_quickstatements,
    quote,
    render_csv,
    render_v1,
)
from publisher.wikidata.statements import StatementSettings

REFERENCE_TABLE = BuildSettings().reference_table
REAL_DATA = BuildSettings().data_dir
SMYSLOV_REFERENCE = (
    "S1476\ten:\"Leaving Russia: Rockstars, Writers, Actors, and Filmmakers on the Country's "
    'Cultural Brain Drain"\tS2093\t"Vadim Smyslov"\tS577\t+2022-06-13T00:00:00Z/11'
)

# --- a strict grammar of the V1 lines we write --------------------------------------------------

ITEM = r"Q[1-9][0-9]*"
STRING = r'"(?! )[^\t\n\r]*[^ \t\n\r]"'
MONOLINGUAL = r"[a-z]{2,3}(?:-[a-z0-9]+)*:" + STRING
TIME = r"\+[0-9]{4}-[0-9]{2}-[0-9]{2}T00:00:00Z/(?:9|10|11)"
URL = r'"https?://[^\s"]+"'
#: What each property's value must be (main values, qualifiers and references alike).
VALUE_OF = {
    "P31": ITEM,
    "P106": ITEM,
    "P551": ITEM,
    "P19": ITEM,
    "P20": ITEM,
    "P108": ITEM,
    "P463": ITEM,
    "P800": ITEM,
    "P50": ITEM,
    "P57": ITEM,
    "P175": ITEM,
    "P144": ITEM,
    "P793": ITEM,
    "P569": TIME,
    "P570": TIME,
    "P580": TIME,
    "P582": TIME,
    "P585": TIME,
    "P577": TIME,
    "P813": TIME,
    "P1476": MONOLINGUAL,
    "P2093": STRING,
    "P854": URL,
}
QUALIFIERS = {"P580", "P582", "P585"}
REFERENCES = {"P1476", "P50", "P2093", "P577", "P854", "P813"}
TERM = re.compile(r"^LAST\t[LDA][a-z]{2,3}(?:-[a-z]+)?\t" + STRING + "$")


def _time_errors(value: str) -> list[str]:
    """Missing parts must be zero exactly as the precision says, and a day must exist."""
    year, month, day = int(value[1:5]), int(value[6:8]), int(value[9:11])
    precision = int(value.rsplit("/", 1)[1])
    if precision == 9 and (month, day) != (0, 0):
        return [f"{value}: year precision with a month or day"]
    if precision == 10 and (not 1 <= month <= 12 or day != 0):
        return [f"{value}: month precision needs a month and day 00"]
    if precision == 11:
        try:
            dt.date(year, month, day)
        except ValueError:
            return [f"{value}: not a day"]
    return []


def _value_errors(prop: str, value: str) -> list[str]:
    pattern = VALUE_OF.get(prop)
    if pattern is None:
        return [f"unexpected property {prop}"]
    if not re.fullmatch(pattern, value):
        return [f"{prop}: {value!r} is not a {pattern}"]
    return _time_errors(value) if pattern == TIME else []


def v1_errors(text: str) -> list[str]:
    """Every way ``text`` breaks the grammar (empty when it is well-formed)."""
    errors: list[str] = []
    if not text.endswith("\n"):
        errors.append("the text must end with a newline")
    created = False
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        where = f"line {number}"
        if line == "CREATE":
            created = True
            continue
        if line.startswith("LAST") and not created:
            errors.append(f"{where}: LAST before any CREATE")
        if TERM.match(line):
            continue
        cells = line.split("\t")
        if len(cells) < 3 or len(cells) % 2 == 0:
            errors.append(f"{where}: item, property, value, then pairs: {line!r}")
            continue
        if not re.fullmatch(ITEM + "|LAST", cells[0]):
            errors.append(f"{where}: {cells[0]!r} is not an item")
        if not re.fullmatch(r"P[1-9][0-9]*", cells[1]):
            errors.append(f"{where}: {cells[1]!r} is not a property")
            continue
        errors += [f"{where}: {e}" for e in _value_errors(cells[1], cells[2])]
        pairs = list(zip(cells[3::2], cells[4::2], strict=True))
        in_reference = False
        for key, value in pairs:
            if re.fullmatch(r"P[1-9][0-9]*", key):
                if in_reference:
                    errors.append(f"{where}: qualifier {key} after the reference")
                if key not in QUALIFIERS:
                    errors.append(f"{where}: {key} is not a qualifier we write")
                errors += [f"{where}: {e}" for e in _value_errors(key, value)]
            elif re.fullmatch(r"S[1-9][0-9]*", key):
                in_reference = True
                prop = "P" + key[1:]
                if prop not in REFERENCES:
                    errors.append(f"{where}: {key} is not a reference property we write")
                errors += [f"{where}: {e}" for e in _value_errors(prop, value)]
            else:
                errors.append(f"{where}: {key!r} is neither a qualifier nor a source")
        if not in_reference:
            errors.append(f"{where}: a statement without a reference")
        keys = [key for key, _ in pairs if key.startswith("S")]
        if len(keys) != len(set(keys)):
            errors.append(f"{where}: a reference property twice (two blocks on one line)")
        if keys and keys[0] != "S1476":
            errors.append(f"{where}: the reference block must start with its title")
    return errors


GOOD = (
    f"Q30346628\tP551\tQ994\tP580\t+2022-03-00T00:00:00Z/10\t{SMYSLOV_REFERENCE}\n"
    "CREATE\n"
    'LAST\tLen\t"Say "hi""\n'
    f"LAST\tP569\t+1900-00-00T00:00:00Z/9\t{SMYSLOV_REFERENCE}\n"
)


@pytest.mark.parametrize(
    "bad",
    [
        GOOD.replace("\tP551\t", " P551 "),  # spaces, not tabs
        GOOD.replace("Q994", "q994"),
        GOOD.replace("Q994", '"Q994"'),  # a string where an item belongs
        GOOD.replace("+2022-03-00T00:00:00Z/10", "+2022-03-00T00:00:00Z/9"),  # month at /9
        GOOD.replace("+2022-03-00T00:00:00Z/10", "+2022-03-01T00:00:00Z/10"),  # day at /10
        GOOD.replace("+2022-03-00T00:00:00Z/10", "+2022-02-30T00:00:00Z/11"),  # no such day
        GOOD.replace("+2022-03-00T00:00:00Z/10", "2022-03"),
        GOOD.replace("+2022-03-00T00:00:00Z/10", "+2022-03-00T00:00:00Z/12"),
        GOOD.replace('"Vadim Smyslov"', '"Vadim\tSmyslov"'),  # a tab inside a string
        GOOD.replace('"Vadim Smyslov"', "Vadim Smyslov"),  # unquoted
        GOOD.replace('en:"Leaving', '"Leaving'),  # a title without its language
        GOOD.replace(f"\t{SMYSLOV_REFERENCE}\n", "\n", 1),  # no reference
        GOOD.replace("\tP580\t+2022-03-00T00:00:00Z/10", "").replace(
            "\n", "\tP580\t+2022-03-00T00:00:00Z/10\n", 1
        ),  # qualifier after the source
        GOOD.replace("\tS577\t", "\tS1476\t", 1),  # two blocks (or one broken) on one line
        "CREATE\n".join(GOOD.split("CREATE\n")[::-1]),  # LAST before CREATE
        GOOD.rstrip("\n"),
        GOOD.replace('LAST\tLen\t"Say "hi""', 'LAST\tLen\t"Say hi "'),  # untrimmed
    ],
)
def test_the_grammar_rejects_malformed_lines(bad: str) -> None:
    assert v1_errors(bad)


def test_the_grammar_accepts_the_example() -> None:
    assert v1_errors(GOOD) == []


# --- reading both formats back into commands (as QuickStatements 3 does) ------------------------

Command = tuple[str, str, str, tuple[tuple[str, str], ...], tuple[tuple[tuple[str, str], ...], ...]]


def v1_commands(text: str) -> list[Command | str]:
    commands: list[Command | str] = []
    for line in text.splitlines():
        cells = line.split("\t")
        if cells == ["CREATE"] or TERM.match(line):
            commands.append(line)
            continue
        pairs = list(zip(cells[3::2], cells[4::2], strict=True))
        qualifiers = tuple((k, v) for k, v in pairs if k.startswith("P"))
        reference = tuple(("P" + k[1:], v) for k, v in pairs if k.startswith("S"))
        commands.append((cells[0], cells[1], cells[2], qualifiers, (reference,)))
    return commands


def csv_commands(text: str) -> list[Command | str]:
    """The CSV read as QuickStatements 3 reads it: empty cells skipped, ``qal`` qualifies the
    last statement, ``S`` starts a reference block and ``s`` continues it; an empty qid
    creates an item (terms written as V1 lines, to compare)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    commands: list[Command | str] = []
    for row in rows[1:]:
        assert len(row) == len(header)
        qid = row[0] or "LAST"
        if not row[0]:
            commands.append("CREATE")
        #: Per statement of the row: (item, property, value), qualifiers, reference blocks.
        statements: list[
            tuple[tuple[str, str, str], list[tuple[str, str]], list[list[tuple[str, str]]]]
        ] = []
        for column, cell in zip(header[1:], row[1:], strict=True):
            if not cell:
                continue
            if re.fullmatch(r"[LDA][a-z]{2,3}", column):
                commands.append(f"LAST\t{column}\t{quote(cell)}")
            elif re.fullmatch(r"P\d+", column):
                statements.append(((qid, column, cell), [], []))
            elif column.startswith("qal"):
                statements[-1][1].append(("P" + column[3:], cell))
            elif column.startswith("S"):
                statements[-1][2].append([("P" + column[1:], cell)])
            else:
                assert column.startswith("s")
                statements[-1][2][-1].append(("P" + column[1:], cell))
        commands.extend(
            (*head, tuple(qualifiers), tuple(tuple(block) for block in blocks))
            for head, qualifiers, blocks in statements
        )
    return commands


def check_csv(text: str) -> None:
    header = next(csv.reader(io.StringIO(text)))
    assert header[0] == "qid"
    seen_property = False
    for column in header[1:]:
        assert re.fullmatch(r"P[1-9]\d*|qal[1-9]\d*|[Ss][1-9]\d*|[LDA][a-z]{2,3}", column), column
        if column.startswith("P"):
            seen_property = True
        elif not re.fullmatch(r"[LDA][a-z]{2,3}", column):
            assert seen_property, f"{column} before any property"


# --- plans ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(fixture_data_dir: Path) -> Dataset:
    return load_dataset(fixture_data_dir, load_reference_table(REFERENCE_TABLE), workers=1)


def diff_of(dataset: Dataset) -> DiffReport:
    return diff_dataset(
        dataset, fetched_fixtures([r.wikidata for r in dataset.records if r.wikidata])
    )


@pytest.fixture(scope="module")
def plan(dataset: Dataset) -> QuickStatementsPlan:
    return plan_quickstatements(dataset, diff_of(dataset))


def test_only_what_wikidata_lacks_is_written(plan: QuickStatementsPlan) -> None:
    assert render_v1(plan).splitlines() == [
        f"Q30346628\tP551\tQ994\t{SMYSLOV_REFERENCE}",  # missing
        f"Q131861\tP551\tQ35\t{SMYSLOV_REFERENCE}",  # on Wikidata without our reference
        f"Q1974774\tP106\tQ2526255\t{SMYSLOV_REFERENCE}",  # missing (Wikidata has another)
    ]


def test_what_is_left_out_is_listed(plan: QuickStatementsPlan) -> None:
    skipped = {(str(s.record), s.origin, s.property): s.reason for s in plan.skipped}
    assert skipped[("person/balagov", "claim/balagov-birth-date-akcentu", "P569")] == (
        "Wikidata has +1991-07-28T00:00:00Z/11 (our sources disagree: birth-date-enwiki)"
    )
    assert skipped[("person/balagov", "claim/balagov-birth-date-enwiki", "P569")].startswith(
        "our sources disagree"
    )
    conflict = skipped[("person/rachmaninoff", "emigration/rachmaninoff-first-wave", "P551")]
    assert conflict.startswith("Wikidata has Q35, Q30 (deprecated)")
    assert skipped[("person/bunin", "", None)].startswith("link problem: label-mismatch")
    assert skipped[("person/cate-blanchett", "", None)].startswith("link problem: type-mismatch")
    unlinked = {str(s.record) for s in plan.skipped if s.reason.startswith("no Wikidata link")}
    assert unlinked == {
        "person/fictional-test-person",
        "person/nikita-seleznev",
        "person/smyslov",
        "person/ulitskaya",
        "work/nureyev-ballet",
    }
    assert plan.creations == ()


def test_every_line_is_well_formed_and_the_csv_says_the_same(
    dataset: Dataset, plan: QuickStatementsPlan
) -> None:
    created = plan_quickstatements(
        dataset, diff_of(dataset), create=[Ref("person", "fictional-test-person")]
    )
    for each in (plan, created):
        v1 = render_v1(each)
        assert v1_errors(v1) == []
        text = render_csv(each)
        check_csv(text)
        assert csv_commands(text) == v1_commands(v1)
        # Deterministic.
        assert render_v1(each) == v1 and render_csv(each) == text


def test_a_statement_cited_by_two_sources_is_two_lines(dataset: Dataset) -> None:
    records = dict(dataset.by_ref())
    serebrennikov = records[Ref("person", "serebrennikov")]
    [occupation] = serebrennikov.claims
    second = dataclasses.replace(
        occupation.cites[0], source=Ref("source", "libreria-cartabon-ulitskaya")
    )
    cited_twice = dataclasses.replace(
        serebrennikov, claims=(dataclasses.replace(occupation, cites=(*occupation.cites, second)),)
    )
    twice = Dataset(tuple(cited_twice if r.ref == cited_twice.ref else r for r in dataset.records))
    lines = [
        line
        for line in render_v1(plan_quickstatements(twice, diff_of(twice))).splitlines()
        if line.startswith("Q1974774")
    ]
    assert lines == [
        f"Q1974774\tP106\tQ2526255\t{SMYSLOV_REFERENCE}",
        'Q1974774\tP106\tQ2526255\tS1476\ten:"Libreria Cartabon (bookshop author page)"',
    ]
    text = render_csv(plan_quickstatements(twice, diff_of(twice)))
    assert csv_commands(text) == v1_commands(render_v1(plan_quickstatements(twice, diff_of(twice))))


def test_create_writes_a_new_person_without_withheld_details(dataset: Dataset) -> None:
    created = plan_quickstatements(
        dataset, diff_of(dataset), create=[Ref("person", "fictional-test-person")]
    )
    source = 'S1476\ten:"Fictional test source"\tS2093\t"Nobody "Test" \\ Author"'
    lines = render_v1(created).splitlines()
    assert lines[3:] == [
        "CREATE",
        'LAST\tLen\t"Fictional Test Person"',
        'LAST\tLru\t"Вымышленный Тестовый Человек"',
        'LAST\tDen\t"Fictional: "quotes", a backslash \\ , <angle> brackets & ampersands; '
        "'single' too\"",
        'LAST\tDru\t"Вымышленный человек: «ёлочки», \\n — не перевод строки"',
        'LAST\tAen\t"Test "Quoted" Person"',
        f"LAST\tP31\tQ5\t{source}",
        f"LAST\tP569\t+1900-00-00T00:00:00Z/9\t{source}",
    ]
    csv_rows = [row for row in render_csv(created).splitlines() if row.startswith((",", "LAST,"))]
    text = "\n".join(lines[3:] + csv_rows)
    assert len(csv_rows) == 3
    for withheld in ("1901", "Q35", "1930", "Q183", "WITHHELD"):
        assert withheld not in text
    # Negative control: the record holds them.
    assert "1901-02-03" in repr(dataset.by_ref()[Ref("person", "fictional-test-person")])


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (Ref("person", "ulitskaya"), "link_state: no-item"),
        (Ref("person", "balagov"), "linked to Q30346628"),
        (Ref("place", "berlin"), "only people are created"),
        (Ref("person", "nobody"), "no such record"),
    ],
)
def test_create_only_for_people_checked_absent(dataset: Dataset, ref: Ref, message: str) -> None:
    with pytest.raises(QuickStatementsError, match=message):
        plan_quickstatements(dataset, diff_of(dataset), create=[ref])


def _with(dataset: Dataset, *changed: Record) -> Dataset:
    by_ref = {record.ref: record for record in changed}
    return Dataset(tuple(by_ref.get(r.ref, r) for r in dataset.records))


def test_coarse_details_go_no_further_than_published(dataset: Dataset) -> None:
    smyslov = dataset.by_ref()[Ref("person", "smyslov")]
    checked = _with(dataset, dataclasses.replace(smyslov, link_state="no-item"))
    created = plan_quickstatements(checked, diff_of(checked), create=[smyslov.ref])
    lines = render_v1(created).splitlines()
    lines = lines[lines.index("CREATE") :]
    assert f"LAST\tP551\tQ230\tP580\t+2022-00-00T00:00:00Z/9\t{SMYSLOV_REFERENCE}" in lines
    text = "\n".join(lines)
    assert "Q994" not in text and "2022-03" not in text
    # Negative control: published in full, the city and the month are written.
    [emigration] = smyslov.emigrations
    public = dataclasses.replace(
        smyslov,
        link_state="no-item",
        emigrations=(dataclasses.replace(emigration, privacy="public"),),
    )
    opened = _with(dataset, public)
    full = render_v1(plan_quickstatements(opened, diff_of(opened), create=[smyslov.ref]))
    assert "Q994\tP580\t+2022-03-00T00:00:00Z/10" in full


def test_retrieved_and_url_on_web_sources(dataset: Dataset) -> None:
    source = dataset.by_ref()[Ref("source", "smyslov-2022")]
    web = _with(dataset, dataclasses.replace(source, url="https://example.org/leaving-russia"))
    settings = StatementSettings(retrieved=PartialDate.parse("2024-05-01"))
    text = render_v1(
        plan_quickstatements(
            web, diff_dataset(web, fetched_fixtures(_linked(web)), settings), settings
        )
    )
    assert v1_errors(text) == []
    for line in text.splitlines():
        assert line.endswith(
            '\tS854\t"https://example.org/leaving-russia"\tS813\t+2024-05-01T00:00:00Z/11'
        )
    # Without the option: no S813, whatever the clock says.
    plain = render_v1(plan_quickstatements(web, diff_dataset(web, fetched_fixtures(_linked(web)))))
    assert "S813" not in plain and "S854" in plain


def _linked(dataset: Dataset) -> list[str]:
    return [r.wikidata for r in dataset.records if r.wikidata]


def test_strings_are_quoted_and_kept_on_one_line() -> None:
    assert quote('A "quoted" title') == '"A "quoted" title"'
    assert quote("one\ttwo\nthree\r\nfour\u2028five ") == '"one two three four five"'
    assert quote("a | b") == '"a | b"'


def test_real_data_with_items_that_have_nothing(fixture_data_dir: Path) -> None:
    """The real records against items holding only P31 Q5 (people) and our labels: every line
    is well-formed, and the CSV says the same."""
    real = load_dataset(REAL_DATA, load_reference_table(REFERENCE_TABLE), workers=1)
    fetched = {r.wikidata: _bare_item(r) for r in real.records if r.wikidata}
    plan = plan_quickstatements(real, diff_dataset(real, fetched))
    v1 = render_v1(plan)
    assert len(v1.splitlines()) >= 10
    assert v1_errors(v1) == []
    assert csv_commands(render_csv(plan)) == v1_commands(v1)


def _bare_item(record: Record) -> FetchedEntity:
    assert record.wikidata is not None
    claims = {}
    if record.kind == "person":
        snak = {
            "snaktype": "value",
            "property": "P31",
            "datavalue": {"value": {"id": "Q5"}, "type": "wikibase-entityid"},
        }
        claims = {"P31": [{"mainsnak": snak, "rank": "normal"}]}
    labels = {lang: {"language": lang, "value": text} for lang, text in record.name}
    data = {"id": record.wikidata, "labels": labels, "claims": claims}
    return FetchedEntity(record.wikidata, "found", record.wikidata, data)


# --- the CLI against the replay server --------------------------------------------------------


@pytest.fixture
def replay() -> Iterator[WikidataReplay]:
    with WikidataReplay.from_fixtures(FIXTURES) as server:
        yield server


def test_cli_quickstatements(
    replay: WikidataReplay, run_emigre: RunEmigre, fixture_data_dir: Path, tmp_path: Path
) -> None:
    common = ["wikidata", "quickstatements", "--data", fixture_data_dir]
    common += ["--api-url", replay.api_url, "--wikidata-cache", tmp_path / "cache"]
    v1 = run_emigre(*common, "--user-agent", USER_AGENT)
    assert v1.returncode == 0, v1.stderr
    assert v1_errors(v1.stdout) == []
    assert len(v1.stdout.splitlines()) == 3
    assert "skipped person/bunin: link problem: label-mismatch" in v1.stderr
    assert "3 statement lines, 0 items created" in v1.stderr
    replay.stop()
    offline = [*common, "--offline"]
    again = run_emigre(*offline, "--out", tmp_path / "qs.txt")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "qs.txt").read_text(encoding="utf-8") == v1.stdout
    created = run_emigre(*offline, "--format", "csv", "--create", "person/fictional-test-person")
    assert created.returncode == 0, created.stderr
    check_csv(created.stdout)
    assert "\nLAST," in created.stdout and "Fictional Test Person" in created.stdout
    refused = run_emigre(*offline, "--create", "person/ulitskaya")
    assert refused.returncode == 2
    assert "link_state: no-item" in refused.stderr and refused.stdout == ""
    bad_date = run_emigre(*offline, "--retrieved", "2024-05")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
