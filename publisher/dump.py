"""Deterministic dumps: the same triples always give byte-identical files.

Triples are sorted by their N-Triples form before any serializer sees them, so pyoxigraph's
streaming serializers write subjects in a stable order; gzip headers carry no name or time.

The dumps are written segment by segment (``publisher.segments``). With a cache directory, a
build keeps its dumps under ``dumps/`` (hard links to the published files) and records in
``dumps.sqlite`` where each segment lies in them and which subjects each fragment contributed.
The next build takes the subjects of the fragments that changed, renders the segments holding
them again, and copies every other byte range from the kept dumps (``copy_file_range``): the
bytes a build without a cache writes, without rendering them again. A kept dump that changed
since (its size, time or inode), another version of the code, pyoxigraph, zlib or Python, or
a change to more than a quarter of the records or segments, and every segment is rendered.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import platform
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph
from pyoxigraph import Triple

from publisher import heap, iris, segments
from publisher.cache import open_cache
from publisher.formats import JSONLD, NTRIPLES, RDF_FORMATS, Format
from publisher.jsonld import jsonld_context, render_jsonld
from publisher.namespaces import PREFIXES

if TYPE_CHECKING:  # fragments imports describe, which imports this module
    from publisher.fragments import Fragment

DUMP_STEM = "emigre"
#: When more than this share of the records or of the segments changed, render every segment
#: (but render a few segments again rather than all of a small data set's).
INCREMENTAL_SHARE = 0.25
INCREMENTAL_MIN_SEGMENTS = 8
#: Below this many segments, worker processes cost more than they save.
PARALLEL_SEGMENTS = 32
_DIRECTORY = "dumps"
_CACHE_FILE = "dumps.sqlite"
_SCHEMA = """
CREATE TABLE layout(id INTEGER PRIMARY KEY CHECK (id = 0), state TEXT NOT NULL);
CREATE TABLE members(digest TEXT PRIMARY KEY, subjects TEXT NOT NULL);
"""


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples in N-Triples line order (which also keeps each subject's triples together)."""
    return sorted(triples, key=str)


def serialize(triples: Sequence[Triple], fmt: Format, context: str | dict[str, object]) -> bytes:
    """One document in ``fmt`` from already sorted triples."""
    if fmt is JSONLD:
        return render_jsonld(triples, context).encode("utf-8")
    if fmt is NTRIPLES:
        # One line per triple, already in order: join instead of a serializer round trip.
        return "".join(f"{triple} .\n" for triple in triples).encode("utf-8")
    assert fmt.oxigraph_format is not None
    output = pyoxigraph.serialize(triples, format=fmt.oxigraph_format, prefixes=PREFIXES)
    assert output is not None
    return output


def write_dumps(
    fragments: Sequence[Fragment],
    out_dir: Path,
    base: str,
    cache_dir: Path | None = None,
    workers: int = 0,
) -> list[Path]:
    """Write every RDF format, each gzipped too, and the JSON-LD context. Returns the files.

    The dumps hold the fragments' triples: N-Triples as sorted lines, Turtle and RDF/XML as
    pyoxigraph streams them from those lines, JSON-LD as the node objects sorted by IRI, all
    written in segments (``publisher.segments``). With ``cache_dir``, only the segments that
    changed since the dumps kept there are rendered again (see the module docstring).
    """
    context_path = out_dir / "context.jsonld"
    context_path.write_text(json.dumps(jsonld_context(), indent=2) + "\n", encoding="utf-8")
    context_url = iris.context_url(base)
    with heap.long_lived():
        run = _Run(fragments, out_dir, base, context_url, cache_dir, workers or os.cpu_count() or 1)
        run.write()
    written = [context_path]
    for fmt in RDF_FORMATS:
        name = f"{DUMP_STEM}.{fmt.extension}"
        written += [out_dir / name, out_dir / f"{name}.gz"]
    return written


def _version(base: str) -> str:
    """What kept segments depend on besides their content: the code, its libraries, the base."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for relative in ("dump.py", "segments.py", "jsonld.py", "namespaces.py"):
        digest.update((package / relative).read_bytes())
    # Another zlib or Python may compress the same bytes differently.
    for part in (pyoxigraph.__version__, zlib.ZLIB_RUNTIME_VERSION, platform.python_version()):
        digest.update(f"\0{part}".encode())
    digest.update(f"\0{base}".encode())
    return digest.hexdigest()


@dataclass
class _Changes:
    """What differs between the kept dumps and this build, by fragment."""

    removed: list[str]
    added: list[Fragment]
    #: Family name -> sort keys of the subjects to remove.
    removed_keys: dict[str, set[str]]
    #: Family name -> sort key -> text of the subjects to add.
    added_items: dict[str, dict[str, str]]


class _Run:
    """One ``write_dumps``: every segment rendered, or only the changed ones."""

    def __init__(
        self,
        fragments: Sequence[Fragment],
        out_dir: Path,
        base: str,
        context_url: str,
        cache_dir: Path | None,
        workers: int,
    ) -> None:
        self.fragments = fragments
        self.out_dir = out_dir
        self.base = base
        self.context_url = context_url
        self.cache_dir = cache_dir
        self.workers = workers

    def write(self) -> None:
        if self.cache_dir is None:
            self._write_all()
            return
        kept_dir = self.cache_dir / _DIRECTORY
        with closing(open_cache(self.cache_dir / _CACHE_FILE, _version(self.base), _SCHEMA)) as db:
            kept = self._kept(db, kept_dir)
            changes = self._changes(db) if kept else None
            layout = None
            if kept is not None and changes is not None:
                layout = self._write_changed(kept_dir, kept, changes)
            if layout is None:
                changes = None
                layout, repeated = self._write_all()
                if repeated:  # a subject in two fragments: removing one's would lose the other's
                    db.execute("DELETE FROM layout")
                    return
            self._keep(db, kept_dir, layout, changes)

    # -- everything ------------------------------------------------------------------------------

    def _write_all(self) -> tuple[segments.Layout, bool]:
        """Render every segment (in worker processes) and write every file.

        Also says whether a subject came from two fragments (see ``segments.merge_repeated``).
        """
        from publisher.fragments import ensure_rendered

        ensure_rendered(self.fragments, self.workers)
        triples, repeated_triples = segments.merge_repeated(
            sorted((f"{subject}>", text) for f in self.fragments for subject, text in f.blocks),
            segments.TRIPLES,
        )
        nodes, repeated_nodes = segments.merge_repeated(
            sorted((iri, text) for f in self.fragments for iri, text in f.jsonld_nodes),
            segments.NODES,
        )
        items = {segments.TRIPLES.name: triples, segments.NODES.name: nodes}
        del triples, nodes
        cuts = {
            family.name: segments.cut(items[family.name], family) for family in segments.FAMILIES
        }
        del items
        tasks: list[segments.Task] = [
            (family.name, [text for _, text in segment], index == 0)
            for family in segments.FAMILIES
            for index, segment in enumerate(cuts[family.name])
        ]
        rendered = self._render(tasks)
        layout = segments.Layout(self.context_url)
        for family in segments.FAMILIES:
            firsts = [segment[0][0] for segment in cuts[family.name]]
            planned = (
                segments.Fresh(first, family.positional and index == 0, pieces)
                for index, (first, pieces) in enumerate(zip(firsts, rendered, strict=False))
            )
            new, frames = segments.write_family(
                family, planned, self.out_dir, self.context_url, not firsts, None
            )
            layout.segments[family.name] = new
            layout.frames.update(frames)
        return layout, repeated_triples or repeated_nodes

    def _render(self, tasks: list[segments.Task]) -> Iterator[list[bytes]]:
        if len(tasks) < PARALLEL_SEGMENTS or self.workers == 1:
            return (segments.render_segment(*task) for task in tasks)
        return self._render_in_pool(tasks)

    def _render_in_pool(self, tasks: list[segments.Task]) -> Iterator[list[bytes]]:
        with multiprocessing.get_context("fork").Pool(self.workers, gc.enable) as pool:
            yield from pool.imap(segments.render_task, tasks)

    # -- only what changed -----------------------------------------------------------------------

    def _kept(self, db: sqlite3.Connection, kept_dir: Path) -> segments.Layout | None:
        """The layout of the kept dumps, if they are still what it says."""
        row = db.execute("SELECT state FROM layout").fetchone()
        if row is None:
            return None
        layout = segments.Layout.from_json(row[0])
        if layout.context_url != self.context_url:
            return None
        for family in segments.FAMILIES:
            for name in family.all_files:
                path = kept_dir / name
                try:
                    stamp = segments.file_stamp(path)
                except OSError:
                    return None
                if stamp != layout.stamps.get(name) or stamp[0] != layout.size(family, name):
                    return None
        return layout

    def _changes(self, db: sqlite3.Connection) -> _Changes | None:
        kept = {digest for (digest,) in db.execute("SELECT digest FROM members")}
        current = {fragment.digest for fragment in self.fragments}
        removed = sorted(kept - current)
        added = [fragment for fragment in self.fragments if fragment.digest not in kept]
        if len(removed) + len(added) > INCREMENTAL_SHARE * max(len(kept), 1):
            return None
        removed_subjects: list[str] = []
        for digest in removed:
            (subjects,) = db.execute(
                "SELECT subjects FROM members WHERE digest = ?", (digest,)
            ).fetchone()
            removed_subjects += subjects.split("\n") if subjects else []
        from publisher.fragments import ensure_rendered

        ensure_rendered(added, self.workers)
        if len({subject for f in added for subject, _ in f.blocks}) < sum(
            len(f.blocks) for f in added
        ):
            return None  # a subject in two new fragments (see segments.merge_repeated)
        return _Changes(
            removed=removed,
            added=added,
            removed_keys={
                family.name: {family.key(subject) for subject in removed_subjects}
                for family in segments.FAMILIES
            },
            added_items={
                segments.TRIPLES.name: {
                    segments.TRIPLES.key(subject): text for f in added for subject, text in f.blocks
                },
                segments.NODES.name: {
                    segments.NODES.key(iri): text for f in added for iri, text in f.jsonld_nodes
                },
            },
        )

    def _write_changed(
        self, kept_dir: Path, kept: segments.Layout, changes: _Changes
    ) -> segments.Layout | None:
        """Write the dumps from the kept ones and the changed segments; None if too many."""
        plans: dict[str, list[segments.Planned]] = {}
        for family in segments.FAMILIES:
            plan = _plan(family, kept, kept_dir, changes)
            if plan is None:
                return None
            plans[family.name] = plan
        layout = segments.Layout(self.context_url)
        for family in segments.FAMILIES:
            new, frames = segments.write_family(
                family,
                plans[family.name],
                self.out_dir,
                self.context_url,
                not plans[family.name],
                (kept_dir, kept),
            )
            layout.segments[family.name] = new
            layout.frames.update(frames)
        return layout

    # -- keeping this build's dumps --------------------------------------------------------------

    def _keep(
        self,
        db: sqlite3.Connection,
        kept_dir: Path,
        layout: segments.Layout,
        changes: _Changes | None,
    ) -> None:
        """Keep the dumps just written (hard links) and record their layout and members."""
        kept_dir.mkdir(parents=True, exist_ok=True)
        db.execute("BEGIN")
        db.execute("DELETE FROM layout")  # until the files below are in place
        db.execute("COMMIT")
        for family in segments.FAMILIES:
            for name in family.all_files:
                # Unlink, then link: ext4 starts writing a file's data back to disk when it is
                # renamed over another one (auto_da_alloc): half a second for 1.4 GB of dumps.
                kept = kept_dir / name
                kept.unlink(missing_ok=True)
                try:
                    os.link(self.out_dir / name, kept)
                except OSError:  # another file system, or no hard links: a copy
                    shutil.copyfile(self.out_dir / name, kept)
                layout.stamps[name] = segments.file_stamp(kept)
        db.execute("BEGIN")
        if changes is None:
            db.execute("DELETE FROM members")
            added: Sequence[Fragment] = self.fragments
        else:
            db.executemany("DELETE FROM members WHERE digest = ?", ((d,) for d in changes.removed))
            added = changes.added
        db.executemany(
            "INSERT OR REPLACE INTO members VALUES (?, ?)",
            ((f.digest, "\n".join(subject for subject, _ in f.blocks)) for f in added),
        )
        db.execute("INSERT INTO layout VALUES (0, ?)", (layout.to_json(),))
        db.execute("COMMIT")


def _plan(
    family: segments.Family, kept: segments.Layout, kept_dir: Path, changes: _Changes
) -> list[segments.Planned] | None:
    """The segments of ``family`` after ``changes``: kept ones, and changed ones rendered."""
    old = kept.segments[family.name]
    removed = changes.removed_keys[family.name]
    added = changes.added_items[family.name]
    firsts = [segment.first for segment in old]

    def locate(key: str) -> int:
        return max(0, bisect.bisect_right(firsts, key) - 1)

    affected = {locate(key) for key in itertools.chain(removed, added)}
    # A segment whose first subject goes away joins the segment before it.
    for index in sorted(affected, reverse=True):
        while index > 0 and firsts[index] in removed and firsts[index] not in added:
            index -= 1
            affected.add(index)
    if not old or len(affected) > max(INCREMENTAL_MIN_SEGMENTS, INCREMENTAL_SHARE * len(old)):
        return None
    offsets = kept.offsets(family, family.files[0])
    path = kept_dir / family.files[0]

    def read_items(index: int) -> list[segments.Item]:
        with open(path, "rb") as handle:
            handle.seek(offsets[index])
            data = handle.read(offsets[index + 1] - offsets[index])
        return family.split(data.decode("utf-8"))

    added_by_segment: dict[int, list[segments.Item]] = {}
    for key, text in added.items():
        added_by_segment.setdefault(locate(key), []).append((key, text))
    plan: list[segments.Kept | list[segments.Item]] = []
    index = 0
    while index < len(old):
        if index not in affected:
            plan.append(segments.Kept(index))
            index += 1
            continue
        items: list[segments.Item] = []
        while index in affected:
            kept_items = [item for item in read_items(index) if item[0] not in removed]
            new_items = added_by_segment.get(index, [])
            if {key for key, _ in kept_items} & {key for key, _ in new_items}:
                return None  # a subject of an unchanged fragment in a changed one too
            items += kept_items + new_items
            index += 1
        items.sort()
        plan.extend(segments.cut(items, family))
    # In a positional family the first segment is rendered differently: render again any kept
    # segment that moved to or from the front.
    for position, item in enumerate(plan):
        if (
            isinstance(item, segments.Kept)
            and family.positional
            and old[item.index].lead != (position == 0)
        ):
            plan[position] = read_items(item.index)
    return [
        item
        if isinstance(item, segments.Kept)
        else segments.Fresh(
            item[0][0],
            family.positional and position == 0,
            segments.render_segment(family.name, [text for _, text in item], position == 0),
        )
        for position, item in enumerate(plan)
    ]
