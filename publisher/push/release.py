"""Push one build into a store, never leaving a half-loaded graph behind.

The steps, each timed (:attr:`PushReport.seconds`):

1. **count** the target graph (also proves the query URL and the credentials work).

When the target is empty and the store loads a PUT body in one transaction (Oxigraph; see
:mod:`publisher.push.endpoints`), there is nothing to keep and no staging graph is needed:

2. **upload** ``emigre.nt`` by GSP PUT to the target itself, streamed from the file, counted on
   the way (:mod:`publisher.push.body`), retried on 5xx and connection errors; the store
   commits all of it or none of it;
3. **verify** that the target holds exactly the dump's distinct triples; if not (a proxy or a
   store that kept part of the body and answered 2xx), the target is dropped again, back to
   the empty graph it was, and the push fails. Readers may see the wrong graph for the moment
   between the two requests: the price of loading once instead of twice.

When the target holds the release the build's diff applies to (its marker says so, and the
counts agree), only the diff is staged and applied (:mod:`publisher.push.delta`). Otherwise
(the target holds a published graph, or the store's loads are not atomic):

2. **upload** the dump to a staging graph (:func:`staging_graph_iri`), the same way;
3. **verify** that the staging graph holds exactly the dump's distinct triples;
4. **replace** the target in one SPARQL update: ``COPY <staging> TO <target>``, or on stores
   where ``COPY`` writes every triple again (Oxigraph) the same result by deleting and
   inserting only the difference (:func:`swap_update`). A store without an update URL gets a
   GSP PUT of the dump to the target itself (not atomic on every store: the verified staging
   copy proves the store takes the whole dump, but readers may see the target empty while it
   loads);
5. **verify** the target's count, and drop the staging graph (a separate transaction, so the
   one that publishes holds only the change; on a disk-backed Oxigraph, ``MOVE`` of 3.4
   million triples took 653 s, ``COPY`` 347 s and the ``DROP`` after it 246 s). Both swaps
   may run twice.

Every push that publishes through SPARQL Update also writes the marker graph (what the target
now holds), in the same update as the swap, or right after the count of a direct load.

A failure before the swap leaves the target as it was (a staging graph is dropped when the
store still answers) and raises :class:`PushError` with the reason; so does a failure in the
swap or after it, with the target's count as it then is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from publisher.iris import dataset_iri
from publisher.push.body import DEFAULT_CHUNK_SIZE, DumpBody, UploadProgress, gzip_dump
from publisher.push.client import GraphStoreClient
from publisher.push.delta import (
    Marker,
    ReleaseDelta,
    diff_update,
    marker_from_rows,
    marker_query,
    marker_update,
    read_delta,
    shared_triples_pattern,
)
from publisher.push.endpoints import (
    GzipMode,
    PushError,
    PushUsageError,
    StoreEndpoint,
    check_graph_iri,
    staging_graph_iri,
    use_gzip,
)
from publisher.releases import dump_sha256

#: The dump a push sends: line-based, so it can be counted while it streams.
DUMP_NAME = "emigre.nt"
MANIFEST_NAME = "build.json"
#: Hex digits of the dump's SHA-256 in the staging graph's name.
FINGERPRINT_LENGTH = 16


def _quiet(_: str) -> None:
    pass


def _no_upload_progress(_: int, __: int) -> None:
    pass


@dataclass(frozen=True)
class PushSettings:
    """Everything a push needs besides the build directory."""

    endpoint: StoreEndpoint
    #: The target named graph; None: the dataset IRI of the build (``{base}id/dataset``).
    graph: str | None = None
    gzip: GzipMode = "auto"
    #: Seconds the store may stay silent on one request (a large load or COPY takes minutes).
    timeout: float = 3600.0
    connect_timeout: float = 10.0
    #: Further attempts after a connection error, a timeout or a 5xx answer.
    retries: int = 3
    #: First wait between attempts (seconds), doubled each time up to ``max_backoff``.
    backoff: float = 1.0
    max_backoff: float = 60.0
    #: Load the staging graph with the store's bulk loader (Oxigraph ``no_transaction``): much
    #: faster on a disk-backed Oxigraph (no single huge transaction), a little slower on an
    #: in-memory one. The staging graph needs no transaction: it is counted before it is used.
    bulk_staging: bool = True
    #: Load an empty target directly when the store's loads are atomic (no staging graph,
    #: no swap: a push as fast as a plain PUT). False: always stage.
    direct_load: bool = True
    #: Push only the release diff when the target holds the release it applies to
    #: (:mod:`publisher.push.delta`). False: always the whole dump.
    incremental: bool = True
    chunk_size: int = DEFAULT_CHUNK_SIZE


#: How a push published the dump: loaded into the empty target directly ("load"), or staged
#: and then swapped in by ``COPY``, by ``DELETE/INSERT`` of the difference, or by a GSP ``PUT``.
PushMethod = Literal["load", "COPY", "DELETE/INSERT", "PUT", "diff"]


@dataclass(frozen=True)
class PushReport:
    """What a successful push did: the counts at each step and the time each step took."""

    graph: str
    #: None when the dump went straight into the empty target.
    staging_graph: str | None
    dump: Path
    dump_bytes: int
    uploaded_bytes: int
    gzip: bool
    #: Distinct triples of the dump: what the store must hold.
    expected: int
    before: int
    #: Triples counted in the staging graph (None: no staging graph).
    staged: int | None
    after: int
    method: PushMethod
    #: The staging graph could not be dropped after the swap (the push still succeeded).
    staging_left: bool = False
    #: The marker graph says the target holds this dump (:mod:`publisher.push.delta`).
    marked: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


def push_release(
    dist_dir: Path,
    settings: PushSettings,
    progress: Callable[[str], None] = _quiet,
    upload_progress: UploadProgress = _no_upload_progress,
) -> PushReport:
    """Load the build in ``dist_dir`` into the store's target graph, verified, or raise
    :class:`PushError` (a usage problem: :class:`PushUsageError`) leaving it as it was."""
    dump = dist_dir / DUMP_NAME
    if not dump.is_file():
        raise PushUsageError(f"{dump}: no N-Triples dump (is {dist_dir} a build directory?)")
    graph = check_graph_iri(settings.graph or default_graph(dist_dir))
    sha256 = dump_sha256(dist_dir)
    staging = staging_graph_iri(graph, sha256[:FINGERPRINT_LENGTH])
    delta = read_delta(dist_dir) if settings.incremental else None
    if settings.endpoint.update_url is None:
        progress("no SPARQL update URL: the target will be replaced by a GSP PUT (not atomic)")
    client = GraphStoreClient(
        settings.endpoint,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        retries=settings.retries,
        backoff=settings.backoff,
        max_backoff=settings.max_backoff,
        progress=progress,
    )
    try:
        push = _Push(client, settings, dump, sha256, graph, staging, progress, upload_progress)
        return push.run(delta)
    finally:
        client.close()


def default_graph(dist_dir: Path) -> str:
    """The dataset IRI of the build in ``dist_dir``: ``{base_iri}id/dataset``."""
    path = dist_dir / MANIFEST_NAME
    try:
        base = json.loads(path.read_text(encoding="utf-8"))["base_iri"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PushUsageError(
            f"{path}: cannot read the base IRI ({error}); give the target graph (--graph)"
        ) from error
    return dataset_iri(str(base))


def swap_update(staging: str, target: str) -> str:
    """One SPARQL update that makes ``target`` hold exactly the triples of ``staging``: delete
    what the staging graph lacks, then insert what the target lacks. The same graph as
    ``COPY``, but it writes only the difference between two releases, where a store that
    runs ``COPY`` as drop-and-insert writes every triple again. Running it twice changes
    nothing the second time."""
    triple = "{ ?s ?p ?o }"
    return (
        f"DELETE {{ GRAPH <{target}> {triple} }}\n"
        f"WHERE {{ GRAPH <{target}> {triple}\n"
        f"  FILTER NOT EXISTS {{ GRAPH <{staging}> {triple} }} }};\n"
        f"INSERT {{ GRAPH <{target}> {triple} }}\n"
        f"WHERE {{ GRAPH <{staging}> {triple}\n"
        f"  FILTER NOT EXISTS {{ GRAPH <{target}> {triple} }} }}"
    )


class _Push:
    """One push: the steps of the module docstring, sharing the counts they find."""

    def __init__(
        self,
        client: GraphStoreClient,
        settings: PushSettings,
        dump: Path,
        sha256: str,
        graph: str,
        staging: str,
        progress: Callable[[str], None],
        upload_progress: UploadProgress,
    ) -> None:
        self.client = client
        self.settings = settings
        self.dump = dump
        #: The dump's SHA-256: what the marker will say the target holds.
        self.sha256 = sha256
        self.graph = graph
        self.staging = staging
        self.progress = progress
        self.upload_progress = upload_progress
        self.gzip = use_gzip(settings.gzip, settings.endpoint)
        self.seconds: dict[str, float] = {}

    @contextmanager
    def _step(self, name: str, message: str) -> Iterator[None]:
        self.progress(message)
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def run(self, delta: ReleaseDelta | None) -> PushReport:
        with self._step("count", f"counting <{self.graph}>"):
            before = self.client.count_triples(self.graph)
        if before == 0 and self.settings.direct_load and self.settings.endpoint.atomic_load:
            with self._sent_dump() as (path, encoding, counted):
                return self._load_directly(path, encoding, counted)
        if before and delta is not None and self.settings.endpoint.update_url is not None:
            report = self._push_diff(before, delta)
            if report is not None:
                return report
        with self._sent_dump() as (path, encoding, counted):
            return self._stage_and_swap(before, path, encoding, counted)

    def _load_directly(self, path: Path, encoding: str | None, counted: int | None) -> PushReport:
        """Steps 2–3 for an empty target: one transactional PUT, then the count."""
        try:
            body = self._body(path, count_triples=counted is None)
            with self._step("upload", f"uploading {path} to <{self.graph}> (it is empty)"):
                self.client.put_graph(self.graph, body, content_encoding=encoding)
            expected = self._expected(counted, body)
            with self._step("verify target", f"counting <{self.graph}>"):
                after = self.client.count_triples(self.graph)
            if after != expected:
                raise PushError(
                    f"verification failed: the target <{self.graph}> holds {after} triples, "
                    f"the dump {expected} (the store dropped or merged triples)"
                )
        except PushError as error:
            # It held nothing before: dropping it is putting it back as it was.
            if self._drop_quietly(self.graph):
                state = f"the target <{self.graph}> was emptied again, as it was before"
            else:
                state = self._target_state()
            raise PushError(f"{error}; {state}") from error
        marked = self.settings.endpoint.update_url is not None
        if marked:
            try:
                with self._step("mark", f"marking <{self.graph}> as holding this dump"):
                    self.client.update(self._marker(expected), retry=True)
            except PushError as error:
                # The graph is published and verified; the next push will just be a full one.
                self.progress(f"could not write the marker graph: {error}")
                marked = False
        return self._report(body.size, encoding, expected, 0, after, "load", marked=marked)

    def _stage_and_swap(
        self, before: int, path: Path, encoding: str | None, counted: int | None
    ) -> PushReport:
        """Steps 2–5 with a staging graph."""
        try:
            body = self._body(path, count_triples=counted is None)
            with self._step("upload", f"uploading {path} to <{self.staging}>"):
                self.client.put_graph(
                    self.staging,
                    body,
                    content_encoding=encoding,
                    parameters={"no_transaction": ""} if self._bulk_staging() else None,
                )
            expected = self._expected(counted, body)
            with self._step("verify staging", f"counting <{self.staging}>"):
                staged = self.client.count_triples(self.staging)
            if staged != expected:
                raise PushError(
                    f"verification failed: the staging graph <{self.staging}> holds "
                    f"{staged} triples, the dump {expected} "
                    "(the store dropped or merged triples)"
                )
        except PushError as error:
            self._drop_quietly(self.staging)
            raise PushError(f"{error}; the target <{self.graph}> was not changed") from error
        try:
            method = self._swap(path, encoding, expected)
            with self._step("verify target", f"counting <{self.graph}>"):
                after = self.client.count_triples(self.graph)
        finally:
            with self._step("drop staging", f"dropping <{self.staging}>"):
                staging_left = not self._drop_quietly(self.staging)
        if after != expected:
            raise PushError(
                f"the target <{self.graph}> holds {after} triples after the {method}, "
                f"expected {expected} (it held {before} before)"
            )
        return self._report(
            body.size,
            encoding,
            expected,
            before,
            after,
            method,
            staged,
            staging_left=staging_left,
            marked=method != "PUT",
        )

    def _expected(self, counted: int | None, body: DumpBody) -> int:
        expected = counted if counted is not None else body.triples
        assert expected is not None  # a complete pass counted them
        if expected == 0:
            raise PushError(f"{self.dump}: the dump holds no triples; nothing to publish")
        return expected

    def _push_diff(self, before: int, delta: ReleaseDelta) -> PushReport | None:
        """Steps 2–5 with the release diff instead of the dump (:mod:`publisher.push.delta`);
        None, having changed nothing, when the target does not hold the diff's release."""
        marker = marker_from_rows(
            self.client.select_rows(marker_query(self.graph), f"read the marker of <{self.graph}>")
        )
        if marker != Marker(delta.from_sha256, before):
            self.progress(
                f"<{self.graph}> is not marked as holding the release the diff applies to "
                f"({delta.from_sha256[:FINGERPRINT_LENGTH]}, {before:,} triples): full push"
            )
            return None
        added, removed = f"{self.staging}-added", f"{self.staging}-removed"
        expected = before - delta.removed_triples + delta.added_triples
        try:
            for graph, path, triples in (
                (added, delta.added, delta.added_triples),
                (removed, delta.removed, delta.removed_triples),
            ):
                if not triples:
                    continue  # nothing to stage: an operation on a missing graph does nothing
                with self._step("upload", f"uploading {path} to <{graph}>"):
                    self.client.put_graph(graph, self._body(path, count_triples=False))
                with self._step("verify staging", f"counting <{graph}>"):
                    staged = self.client.count_triples(graph)
                if staged != triples:
                    raise PushError(
                        f"verification failed: <{graph}> holds {staged} triples, {path} {triples}"
                    )
            with self._step("verify staging", f"matching the diff with <{self.graph}>"):
                fits = self.client.count_matches(
                    shared_triples_pattern(removed, self.graph), "match the removed triples"
                ) == delta.removed_triples and not self.client.count_matches(
                    shared_triples_pattern(added, self.graph), "match the added triples"
                )
        except PushError as error:
            self._drop_quietly(added)
            self._drop_quietly(removed)
            raise PushError(f"{error}; the target <{self.graph}> was not changed") from error
        if not fits:
            self.progress(f"<{self.graph}> differs from the release the diff applies to: full push")
            self._drop_quietly(added)
            self._drop_quietly(removed)
            return None
        try:
            with self._step("replace", f"applying the release diff to <{self.graph}>"):
                update = diff_update(self.graph, added, removed)
                self.client.update(f"{update} ;\n{self._marker(expected)}", retry=True)
            with self._step("verify target", f"counting <{self.graph}>"):
                after = self.client.count_triples(self.graph)
        except PushError as error:
            raise PushError(f"{error}; {self._target_state()}") from error
        finally:
            with self._step("drop staging", "dropping the diff's staging graphs"):
                staging_left = not (self._drop_quietly(added) & self._drop_quietly(removed))
        if after != expected:
            raise PushError(
                f"the target <{self.graph}> holds {after} triples after the diff, "
                f"expected {expected} (it held {before} before)"
            )
        size = delta.added.stat().st_size + delta.removed.stat().st_size
        return self._report(
            size,
            None,
            expected,
            before,
            after,
            "diff",
            delta.added_triples + delta.removed_triples,
            staging_left=staging_left,
            marked=True,
        )

    def _marker(self, triples: int) -> str:
        return marker_update(self.graph, self.sha256, triples)

    def _report(
        self,
        uploaded_bytes: int,
        encoding: str | None,
        expected: int,
        before: int,
        after: int,
        method: PushMethod,
        staged: int | None = None,
        *,
        staging_left: bool = False,
        marked: bool,
    ) -> PushReport:
        """The report; without a count of the staging graph, none was used."""
        return PushReport(
            graph=self.graph,
            staging_graph=None if staged is None else self.staging,
            dump=self.dump,
            dump_bytes=self.dump.stat().st_size,
            uploaded_bytes=uploaded_bytes,
            gzip=encoding is not None,
            expected=expected,
            before=before,
            staged=staged,
            after=after,
            method=method,
            staging_left=staging_left,
            marked=marked,
            seconds=self.seconds,
        )

    @contextmanager
    def _sent_dump(self) -> Iterator[tuple[Path, str | None, int | None]]:
        """The file to send, its Content-Encoding, and the dump's triples if already counted
        (a gzipped copy is counted while it is compressed, and removed afterwards)."""
        if not self.gzip:
            yield self.dump, None, None
            return
        with self._step("compress", f"compressing {self.dump} (gzip)"):
            compressed, triples = gzip_dump(self.dump)
        try:
            yield compressed, "gzip", triples
        finally:
            compressed.unlink(missing_ok=True)

    def _swap(self, path: Path, encoding: str | None, expected: int) -> PushMethod:
        endpoint = self.settings.endpoint
        if endpoint.update_url is None:
            with self._step("replace", f"replacing <{self.graph}> by a GSP PUT"):
                body = self._body(path, count_triples=False)
                self.client.put_graph(self.graph, body, content_encoding=encoding)
            return "PUT"
        if endpoint.swap == "DELETE/INSERT":
            message = f"replacing <{self.graph}>: deleting and inserting the difference"
            update = swap_update(self.staging, self.graph)
        else:
            message = f"replacing <{self.graph}>: COPY from the staging graph"
            # Not SILENT, though Virtuoso empties the target even so when the source is
            # missing: the staging graph was counted a moment ago.
            update = f"COPY <{self.staging}> TO <{self.graph}>"
        try:
            with self._step("replace", message):
                # The marker in the same request: one transaction on Oxigraph.
                self.client.update(f"{update} ;\n{self._marker(expected)}", retry=True)
        except PushError as error:
            raise PushError(f"{error}; {self._target_state()}") from error
        return endpoint.swap

    def _body(self, path: Path, *, count_triples: bool) -> DumpBody:
        return DumpBody(
            path,
            count_triples=count_triples,
            chunk_size=self.settings.chunk_size,
            progress=self.upload_progress,
        )

    def _bulk_staging(self) -> bool:
        return self.settings.bulk_staging and self.settings.endpoint.preset == "oxigraph"

    def _drop_quietly(self, graph: str) -> bool:
        try:
            self.client.drop_graph(graph)
        except PushError as error:
            self.progress(f"could not drop <{graph}>: {error}")
            return False
        return True

    def _target_state(self) -> str:
        try:
            return f"the target now holds {self.client.count_triples(self.graph)} triples"
        except PushError as error:
            return f"the target's state is unknown ({error})"
