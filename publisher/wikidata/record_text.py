"""Edit one top-level field of a record file as text, leaving every other byte as it was.

Curators' files carry comments, quoting and layout a YAML dumper would lose, and a review of
``git diff`` should show one changed line. So a field is set by inserting (or replacing) its
line where the data format lists it, and removed by deleting its lines; the result is then
parsed and compared with what the edit should give, so an edit that would change anything else
(a key inside a block scalar, an unusual layout) is refused rather than written.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from publisher.errors import EmigreError
from publisher.model.loader import COMMON_FIELDS

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?:[ \t]|$)")


class RecordEditError(EmigreError):
    """A record file could not be edited line by line without changing something else."""

    exit_code = 2


def _lines(text: str) -> tuple[list[str], str]:
    """The file's lines (with their endings) and the line ending it uses."""
    return text.splitlines(keepends=True), "\r\n" if "\r\n" in text else "\n"


def top_level_keys(text: str) -> list[tuple[int, str]]:
    """(line index, key) of each top-level key: a key at the start of a line.

    >>> top_level_keys("slug: x\\nname:\\n  en: X\\n# note\\nclaims: []\\n")
    [(0, 'slug'), (1, 'name'), (4, 'claims')]
    """
    found = []
    for index, line in enumerate(text.splitlines()):
        match = _TOP_KEY.match(line)
        if match:
            found.append((index, match.group(1)))
    return found


def _field_span(lines: list[str], start: int) -> int:
    """The index after the last line of the field starting at ``start``: its indented or
    ``-`` continuation lines, not the blank lines or comments after it."""
    end = start + 1
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip() == "":
            index += 1
            continue
        if line[0] in " \t-":
            index += 1
            end = index
            continue
        break
    return end


def remove_field(text: str, key: str) -> str:
    """``text`` without the top-level field ``key`` (unchanged when it has none)."""
    lines, _ = _lines(text)
    for index, found in top_level_keys(text):
        if found == key:
            return "".join(lines[:index] + lines[_field_span(lines, index) :])
    return text


def set_field(text: str, key: str, value: str) -> str:
    """``text`` with the top-level field ``key: value`` (one line, ``value`` as YAML text),
    replacing the field if it is there, else inserted before the first field the data format
    lists after it (and before the comment lines just above that field), else at the end.

    >>> print(set_field("slug: x\\nname: {en: X}\\n# sourced\\nclaims: []\\n", "wikidata", "Q1"))
    slug: x
    name: {en: X}
    wikidata: Q1
    # sourced
    claims: []
    <BLANKLINE>
    """
    text = remove_field(text, key)
    lines, newline = _lines(text)
    rank = COMMON_FIELDS.index(key)
    before = set(COMMON_FIELDS[:rank])
    new_line = f"{key}: {value}{newline}"
    for index, found in top_level_keys(text):
        if found in before:
            continue
        while index > 0 and lines[index - 1].startswith("#"):
            index -= 1
        return "".join([*lines[:index], new_line, *lines[index:]])
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    return "".join(lines) + new_line


def edit_record_text(text: str, changes: dict[str, str | None], name: str) -> str:
    """Apply ``changes`` (key -> one-line YAML value, or None to remove the field) and check
    that the result parses to the old record with exactly those changes. ``name`` names the
    file in errors."""
    old = yaml.safe_load(text)
    if not isinstance(old, dict):
        raise RecordEditError(f"{name}: not a YAML mapping")
    new_text = text
    expected: dict[Any, Any] = dict(old)
    for key, value in changes.items():
        if value is None:
            new_text = remove_field(new_text, key)
            expected.pop(key, None)
        else:
            new_text = set_field(new_text, key, value)
            expected[key] = yaml.safe_load(value)
    try:
        new = yaml.safe_load(new_text)
    except yaml.YAMLError as error:
        raise RecordEditError(f"{name}: editing by lines broke the YAML ({error})") from None
    if new != expected:
        raise RecordEditError(
            f"{name}: the file's layout does not allow setting {', '.join(changes)} line by "
            "line without changing other fields; edit it by hand"
        )
    return new_text
