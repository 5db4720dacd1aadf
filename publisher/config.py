"""Settings: one table feeds the CLI defaults, the docs and the code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/emigre/"
DATASET_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
DATASET_TITLE = "Émigré: the cultural exodus from Russia"
DATASET_DESCRIPTION = (
    "Writers, musicians, film-makers, scientists and journalists who left Russia after the "
    "invasion of Ukraine in February 2022, and the earlier waves they are compared with; each "
    "claim cited to its source, each person linked to Wikidata where the link was checked."
)
DATASET_PUBLISHER = "Émigré project"


def project_root() -> Path:
    """The directory holding ``data/``, ``shapes/`` and ``ontology/`` (the checkout)."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildSettings:
    """Where a build reads from and writes to, and the IRIs it mints."""

    data_dir: Path = field(default_factory=lambda: project_root() / "data")
    shapes_dir: Path = field(default_factory=lambda: project_root() / "shapes")
    ontology_path: Path = field(default_factory=lambda: project_root() / "ontology" / "emigre.ttl")
    out_dir: Path = field(default_factory=lambda: Path("dist"))
    base_iri: str = DEFAULT_BASE_IRI
    #: Cache of SHACL results per entity, keyed by content hash, so a rebuild after a one-record
    #: change validates one entity instead of all of them.
    cache_dir: Path | None = None
    #: The checked Wikidata IDs (a copy of the shared reference table): the only IDs records
    #: may link to.
    reference_table: Path = field(
        default_factory=lambda: project_root() / "reference" / "wikidata-ids.tsv"
    )
    #: Worker processes for SHACL validation (0 = one per core).
    workers: int = 0
    #: SHACL engine: ``pyshacl``, ``turbo`` (pyshacl-turbo) or ``auto`` (turbo for large graphs).
    shacl_engine: str = "auto"
    #: Also write ``site/``: every document and page as files, with an nginx configuration.
    write_site: bool = True
