"""What a page needs besides the graph: where the site lives, the dataset's title and licence,
and the files of the release (downloads with sizes and checksums, example queries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from publisher import config, iris
from publisher.checksums import read_checksums
from publisher.site import paging
from publisher.site.wording import human_size

LICENCE_NAME = "CC0 1.0 Universal (public domain dedication)"


def _default_queries_dir() -> Path:
    return config.project_root() / "examples" / "queries"


@dataclass(frozen=True)
class PageContext:
    """Everything about a page that is not in the graph. Immutable: one per site or server.

    ``url_prefix`` is the path the site is served under, without a trailing slash: ``""`` gives
    root-relative links (``/doc/person/ulitskaya``), so one rendering works on the local server
    and on the static site alike.
    """

    base: str = config.DEFAULT_BASE_IRI
    url_prefix: str = ""
    title: str = config.DATASET_TITLE
    description: str = config.DATASET_DESCRIPTION
    licence: str = config.DATASET_LICENSE
    licence_name: str = LICENCE_NAME
    #: The build's output (``stats.json``, ``SHA256SUMS``, the dumps); None: no downloads.
    dist_dir: Path | None = None
    #: SPARQL examples (``*.rq``) listed on the landing page, if the directory exists.
    queries_dir: Path | None = field(default_factory=_default_queries_dir)
    #: The end of the timeline's axis ("today"); None: the latest year in the data.
    today: date | None = None
    #: Entries per page of a browse list (``publisher.site.paging``).
    page_size: int = paging.PAGE_SIZE

    @property
    def root(self) -> str:
        """The site's root path, ending in a slash (``/`` or ``/prefix/``)."""
        return f"{self.url_prefix.rstrip('/')}/"


@dataclass(frozen=True)
class Download:
    """One file of the release as the landing page lists it."""

    name: str
    url: str
    size: int
    sha256: str

    @property
    def size_text(self) -> str:
        """The size for people."""
        return human_size(self.size)


def read_downloads(ctx: PageContext) -> list[Download]:
    """The files listed in ``SHA256SUMS`` that exist in the dist directory, by name."""
    if ctx.dist_dir is None:
        return []
    downloads = []
    for name, digest in read_checksums(ctx.dist_dir).items():
        path = ctx.dist_dir / name
        if "/" in name or not path.is_file():
            continue
        downloads.append(Download(name, iris.dump_url(ctx.root, name), path.stat().st_size, digest))
    return sorted(downloads, key=lambda d: d.name)


@dataclass(frozen=True)
class ExampleQuery:
    """A SPARQL example: its title and explanation (the file's leading comment) and text."""

    name: str
    title: str
    explanation: str
    text: str
    url: str
    #: False for a federated query (``SERVICE``), which our endpoint refuses to run.
    runnable: bool


def read_example_queries(ctx: PageContext) -> list[ExampleQuery]:
    """The ``*.rq`` files of ``ctx.queries_dir``, by file name, each with a link that runs it.

    The first paragraph of a file's leading ``#`` comment is its title, the rest explains it.
    """
    if ctx.queries_dir is None or not ctx.queries_dir.is_dir():
        return []
    queries = []
    for path in sorted(ctx.queries_dir.glob("*.rq")):
        text = path.read_text("utf-8")
        paragraphs: list[list[str]] = [[]]
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            words = line.lstrip("#").strip()
            if words:
                paragraphs[-1].append(words)
            elif paragraphs[-1]:
                paragraphs.append([])
        texts = [" ".join(lines) for lines in paragraphs if lines]
        title = texts[0] if texts else path.stem.replace("-", " ")
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        queries.append(
            ExampleQuery(
                name=path.stem,
                title=title,
                explanation=" ".join(texts[1:]),
                text=text,
                url=iris.sparql_url(ctx.root, text),
                runnable=re.search(r"\bSERVICE\b", body, re.IGNORECASE) is None,
            )
        )
    return queries
