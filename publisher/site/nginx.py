"""The nginx configuration of the static site: the answers of ``emigre serve``, without Python.

The static site (:mod:`publisher.site.static`) is plain files; this module writes what makes
nginx (1.22+, with njs 0.7+) answer for them exactly as the dynamic server does (DESIGN §3, §6):

- ``/id/{kind}/{slug}``: 303 to ``/doc/{kind}/{slug}.{ext}`` by content negotiation, with the
  rules of :mod:`publisher.server.conneg` run by njs (``conneg.js``, filled in from the formats
  table by :func:`render_conneg_js`); minted nodes (events, claims, quotations, citations) go to
  their record's document, HTML with an anchor (the map of :func:`render_owner_map`);
- ``/doc/{kind}/{slug}``: the negotiated file with ``Content-Location``; ``.../{slug}.{ext}``:
  that file with its media type; both with ``Link: rel=alternate`` to the other formats;
- renamed records answer 301, withdrawn ones 410 (``map`` blocks from ``dist/lifecycle.json``);
  a malformed ``Accept`` or unknown ``?format=`` 400, nothing acceptable 406;
- every response carries ``Vary: Accept`` and the CORS headers of :mod:`publisher.server.http`;
  nginx adds ``ETag`` and ``Last-Modified`` and answers conditional requests with 304;
- error bodies are the site's small pages, HTML for browsers and JSON for other clients;
- search, SPARQL, reconciliation and OAI-PMH answer 404 with a note: they need the dynamic server.

The configuration comes in two forms from one template (``templates/nginx.conf.j2``):

1. **A whole nginx.conf** (``runtime_dir`` given), for tests and local previews. It loads njs
   (``js_module``), runs in the foreground (``daemon off``) and keeps its pid file, logs and
   temporary directories in ``runtime_dir``, so any user can run it::

       conf = render_nginx_conf(Path("dist/site").resolve(), "127.0.0.1:8080", lifecycle,
                                runtime_dir=Path("/tmp/emigre-nginx"))
       # write conf to /tmp/emigre-nginx/nginx.conf, then:
       # nginx -p /tmp/emigre-nginx -c /tmp/emigre-nginx/nginx.conf

2. **An include for an existing nginx** (``runtime_dir=None``): what the build writes to
   ``dist/site/nginx.conf``. It holds http-level directives (``js_import``, ``js_set``, ``map``)
   and one ``server`` block; include it inside ``http {}``, before any ``map`` of your own
   (the owner map sets ``map_hash_max_size`` and ``map_hash_bucket_size``), with the njs module
   loaded in the main context (Debian: ``apt install libnginx-mod-http-js`` does that)::

       http { include /srv/emigre/site/nginx.conf; ... }

   Paths in it are absolute (``site_root``), so it is rendered for the place the site is served
   from; change ``listen``/``server_name`` by rendering again, not by editing.

The helper files live in ``{site_root}/nginx/`` (:data:`FILES_DIR`), which the configuration
itself refuses to serve, as it refuses ``/nginx.conf``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from publisher.formats import (
    ALL_FORMATS,
    FORMATS_BY_EXTENSION,
    FORMATS_BY_MEDIA_TYPE,
    FORMATS_BY_NAME,
    HTML,
    RDF_FORMATS,
)
from publisher.iris import ENTITY_KINDS, NODE_KINDS, SLUG_PATTERN
from publisher.server import conneg
from publisher.server.http import COMMON_HEADERS, CORS_PREFLIGHT_HEADERS
from publisher.site.links import anchor

TEMPLATES = Path(__file__).parent / "templates"
CONNEG_JS_SOURCE = Path(__file__).parent / "conneg.js"
#: The site's subdirectory holding the files the configuration includes (never served).
FILES_DIR = "nginx"
CONNEG_JS = "conneg.js"
OWNERS_CONF = "owners.conf"
#: The include form's name in the site.
SITE_CONF = "nginx.conf"
#: Where nginx.org's packages keep njs, relative to nginx's prefix; Debian's is absolute:
#: ``/usr/lib/nginx/modules/ngx_http_js_module.so``.
DEFAULT_JS_MODULE = "modules/ngx_http_js_module.so"
#: Statuses answered with the site's own error pages (``errors/{status}.html`` and ``.json``).
ERROR_STATUSES = (400, 404, 405, 406, 410, 500)
#: Paths of the dynamic server only; the static site answers 404 with a note.
DYNAMIC_ONLY = ("search", "sparql", "reconcile", "oai")
#: The Cache-Control of documents and pages, as the dynamic server sends it.
CACHE_CONTROL = "public, max-age=300"
#: Media types of the site's other files (the formats table gives the documents').
OTHER_TYPES = (
    ("text/css", "css"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/plain", "txt"),
    ("application/gzip", "gz"),
    ("image/svg+xml", "svg"),
    ("image/png", "png"),
    ("image/x-icon", "ico"),
)
#: What a whole nginx.conf keeps in its runtime directory.
_RUNTIME_FILES = (
    "nginx.pid",
    "error.log",
    "access.log",
    "client_body",
    "proxy",
    "fastcgi",
    "uwsgi",
    "scgi",
)
_SLUG = SLUG_PATTERN.pattern.removeprefix("^").removesuffix("$")
_REF = re.compile(r"^[a-z]+/" + _SLUG + "$")
#: What Python's str.strip() removes (the last is U+3000), for ``?format=`` values.
_PYTHON_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_JS_TABLES_LINE = "var TABLES = null; // filled in by publisher/site/nginx.py"


def conneg_tables() -> dict[str, Any]:
    """The negotiation tables ``conneg.js`` runs on, from the formats table and ``conneg``.

    >>> conneg_tables()["formats"][0]["media_types"]
    ['text/turtle', 'application/x-turtle']
    """
    index = {fmt.name: i for i, fmt in enumerate(ALL_FORMATS)}
    return {
        "formats": [
            {
                "name": fmt.name,
                "extension": fmt.extension,
                "media_types": list(fmt.media_types),
                "is_rdf": fmt.is_rdf,
            }
            for fmt in ALL_FORMATS
        ],
        "default": HTML.name,
        "prefer_html_for_browsers": True,
        "by_extension": {ext: index[fmt.name] for ext, fmt in FORMATS_BY_EXTENSION.items()},
        "by_name": {name: index[name] for name in FORMATS_BY_NAME},
        "by_media_type": {m: index[fmt.name] for m, fmt in FORMATS_BY_MEDIA_TYPE.items()},
        "query_aliases": {a: index[fmt.name] for a, fmt in sorted(conneg._QUERY_ALIASES.items())},
        "weak_aliases": {name: list(types) for name, types in conneg._WEAK_ALIASES.items()},
        "rdf_media_types": dict.fromkeys(sorted(conneg._RDF_MEDIA_TYPES), True),
        "tchars": "".join(sorted(conneg._TCHARS)),
        "utf8": sorted(conneg._UTF8),
        "python_whitespace": _PYTHON_WHITESPACE,
        "max_header_length": conneg.MAX_HEADER_LENGTH,
        "max_ranges": conneg.MAX_RANGES,
    }


def render_conneg_js() -> str:
    """``conneg.js`` with its tables filled in (njs module for ``js_import``)."""
    source = CONNEG_JS_SOURCE.read_text("utf-8")
    if source.count(_JS_TABLES_LINE) != 1:
        raise ValueError(f"{CONNEG_JS_SOURCE}: expected one line {_JS_TABLES_LINE!r}")
    tables = json.dumps(conneg_tables(), sort_keys=True, ensure_ascii=True)
    return source.replace(_JS_TABLES_LINE, f"var TABLES = {tables};")


def render_owner_map(owners: Mapping[str, str]) -> str:
    """The ``map`` from minted nodes to their records (``"emigration/x-2022" -> "person/x"``).

    An http-level include: it also sizes nginx's map hashes for its number of entries, which
    is why it must come before any other ``map``.

    >>> print(render_owner_map({"claim/a-b": "person/a"}).splitlines()[-2])
        claim/a-b person/a;
    """
    for ref in (*owners, *owners.values()):
        _check_ref(ref)
    longest = max((len(key) for key in owners), default=0)
    # With max_size under 100 times the entries, nginx tries the last 1000 sizes below it and
    # needs a bucket to hold a whole chain: at half load a few entries, so room for 16.
    max_size = max(2048, 2 * len(owners))
    bucket_size = max(1024, 1 << (16 * (longest + 16)).bit_length())
    lines = [
        "# Generated by publisher/site/nginx.py: minted node (kind/slug) -> the record holding it.",
        f"map_hash_max_size {max_size};",
        f"map_hash_bucket_size {bucket_size};",
        "",
        'map "$emigre_kind/$emigre_slug" $emigre_owner {',
        '    default "$emigre_kind/$emigre_slug";',
        *(f"    {key} {owners[key]};" for key in sorted(owners)),
        "}",
    ]
    return "\n".join(lines) + "\n"


def render_nginx_conf(
    site_root: Path,
    listen: str,
    lifecycle: Mapping[str, Any],
    *,
    runtime_dir: Path | None = None,
    server_name: str = "_",
    js_module: str = DEFAULT_JS_MODULE,
    user: str | None = None,
    self_path: Path | None = None,
) -> str:
    """The nginx configuration serving the site in ``site_root`` (an absolute path).

    ``lifecycle`` is ``dist/lifecycle.json``. With ``runtime_dir`` the result is a whole
    nginx.conf keeping its pid, logs and temporary files there, its workers running as ``user``
    when nginx is started by root; without, an http-level include (see the module docstring).
    ``self_path`` is where the include will be, for its comment.
    """
    files = site_root / FILES_DIR
    renamed = lifecycle.get("renamed", {})
    withdrawn = lifecycle.get("withdrawn", {})
    for ref in (*renamed, *(item["to"] for item in renamed.values()), *withdrawn):
        _check_ref(ref)
    template = _environment().get_template("nginx.conf.j2")
    return template.render(
        full=runtime_dir is not None,
        runtime_dir=str(runtime_dir),
        runtime={name.replace(".", "_"): _path(runtime_dir / name) for name in _RUNTIME_FILES}
        if runtime_dir is not None
        else {},
        js_module=_quote(js_module),
        user=_directive_value(user) if user else None,
        self_path=self_path or site_root / SITE_CONF,
        owners_conf=_path(files / OWNERS_CONF),
        conneg_js=_path(files / CONNEG_JS),
        withdrawn=sorted(withdrawn),
        renamed=sorted((old, item["to"]) for old, item in renamed.items()),
        links=[(fmt.extension, _quote(_link(fmt.extension))) for fmt in ALL_FORMATS],
        anchors=[
            (_quote(f"{HTML.extension}:{kind}"), _quote(f"#{anchor(kind, '$emigre_slug')}"))
            for kind in NODE_KINDS
        ],
        preflight=[
            (f"$emigre_preflight_{i}", _quote(value))
            for i, value in enumerate(CORS_PREFLIGHT_HEADERS.values())
        ],
        headers=_headers,
        listen=_directive_value(listen),
        server_name=_directive_value(server_name),
        site_root=_path(site_root),
        # text/html always has its charset sent; naming it again is a warning.
        charset_types=" ".join(
            sorted({t for t, _ in _types() if t.startswith("text/") and t != HTML.media_type})
        ),
        types=_types(),
        error_statuses=ERROR_STATUSES,
        rdf_extensions="|".join(fmt.extension for fmt in RDF_FORMATS),
        extensions="|".join(fmt.extension for fmt in ALL_FORMATS),
        id_kinds="|".join((*ENTITY_KINDS, *NODE_KINDS)),
        doc_kinds="|".join(ENTITY_KINDS),
        slug=_SLUG,
        dynamic_only="|".join(DYNAMIC_ONLY),
    )


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # nginx syntax, not HTML: values are quoted by _quote and _path
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _link(extension: str) -> str:
    """The Link value sent with the document in ``extension`` (nginx variables for the path)."""
    return ", ".join(
        conneg.vary_and_alternates(
            "/doc/$emigre_kind/$emigre_slug", FORMATS_BY_EXTENSION[extension]
        )
    )


def _headers(indent: int, cache: bool = False, preflight: bool = False) -> str:
    """``add_header`` lines: the common headers on every status, then the optional ones."""
    pad = " " * indent
    lines = [
        f"{pad}add_header {name} {_quote(value)} always;" for name, value in COMMON_HEADERS.items()
    ]
    if preflight:
        lines += [
            f"{pad}add_header {name} $emigre_preflight_{i} always;"
            for i, name in enumerate(CORS_PREFLIGHT_HEADERS)
        ]
    if cache:
        lines.append(f"{pad}add_header Cache-Control {_quote(CACHE_CONTROL)};")
    return "\n".join(lines)


def _types() -> list[tuple[str, str]]:
    by_type: dict[str, list[str]] = {}
    for media_type, extension in (
        *((fmt.media_type, fmt.extension) for fmt in ALL_FORMATS),
        *OTHER_TYPES,
    ):
        by_type.setdefault(media_type, []).append(extension)
    return [(media_type, " ".join(exts)) for media_type, exts in sorted(by_type.items())]


def _check_ref(ref: str) -> None:
    if not _REF.match(ref):
        raise ValueError(f"not a reference (kind/slug) for the nginx configuration: {ref!r}")


def _quote(value: str) -> str:
    """A double-quoted nginx string (``$name`` still names a variable).

    >>> _quote('a "b"')
    '"a \\\\"b\\\\""'
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"control character in an nginx value: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path(path: Path) -> str:
    """An absolute path, quoted; ``$`` would name a variable, so it is refused."""
    text = str(path)
    if not path.is_absolute() or "$" in text:
        raise ValueError(f"the nginx configuration needs an absolute path without '$': {text!r}")
    return _quote(text)


def _directive_value(value: str) -> str:
    """A listen or server_name value: words, no quotes, braces, semicolons or variables."""
    if not value.strip() or re.search(r"[;{}\"'$\\#]|[\x00-\x1f]", value):
        raise ValueError(f"not a plain nginx directive value: {value!r}")
    return value.strip()
