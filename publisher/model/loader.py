"""Load ``data/`` into records, or fail with every error named by file, line and record."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from publisher.errors import DataError, DataErrors, Location
from publisher.iris import SLUG_PATTERN
from publisher.model.dates import PartialDate
from publisher.model.properties import CLAIM_PROPERTIES
from publisher.model.records import (
    CIRCUMSTANCES,
    PERSECUTION_TYPES,
    Citation,
    Claim,
    Dataset,
    Emigration,
    LangText,
    Persecution,
    Privacy,
    Quote,
    Record,
    Ref,
)
from publisher.model.reference import ReferenceEntry

#: Directory under ``data/`` -> the kind of record its files hold.
KIND_DIRECTORIES: dict[str, str] = {
    "people": "person",
    "groups": "group",
    "organizations": "organization",
    "places": "place",
    "works": "work",
    "sources": "source",
    "waves": "wave",
    "occupations": "occupation",
}

#: Allowed ``type`` per kind; the first is the default.
RECORD_TYPES: dict[str, tuple[str, ...]] = {
    "person": ("Person",),
    "group": ("MusicGroup", "Organization", "PersonGroup"),
    "organization": (
        "Organization",
        "NewsMediaOrganization",
        "GovernmentOrganization",
        "PerformingArtsTheater",
        "Festival",
        "NGO",
    ),
    "place": ("Place", "Country", "City"),
    "work": ("CreativeWork", "Book", "Movie", "MusicRecording"),
    "source": ("CreativeWork", "NewsArticle", "WebPage"),
    "wave": ("EmigrationWave",),
    "occupation": ("Occupation",),
}

#: The fields every record may have, in the order the data format lists them
#: (docs/data-format.md); tools that insert a field keep this order.
COMMON_FIELDS = (
    "slug",
    "type",
    "name",
    "alternate_names",
    "description",
    "wikidata",
    "link_state",
    "wikidata_candidates",
)
_SOURCED_FIELDS = {"claims", "emigrations", "persecutions", "quotes"}
_FIELDS_BY_KIND: dict[str, set[str]] = {
    "person": _SOURCED_FIELDS,
    "group": _SOURCED_FIELDS,
    "organization": {"claims"},
    "place": {"country", "historical_names"},
    "work": {"date", "creators", "claims"},
    "source": {
        "title",
        "author",
        "author_name",
        "publisher_name",
        "date",
        "url",
        "locator",
        "language",
    },
    "wave": {"date", "end_date"},
    "occupation": set(),
}
_CITE_FIELDS = {"source", "excerpt", "mentioned_as"}
_CLAIM_FIELDS = {"key", "property", "value", "date", "end_date", "approximate", "privacy", "cite"}
_EMIGRATION_FIELDS = {
    "key",
    "date",
    "approximate",
    "from",
    "to",
    "circumstance",
    "wave",
    "privacy",
    "cite",
    "conflicts_with",
}
_PERSECUTION_FIELDS = {
    "key",
    "type",
    "date",
    "end_date",
    "approximate",
    "actor",
    "charge",
    "penalty",
    "work",
    "supporters",
    "privacy",
    "cite",
}
_QUOTE_FIELDS = {"key", "text", "source"}
_PRIVACY = ("public", "coarse", "withheld")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_WIKIDATA_ITEM = re.compile(r"^Q[1-9][0-9]*$")
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_LINE = "__line__"
_LINES = "__lines__"


class _LineLoader(yaml.CSafeLoader):
    """A safe YAML loader that remembers the line of every mapping (under ``__line__``)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = cast(dict[str, Any], loader.construct_mapping(node, deep=True))
    mapping[_LINE] = node.start_mark.line + 1
    mapping[_LINES] = {
        key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key.value, str)
    }
    return mapping


def _at(mapping: dict[str, Any], field: str) -> int:
    """The line of ``field`` in ``mapping`` (of the mapping itself when the field is absent)."""
    return cast(int, mapping.get(_LINES, {}).get(field, mapping[_LINE]))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml_file(path: Path) -> Any:
    """Parse one YAML file, turning syntax errors into a DataError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(Location(path), f"not UTF-8 text ({error.reason})") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # a CSafeLoader subclass: safe
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        message = f"malformed YAML: {error.problem}"
        if error.context and error.context_mark and error.context_mark.line + 1 != line:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        raise DataError(Location(path, line), message) from None
    except yaml.YAMLError as error:
        raise DataError(Location(path), f"malformed YAML: {error}") from None


class _RecordParser:
    """Turns one file's parsed YAML into a Record, collecting every error it finds."""

    def __init__(self, path: Path, kind: str, errors: list[DataError]) -> None:
        self.path = path
        self.kind = kind
        self.errors = errors
        self.slug: str | None = None

    # -- error helpers ---------------------------------------------------------------------------

    def error(self, line: int, message: str) -> None:
        self.errors.append(DataError(Location(self.path, line, self.slug), message))

    def check_fields(self, mapping: dict[str, Any], allowed: set[str], what: str) -> None:
        for name in sorted(set(mapping) - allowed - {_LINE, _LINES}):
            self.error(_at(mapping, name), f"{what}: unknown field {name!r}")

    # -- values ----------------------------------------------------------------------------------

    def text_map(self, value: Any, line: int, field: str, required: bool = False) -> LangText:
        if value is None:
            if required:
                self.error(line, f"{field} is required")
            return ()
        if isinstance(value, str):
            self.error(line, f"{field} must map languages to text, e.g. {{en: {value!r}}}")
            return ()
        if not isinstance(value, dict):
            self.error(line, f"{field} must map languages to text")
            return ()
        pairs: list[tuple[str, str]] = []
        for language, text in value.items():
            if language in (_LINE, _LINES):
                continue
            if not isinstance(language, str) or not _LANGUAGE.match(language):
                self.error(_at(value, language), f"{field}: {language!r} is not a language tag")
            elif not isinstance(text, str) or not text.strip():
                self.error(_at(value, language), f"{field}.{language} must be non-empty text")
            else:
                pairs.append((language, text.strip()))
        return tuple(sorted(pairs))

    def text_list(self, value: Any, line: int, field: str) -> LangText:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(line, f"{field} must be a list of language maps")
            return ()
        pairs: list[tuple[str, str]] = []
        for item in value:
            item_line = item.get(_LINE, line) if isinstance(item, dict) else line
            pairs.extend(self.text_map(item, item_line, field))
        return tuple(sorted(set(pairs)))

    def ref(self, value: Any, line: int, field: str, kinds: Iterable[str]) -> Ref | None:
        if value is None:
            return None
        allowed = tuple(kinds)
        if not isinstance(value, str) or value.count("/") != 1:
            self.error(line, f"{field}: {value!r} is not a reference (write kind/slug)")
            return None
        kind, slug = value.split("/")
        if kind not in allowed:
            self.error(line, f"{field}: {value!r} must point to a {' or '.join(allowed)}")
            return None
        return Ref(kind, slug)

    def ref_list(self, value: Any, line: int, field: str, kinds: Iterable[str]) -> tuple[Ref, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        refs = (self.ref(item, line, field, kinds) for item in items)
        return tuple(ref for ref in refs if ref is not None)

    def date(self, value: Any, line: int, field: str) -> PartialDate | None:
        if value is None:
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as error:
            self.error(line, f"{field}: {error}")
            return None

    def date_range(
        self, mapping: dict[str, Any], line: int
    ) -> tuple[PartialDate | None, PartialDate | None]:
        start = self.date(mapping.get("date"), _at(mapping, "date"), "date")
        end = self.date(mapping.get("end_date"), _at(mapping, "end_date"), "end_date")
        if start and end and not start.not_after(end):
            self.error(_at(mapping, "end_date"), f"end_date {end.text} is before date {start.text}")
        if end and not start:
            self.error(_at(mapping, "end_date"), "end_date without date")
        return start, end

    def choice(self, value: Any, line: int, field: str, choices: Iterable[str]) -> str | None:
        options = tuple(choices)
        if value is None:
            return None
        if value not in options:
            self.error(line, f"{field}: {value!r} is not one of {', '.join(options)}")
            return None
        return cast(str, value)

    def key(self, mapping: dict[str, Any], seen: set[str], what: str) -> str:
        key = mapping.get("key")
        line = mapping[_LINE]
        if isinstance(key, int):
            key = str(key)
        if not isinstance(key, str) or not SLUG_PATTERN.match(key):
            self.error(line, f"{what}: key {key!r} must be lower-case ASCII words joined by '-'")
            return "invalid"
        if key in seen:
            self.error(line, f"{what}: key {key!r} is used twice in this record")
        seen.add(key)
        return key

    def flag(self, value: Any, line: int, field: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(line, f"{field} must be true or false")
            return False
        return value

    def privacy(self, value: Any, line: int) -> Privacy:
        return cast(Privacy, self.choice(value, line, "privacy", _PRIVACY) or "public")

    def items(self, value: Any, line: int, field: str) -> Iterator[dict[str, Any]]:
        if value is None:
            return
        if not isinstance(value, list):
            self.error(line, f"{field} must be a list")
            return
        for item in value:
            if not isinstance(item, dict):
                self.error(line, f"{field}: each item must be a mapping")
                continue
            yield item

    def cites(self, value: Any, line: int, what: str) -> tuple[Citation, ...]:
        if isinstance(value, dict):
            value = [value]
        cites: list[Citation] = []
        for item in self.items(value, line, f"{what}: cite"):
            item_line = item[_LINE]
            self.check_fields(item, _CITE_FIELDS, f"{what}: cite")
            source = self.ref(
                item.get("source"), _at(item, "source"), f"{what}: cite.source", ("source",)
            )
            excerpt = item.get("excerpt")
            mentioned_as = item.get("mentioned_as")
            if source is None:
                self.error(item_line, f"{what}: cite.source is required")
            if not isinstance(excerpt, str) or not excerpt.strip():
                self.error(item_line, f"{what}: cite.excerpt (the supporting words) is required")
                continue
            if mentioned_as is not None and not isinstance(mentioned_as, str):
                self.error(item_line, f"{what}: cite.mentioned_as must be text")
                mentioned_as = None
            if source is not None:
                cites.append(Citation(source, " ".join(excerpt.split()), mentioned_as, item_line))
        if not cites:
            self.error(line, f"{what} is not cited: add cite with a source and its excerpt")
        return tuple(cites)

    # -- sourced content -------------------------------------------------------------------------

    def claims(self, value: Any, line: int) -> tuple[Claim, ...]:
        claims: list[Claim] = []
        seen: set[str] = set()
        for item in self.items(value, line, "claims"):
            item_line = item[_LINE]
            self.check_fields(item, _CLAIM_FIELDS, "claim")
            key = self.key(item, seen, "claim")
            what = f"claim {key!r}"
            name = item.get("property")
            prop = CLAIM_PROPERTIES.get(name) if isinstance(name, str) else None
            if prop is None:
                self.error(
                    item_line,
                    f"{what}: property {name!r} is not one of {', '.join(CLAIM_PROPERTIES)}",
                )
                continue
            raw = item.get("value")
            claim_value: Ref | PartialDate | LangText | None
            if prop.value_kind == "date":
                claim_value = self.date(raw, _at(item, "value"), f"{what}: value")
            elif prop.value_kind == "entity":
                claim_value = self.ref(raw, _at(item, "value"), f"{what}: value", prop.target_kinds)
            else:
                claim_value = self.text_map(
                    raw, _at(item, "value"), f"{what}: value", required=True
                )
            start, end = self.date_range(item, item_line)
            cites = self.cites(item.get("cite"), _at(item, "cite"), what)
            if claim_value is None or claim_value == ():
                if raw is None:
                    self.error(item_line, f"{what}: value is required")
                continue
            claims.append(
                Claim(
                    key=key,
                    property=prop.name,
                    value=claim_value,
                    cites=cites,
                    date=start,
                    end_date=end,
                    approximate=self.flag(
                        item.get("approximate"), _at(item, "approximate"), "approximate"
                    ),
                    privacy=self.privacy(item.get("privacy"), _at(item, "privacy")),
                    line=item_line,
                )
            )
        return tuple(claims)

    def emigrations(self, value: Any, line: int) -> tuple[Emigration, ...]:
        events: list[Emigration] = []
        seen: set[str] = set()
        for item in self.items(value, line, "emigrations"):
            item_line = item[_LINE]
            self.check_fields(item, _EMIGRATION_FIELDS, "emigration")
            key = self.key(item, seen, "emigration")
            what = f"emigration {key!r}"
            destinations = self.ref_list(item.get("to"), _at(item, "to"), f"{what}: to", ("place",))
            conflicts = item.get("conflicts_with") or []
            if not isinstance(conflicts, list) or not all(
                isinstance(c, str | int) for c in conflicts
            ):
                self.error(_at(item, "conflicts_with"), f"{what}: conflicts_with must list keys")
                conflicts = []
            events.append(
                Emigration(
                    key=key,
                    destinations=destinations,
                    cites=self.cites(item.get("cite"), _at(item, "cite"), what),
                    origin=self.ref(
                        item.get("from"), _at(item, "from"), f"{what}: from", ("place",)
                    ),
                    date=self.date(item.get("date"), _at(item, "date"), f"{what}: date"),
                    approximate=self.flag(
                        item.get("approximate"), _at(item, "approximate"), "approximate"
                    ),
                    circumstance=self.choice(
                        item.get("circumstance"),
                        _at(item, "circumstance"),
                        f"{what}: circumstance",
                        CIRCUMSTANCES,
                    ),
                    wave=self.ref(item.get("wave"), _at(item, "wave"), f"{what}: wave", ("wave",)),
                    privacy=self.privacy(item.get("privacy"), _at(item, "privacy")),
                    line=item_line,
                )
            )
        keys = {event.key for event in events}
        for event in events:
            for other in event.conflicts_with:
                if other not in keys or other == event.key:
                    self.error(
                        event.line,
                        f"emigration {event.key!r}: conflicts_with {other!r} "
                        "names no other emigration of this record",
                    )
        return tuple(events)

    def persecutions(self, value: Any, line: int) -> tuple[Persecution, ...]:
        events: list[Persecution] = []
        seen: set[str] = set()
        actor_kinds = ("organization", "place", "person", "group")
        for item in self.items(value, line, "persecutions"):
            item_line = item[_LINE]
            self.check_fields(item, _PERSECUTION_FIELDS, "persecution")
            key = self.key(item, seen, "persecution")
            what = f"persecution {key!r}"
            kind = self.choice(
                item.get("type"), _at(item, "type"), f"{what}: type", PERSECUTION_TYPES
            )
            if kind is None and item.get("type") is None:
                self.error(item_line, f"{what}: type is required")
            start, end = self.date_range(item, item_line)
            events.append(
                Persecution(
                    key=key,
                    type=kind or "invalid",
                    cites=self.cites(item.get("cite"), _at(item, "cite"), what),
                    date=start,
                    end_date=end,
                    approximate=self.flag(
                        item.get("approximate"), _at(item, "approximate"), "approximate"
                    ),
                    actor=self.ref(
                        item.get("actor"), _at(item, "actor"), f"{what}: actor", actor_kinds
                    ),
                    charge=self.text_map(
                        item.get("charge"), _at(item, "charge"), f"{what}: charge"
                    ),
                    penalty=self.text_map(
                        item.get("penalty"), _at(item, "penalty"), f"{what}: penalty"
                    ),
                    work=self.ref(item.get("work"), _at(item, "work"), f"{what}: work", ("work",)),
                    supporters=self.ref_list(
                        item.get("supporters"),
                        _at(item, "supporters"),
                        f"{what}: supporters",
                        ("person",),
                    ),
                    privacy=self.privacy(item.get("privacy"), _at(item, "privacy")),
                    line=item_line,
                )
            )
        return tuple(events)

    def quotes(self, value: Any, line: int) -> tuple[Quote, ...]:
        quotes: list[Quote] = []
        seen: set[str] = set()
        for item in self.items(value, line, "quotes"):
            item_line = item[_LINE]
            self.check_fields(item, _QUOTE_FIELDS, "quote")
            key = self.key(item, seen, "quote")
            text = self.text_map(item.get("text"), _at(item, "text"), f"quote {key!r}: text", True)
            source = self.ref(
                item.get("source"), _at(item, "source"), f"quote {key!r}: source", ("source",)
            )
            if source is None:
                self.error(item_line, f"quote {key!r}: source is required")
            elif text:
                quotes.append(Quote(key, text, source, item_line))
        return tuple(quotes)

    def wikidata_candidates(self, raw: dict[str, Any], linked: bool) -> tuple[str, ...]:
        """Possible matches a curator noted for a record without a link (sorted, each once)."""
        value = raw.get("wikidata_candidates")
        if value is None:
            return ()
        line = _at(raw, "wikidata_candidates")
        if not isinstance(value, list):
            self.error(line, "wikidata_candidates must be a list of item IDs, e.g. [Q123]")
            return ()
        if linked:
            self.error(line, "wikidata_candidates are for records with no wikidata or link_state")
        found: set[str] = set()
        for item in value:
            if not isinstance(item, str) or not _WIKIDATA_ITEM.match(item):
                self.error(line, f"wikidata_candidates: {item!r} is not a Wikidata item ID")
            elif item in found:
                self.error(line, f"wikidata_candidates: {item} is listed twice")
            else:
                found.add(item)
        return tuple(sorted(found, key=lambda qid: int(qid[1:])))

    # -- the record ------------------------------------------------------------------------------

    def parse(self, raw: Any) -> Record | None:
        if not isinstance(raw, dict):
            self.error(1, "a record must be a YAML mapping")
            return None
        line = raw[_LINE]
        slug = raw.get("slug")
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            self.error(line, f"slug {slug!r} must be lower-case ASCII words joined by '-'")
            return None
        self.slug = slug
        self.check_fields(raw, set(COMMON_FIELDS) | _FIELDS_BY_KIND[self.kind], self.kind)
        types = RECORD_TYPES[self.kind]
        record_type = self.choice(raw.get("type", types[0]), line, "type", types) or types[0]
        name = self.text_map(raw.get("name"), _at(raw, "name"), "name", required=True)
        if name and "en" not in dict(name):
            self.error(line, "name needs an English form (en)")
        wikidata = raw.get("wikidata")
        if wikidata is not None and (
            not isinstance(wikidata, str) or not _WIKIDATA_ITEM.match(wikidata)
        ):
            self.error(
                line, f"wikidata: {wikidata!r} is not a Wikidata item ID (Q followed by digits)"
            )
            wikidata = None
        link_state = raw.get("link_state")
        if link_state is not None and link_state != "no-item":
            self.error(
                line,
                "link_state may only be set to no-item (the other states follow from the "
                "reference table)",
            )
        if link_state == "no-item" and wikidata:
            self.error(line, "link_state no-item contradicts wikidata")
        candidates = self.wikidata_candidates(raw, linked=bool(wikidata) or link_state is not None)
        url = raw.get("url")
        if url is not None and (not isinstance(url, str) or not _URL.match(url)):
            self.error(line, f"url: {url!r} is not an http(s) URL")
            url = None
        date, end_date = self.date_range(raw, line)
        language = raw.get("language")
        if language is not None and (
            not isinstance(language, str) or not _LANGUAGE.match(language)
        ):
            self.error(line, f"language: {language!r} is not a language tag")
            language = None
        for field in ("author_name", "publisher_name", "locator"):
            if raw.get(field) is not None and not isinstance(raw.get(field), str):
                self.error(line, f"{field} must be text")
        return Record(
            kind=self.kind,
            slug=slug,
            name=name,
            path=self.path,
            line=line,
            type=record_type,
            alternate_names=self.text_list(
                raw.get("alternate_names"), _at(raw, "alternate_names"), "alternate_names"
            ),
            description=self.text_map(
                raw.get("description"), _at(raw, "description"), "description"
            ),
            wikidata=wikidata,
            link_state="no-item" if link_state == "no-item" else "pending",
            wikidata_candidates=candidates,
            country=self.ref(raw.get("country"), _at(raw, "country"), "country", ("place",)),
            historical_names=self.text_list(
                raw.get("historical_names"), _at(raw, "historical_names"), "historical_names"
            ),
            date=date,
            end_date=end_date,
            creators=self.ref_list(
                raw.get("creators"), _at(raw, "creators"), "creators", ("person", "group")
            ),
            title=self.text_map(raw.get("title"), _at(raw, "title"), "title"),
            author=self.ref(raw.get("author"), _at(raw, "author"), "author", ("person", "group")),
            author_name=raw.get("author_name"),
            publisher_name=raw.get("publisher_name"),
            url=url,
            locator=raw.get("locator"),
            language=language,
            claims=self.claims(raw.get("claims"), _at(raw, "claims")),
            emigrations=self.emigrations(raw.get("emigrations"), _at(raw, "emigrations")),
            persecutions=self.persecutions(raw.get("persecutions"), _at(raw, "persecutions")),
            quotes=self.quotes(raw.get("quotes"), _at(raw, "quotes")),
        )


def parse_record_file(path: Path, kind: str) -> tuple[Record | None, list[DataError]]:
    """Parse one record file; returns the record (None when unusable) and the errors found."""
    errors: list[DataError] = []
    try:
        raw = parse_yaml_file(path)
    except DataError as error:
        return None, [error]
    record = _RecordParser(path, kind, errors).parse(raw)
    return record, errors


def record_files(data_dir: Path) -> list[tuple[Path, str]]:
    """Every record file under ``data_dir`` with its kind, in a stable order."""
    files: list[tuple[Path, str]] = []
    for directory, kind in KIND_DIRECTORIES.items():
        folder = data_dir / directory
        if folder.is_dir():
            files.extend(
                (path, kind)
                for path in sorted(folder.iterdir())
                if path.suffix in (".yaml", ".yml")
            )
    return files


def load_dataset(
    data_dir: Path,
    reference: dict[str, ReferenceEntry],
    cache_dir: Path | None = None,
    workers: int = 0,
) -> Dataset:
    """Load and check every record under ``data_dir``.

    Raises DataErrors listing every problem (file, line, record) when anything is wrong.
    ``cache_dir`` keeps parsed records of unchanged files between runs.
    """
    from publisher.model import checks
    from publisher.model.parsing import parse_files  # parsing imports this module

    errors: list[DataError] = []
    records: list[Record] = []
    files = []
    for path, kind in record_files(data_dir):
        if path.suffix == ".yml":
            errors.append(DataError(Location(path), "record files end in .yaml"))
        else:
            files.append((path, kind))
    for record, file_errors in parse_files(files, cache_dir, workers):
        errors.extend(file_errors)
        if record is not None:
            records.append(record)
    records, link_errors = checks.apply_link_states(records, reference)
    errors.extend(link_errors)
    errors.extend(checks.check_unique_slugs(records))
    errors.extend(checks.check_references(records))
    errors.extend(checks.check_node_slugs(records))
    errors.extend(checks.check_withheld_leaks(records))
    if errors:
        raise DataErrors(errors)
    records.sort(key=lambda record: (record.kind, record.slug))
    return Dataset(tuple(records))
