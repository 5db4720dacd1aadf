"""Reading what clients send (query batches, extension requests) into checked values.

Every problem raises ``RequestError`` with the HTTP status to answer and a message that names
the place (``queries["q0"].limit: expected a number, got "five"``). The shapes are those of the
specification's JSON schemas (``reconciliation-query-batch.json``, ``data-extension-query.json``,
0.2 and 1.0-draft); fields they do not define are refused, as the schemas do. A property we do
not have is no error (a valid batch always gets an answer): no record has values of it, so it
judges no candidate, and one that is ``required`` admits none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from publisher.reconcile.entity_types import find_type
from publisher.reconcile.matching import MAX_LIMIT, Query
from publisher.reconcile.properties import Property, find_property, unknown_property
from publisher.reconcile.scoring import Condition, QueryValue, ValueRef

#: Candidates returned when a query gives no limit.
DEFAULT_LIMIT = 5
#: Most ids one data extension request may ask about.
MAX_EXTEND_IDS = 1000
#: Longest query text matched (longer texts are cut here: a name is never this long, and the
#: cost of scoring grows with the number of words).
MAX_QUERY_CHARS = 300
#: Most values one condition may give.
MAX_VALUES = 50


class RequestError(Exception):
    """A request we refuse: the status to answer and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> RequestError:
    """A 400 error."""
    return RequestError(400, message)


def parse_json(text: str, name: str) -> object:
    """The JSON value of a parameter, or 400 saying where it is malformed."""
    try:
        return cast(object, json.loads(text))
    except json.JSONDecodeError as error:
        raise bad(f"{name}: malformed JSON: {error}") from None
    except RecursionError:
        raise bad(f"{name}: JSON nested too deeply") from None


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _expect_object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise bad(f"{where}: expected an object, got {_kind_of(value)}")
    return cast(Mapping[str, object], value)


def _expect_list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise bad(f"{where}: expected an array, got {_kind_of(value)}")
    return value


def _expect_string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise bad(f"{where}: expected a string, got {_kind_of(value)}")
    return value


def _only(value: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise bad(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(allowed)})")


def _limit(value: object, where: str) -> int:
    """A query's ``limit``: any JSON number, as the schemas say; one below 1 (or not finite)
    means the default, one above ``MAX_LIMIT`` that many."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"{where}: expected a number, got {_kind_of(value)}")
    if not math.isfinite(value) or value < 1:
        return DEFAULT_LIMIT
    return int(min(value, MAX_LIMIT))


def _property(value: object, where: str) -> Property:
    text = _expect_string(value, where)
    return find_property(text) or unknown_property(text)


def _value(value: object, where: str) -> QueryValue:
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        ref = cast(Mapping[str, object], value)
        name = _expect_string(ref.get("name", ""), f"{where}.name")
        return ValueRef(_expect_string(ref.get("id"), f"{where}.id"), name)
    raise bad(f"{where}: expected a string, number, boolean or {{id, name}}, got {_kind_of(value)}")


def _values(value: object, where: str) -> tuple[QueryValue, ...]:
    if isinstance(value, list):
        if len(value) > MAX_VALUES:
            raise bad(f"{where}: {len(value)} values are more than the {MAX_VALUES} allowed")
        return tuple(_value(item, f"{where}[{i}]") for i, item in enumerate(value))
    return (_value(value, where),)


def _types(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    items = _expect_list(value, where)
    return tuple(_expect_string(item, f"{where}[{i}]") for i, item in enumerate(items))


# -- 0.2 -----------------------------------------------------------------------------------------

_QUERY_FIELDS = ("query", "type", "limit", "properties", "type_strict")


def parse_batch(data: object, batch_size: int) -> dict[str, Query]:
    """A 0.2 query batch (``{"q0": {"query": ..., ...}, ...}``); 413 when it has more queries
    than ``batch_size``."""
    batch = _expect_object(data, "queries")
    if len(batch) > batch_size:
        raise RequestError(
            413, f"a batch of {len(batch)} queries is larger than the batchSize of {batch_size}"
        )
    return {key: parse_query(value, f"queries[{key!r}]") for key, value in batch.items()}


def parse_query(data: object, where: str) -> Query:
    """One 0.2 query."""
    query = _expect_object(data, where)
    _only(query, _QUERY_FIELDS, where)
    text = _expect_string(query.get("query", ""), f"{where}.query").strip()[:MAX_QUERY_CHARS]
    conditions: list[Condition] = []
    if "properties" in query:
        for i, item in enumerate(_expect_list(query["properties"], f"{where}.properties")):
            at = f"{where}.properties[{i}]"
            mapping = _expect_object(item, at)
            if "v" not in mapping:
                raise bad(f"{at}: 'v' is required")
            conditions.append(
                Condition(
                    _property(mapping.get("pid"), f"{at}.pid"), _values(mapping["v"], f"{at}.v")
                )
            )
    if "query" not in query and not conditions:
        raise bad(f"{where}: a query needs 'query' or a non-empty 'properties'")
    strict = query.get("type_strict", "any")
    if strict not in ("any", "all", "should"):
        raise bad(f"{where}.type_strict: expected 'any', 'all' or 'should', got {strict!r}")
    return Query(
        text=text,
        types=tuple(find_type(t) for t in _types(query["type"], f"{where}.type"))
        if "type" in query
        else (),
        type_strict=strict,
        limit=_limit(query["limit"], f"{where}.limit") if "limit" in query else DEFAULT_LIMIT,
        conditions=tuple(conditions),
    )


# -- 1.0-draft -----------------------------------------------------------------------------------

_V1_FIELDS = ("type", "limit", "lang", "dir", "conditions")
_V1_CONDITION_FIELDS = (
    "matchType",
    "propertyId",
    "propertyValue",
    "required",
    "matchQuantifier",
    "matchQualifier",
)


def parse_v1_batch(data: object, batch_size: int) -> list[Query]:
    """A 1.0-draft match request (``{"queries": [{"conditions": [...]}, ...]}``)."""
    body = _expect_object(data, "request")
    _only(body, ("queries",), "request")
    items = _expect_list(body.get("queries"), "queries")
    if len(items) > batch_size:
        raise RequestError(
            413, f"a batch of {len(items)} queries is larger than the batchSize of {batch_size}"
        )
    return [_v1_query(item, f"queries[{i}]") for i, item in enumerate(items)]


def _v1_query(data: object, where: str) -> Query:
    query = _expect_object(data, where)
    _only(query, _V1_FIELDS, where)
    if "lang" in query:
        _expect_string(query["lang"], f"{where}.lang")
    if query.get("dir", "auto") not in ("ltr", "rtl", "auto"):
        raise bad(f"{where}.dir: expected 'ltr', 'rtl' or 'auto'")
    conditions = _expect_list(query.get("conditions"), f"{where}.conditions")
    if not conditions:
        raise bad(f"{where}.conditions: at least one condition is needed")
    names: list[str] = []
    ids: list[str] = []
    parsed: list[Condition] = []
    for i, item in enumerate(conditions):
        at = f"{where}.conditions[{i}]"
        condition = _expect_object(item, at)
        _only(condition, _V1_CONDITION_FIELDS, at)
        if "propertyValue" not in condition:
            raise bad(f"{at}: 'propertyValue' is required")
        values = _values(condition["propertyValue"], f"{at}.propertyValue")
        match_type = condition.get("matchType")
        if match_type == "name":
            names += [v.name if isinstance(v, ValueRef) else str(v) for v in values]
        elif match_type == "id":
            ids += [v.id if isinstance(v, ValueRef) else str(v) for v in values]
        elif match_type == "property":
            quantifier = condition.get("matchQuantifier", "any")
            if quantifier not in ("any", "all", "none"):
                raise bad(f"{at}.matchQuantifier: expected 'any', 'all' or 'none'")
            required = condition.get("required", False)
            if not isinstance(required, bool):
                raise bad(f"{at}.required: expected a boolean, got {_kind_of(required)}")
            prop = _property(condition.get("propertyId"), f"{at}.propertyId")
            parsed.append(Condition(prop, values, required, quantifier))
        else:
            raise bad(f"{at}.matchType: expected 'name', 'id' or 'property', got {match_type!r}")
    type_id = _expect_string(query["type"], f"{where}.type") if "type" in query else ""
    return Query(
        text=" ".join(names).strip()[:MAX_QUERY_CHARS],
        types=(find_type(type_id),) if type_id.strip() else (),
        limit=_limit(query["limit"], f"{where}.limit") if "limit" in query else DEFAULT_LIMIT,
        conditions=tuple(parsed),
        ids=tuple(ids),
    )


# -- data extension ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtendRequest:
    """Which properties of which records a client wants."""

    ids: tuple[str, ...]
    #: (property, most values per record; 0 for all).
    properties: tuple[tuple[Property, int], ...]


def parse_extend(data: object) -> ExtendRequest:
    """A data extension request (the same shape in 0.2 and 1.0-draft)."""
    body = _expect_object(data, "extend")
    _only(body, ("ids", "properties"), "extend")
    ids = _expect_list(body.get("ids"), "extend.ids")
    if len(ids) > MAX_EXTEND_IDS:
        raise RequestError(
            413, f"{len(ids)} ids are more than the {MAX_EXTEND_IDS} one request may ask about"
        )
    properties: list[tuple[Property, int]] = []
    for i, item in enumerate(_expect_list(body.get("properties"), "extend.properties")):
        at = f"extend.properties[{i}]"
        mapping = _expect_object(item, at)
        _only(mapping, ("id", "settings"), at)
        settings = _expect_object(mapping.get("settings", {}), f"{at}.settings")
        limit = settings.get("limit", 0)
        properties.append(
            (
                _property(mapping.get("id"), f"{at}.id"),
                _setting_limit(limit, f"{at}.settings.limit"),
            )
        )
    return ExtendRequest(
        tuple(_expect_string(v, f"extend.ids[{i}]") for i, v in enumerate(ids)), tuple(properties)
    )


def _setting_limit(value: object, where: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad(f"{where}: expected a number, got {_kind_of(value)}")
    try:
        number = float(value)
    except ValueError:
        raise bad(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise bad(f"{where}: expected a number of values (0 for all), got {value!r}")
    return int(number)
