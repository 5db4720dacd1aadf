"""Dataset descriptions: VoID (with the Wikidata linkset), a DCAT catalogue, schema.org Dataset."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Triple

from publisher import config, iris
from publisher.dump import DUMP_STEM, sort_triples
from publisher.formats import RDF_FORMATS
from publisher.graph.build import LINK_STATE_NODES
from publisher.graph.terms import term_text
from publisher.namespaces import (
    EMIGRE_NS,
    OWL_NS,
    PREFIXES,
    RDF_NS,
    SCHEMA,
    WIKIDATA_ENTITY,
    XSD_NS,
)

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
WIKIDATA_DATASET = "http://www.wikidata.org/"
_DESCRIPTION_PREFIXES = {
    **PREFIXES,
    "void": VOID,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "foaf": FOAF,
}


@dataclass(frozen=True)
class DatasetStatistics:
    """Counts a build reports and describes: triples, entities by class, Wikidata links and
    link states, and the possible matches noted for pending entities (never counted as links).

    Statistics of disjoint parts (one per record) add up with ``combine``.
    """

    triples: int
    distinct_subjects: int
    entities: int
    classes: tuple[tuple[str, int], ...]
    link_states: tuple[tuple[str, int], ...]
    wikidata_links: int
    #: The first entity (in IRI order) of each class: VoID example resources.
    first_by_class: tuple[tuple[str, str], ...]
    #: ``emigre:wikidataCandidate`` triples: unverified possible matches, not links.
    wikidata_candidates: int = 0

    @property
    def example_resources(self) -> tuple[str, ...]:
        """Up to three example entities, a person first."""
        first = dict(self.first_by_class)
        person = f"{SCHEMA}Person"
        order = [person, *sorted(set(first) - {person})]
        return tuple(first[c] for c in order if c in first)[:3]

    @classmethod
    def combine(cls, parts: Iterable[DatasetStatistics]) -> DatasetStatistics:
        """The statistics of the union of disjoint parts."""
        triples = subjects = entities = links = candidates = 0
        classes: dict[str, int] = {}
        states: dict[str, int] = {}
        first: dict[str, str] = {}
        for part in parts:  # 100,000 parts in a large build: plain dicts, no Counters
            triples += part.triples
            subjects += part.distinct_subjects
            entities += part.entities
            links += part.wikidata_links
            candidates += part.wikidata_candidates
            for class_iri, count in part.classes:
                classes[class_iri] = classes.get(class_iri, 0) + count
            for state, count in part.link_states:
                states[state] = states.get(state, 0) + count
            for class_iri, subject in part.first_by_class:
                if class_iri not in first or subject < first[class_iri]:
                    first[class_iri] = subject
        return cls(
            triples=triples,
            distinct_subjects=subjects,
            entities=entities,
            classes=tuple(sorted(classes.items())),
            link_states=tuple(sorted(states.items())),
            wikidata_links=links,
            first_by_class=tuple(sorted(first.items())),
            wikidata_candidates=candidates,
        )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for ``stats.json`` and ``emigre stats --json``."""
        return {
            "triples": self.triples,
            "distinct_subjects": self.distinct_subjects,
            "entities": self.entities,
            "classes": dict(self.classes),
            "wikidata_link_states": dict(self.link_states),
            "wikidata_links": self.wikidata_links,
            "wikidata_candidates": self.wikidata_candidates,
        }


def compute_statistics(triples: Sequence[Triple], base: str) -> DatasetStatistics:
    """Counts over triples (the whole dataset, or one record's disjoint part of it)."""
    rdf_type = f"{RDF_NS}type"
    same_as = f"{OWL_NS}sameAs"
    link_state = f"{EMIGRE_NS}wikidataLinkState"
    candidate = f"{EMIGRE_NS}wikidataCandidate"
    classes: Counter[str] = Counter()
    states: Counter[str] = Counter()
    subjects: set[str] = set()
    entity_prefixes = tuple(f"{base}id/{kind}/" for kind in iris.ENTITY_KINDS)
    entities: set[str] = set()
    links = candidates = 0
    first: dict[str, str] = {}
    for triple in triples:
        subject = term_text(triple.subject)
        subjects.add(subject)
        predicate = triple.predicate.value
        if predicate == rdf_type:
            class_iri = term_text(triple.object)
            classes[class_iri] += 1
            if subject.startswith(entity_prefixes):
                entities.add(subject)
                if class_iri not in first or subject < first[class_iri]:
                    first[class_iri] = subject
        elif predicate == link_state:
            states[term_text(triple.object).rsplit("#", 1)[-1]] += 1
        elif predicate == same_as and term_text(triple.object).startswith(WIKIDATA_ENTITY):
            links += 1
        elif predicate == candidate:
            candidates += 1
    return DatasetStatistics(
        triples=len(triples),
        distinct_subjects=len(subjects),
        entities=len(entities),
        classes=tuple(sorted(classes.items())),
        link_states=tuple(sorted(states.items())),
        wikidata_links=links,
        first_by_class=tuple(sorted(first.items())),
        wikidata_candidates=candidates,
    )


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _int(value: int) -> Literal:
    return Literal(str(value), datatype=NamedNode(f"{XSD_NS}integer"))


def render_void(stats: DatasetStatistics, base: str, release_date: str | None) -> bytes:
    """VoID description: sizes, class partitions, dumps, the linkset to Wikidata (and one per
    linking state), entities by link state, and the unverified possible matches."""
    dataset = _n(iris.dataset_iri(base))
    linkset = _n(f"{iris.dataset_iri(base)}/linkset/wikidata")
    wikidata = _n(WIKIDATA_DATASET)
    t: list[Triple] = []

    def add(s: NamedNode, p: str, o: NamedNode | Literal) -> None:
        t.append(Triple(s, _n(p), o))

    add(dataset, f"{RDF_NS}type", _n(f"{VOID}Dataset"))
    add(dataset, f"{DCTERMS}title", Literal(config.DATASET_TITLE, language="en"))
    add(dataset, f"{DCTERMS}description", Literal(config.DATASET_DESCRIPTION, language="en"))
    add(dataset, f"{DCTERMS}license", _n(config.DATASET_LICENSE))
    add(dataset, f"{DCTERMS}publisher", Literal(config.DATASET_PUBLISHER))
    if release_date:
        add(dataset, f"{DCTERMS}modified", Literal(release_date, datatype=_n(f"{XSD_NS}date")))
    add(dataset, f"{FOAF}homepage", _n(base))
    add(dataset, f"{VOID}uriSpace", Literal(f"{base}id/"))
    add(dataset, f"{VOID}sparqlEndpoint", _n(f"{base}sparql"))
    add(dataset, f"{VOID}triples", _int(stats.triples))
    add(dataset, f"{VOID}entities", _int(stats.entities))
    add(dataset, f"{VOID}distinctSubjects", _int(stats.distinct_subjects))
    add(dataset, f"{VOID}classes", _int(len(stats.classes)))
    for vocabulary in (str(SCHEMA), EMIGRE_NS, OWL_NS):
        add(dataset, f"{VOID}vocabulary", _n(vocabulary))
    for fmt in RDF_FORMATS:
        add(dataset, f"{VOID}dataDump", _n(iris.dump_url(base, f"{DUMP_STEM}.{fmt.extension}")))
    for example in stats.example_resources:
        add(dataset, f"{VOID}exampleResource", _n(example))
    for class_iri, count in stats.classes:
        partition = _n(
            f"{iris.dataset_iri(base)}/class/{class_iri.rsplit('/', 1)[-1].replace('#', '-')}"
        )
        add(dataset, f"{VOID}classPartition", partition)
        add(partition, f"{VOID}class", _n(class_iri))
        add(partition, f"{VOID}entities", _int(count))
    add(dataset, f"{VOID}subset", linkset)
    add(linkset, f"{RDF_NS}type", _n(f"{VOID}Linkset"))
    add(linkset, f"{VOID}linkPredicate", _n(f"{OWL_NS}sameAs"))
    add(linkset, f"{VOID}subjectsTarget", dataset)
    add(linkset, f"{VOID}objectsTarget", wikidata)
    add(linkset, f"{VOID}triples", _int(stats.wikidata_links))
    # One sub-linkset per link state that links, so harvesters see how many links were checked
    # against two sources (Verified) and how many against one (NeedsReview).
    for state, count in stats.link_states:
        if state not in ("Verified", "NeedsReview"):
            continue
        subset = _n(f"{iris.dataset_iri(base)}/linkset/wikidata-{state.lower()}")
        add(linkset, f"{VOID}subset", subset)
        add(subset, f"{RDF_NS}type", _n(f"{VOID}Linkset"))
        add(subset, f"{VOID}linkPredicate", _n(f"{OWL_NS}sameAs"))
        add(subset, f"{VOID}objectsTarget", wikidata)
        add(subset, f"{EMIGRE_NS}wikidataLinkState", _n(f"{EMIGRE_NS}{state}"))
        add(subset, f"{VOID}triples", _int(count))
    # Entities by link state, every state told (0 too), so that harvesters see how many are
    # still pending or known to have no item, not only how many are linked.
    counts = dict(stats.link_states)
    for slug, state in LINK_STATE_NODES.items():
        subset = _n(f"{iris.dataset_iri(base)}/link-state/{slug}")
        add(dataset, f"{VOID}subset", subset)
        add(subset, f"{RDF_NS}type", _n(f"{VOID}Dataset"))
        add(subset, f"{EMIGRE_NS}wikidataLinkState", _n(f"{EMIGRE_NS}{state}"))
        add(subset, f"{VOID}entities", _int(counts.get(state, 0)))
    # Possible matches are described as links of their own predicate, outside the sameAs
    # linkset: they were not verified, and must not be counted as links.
    candidates = _n(f"{iris.dataset_iri(base)}/linkset/wikidata-candidates")
    add(dataset, f"{VOID}subset", candidates)
    add(candidates, f"{RDF_NS}type", _n(f"{VOID}Linkset"))
    add(candidates, f"{VOID}linkPredicate", _n(f"{EMIGRE_NS}wikidataCandidate"))
    add(candidates, f"{VOID}subjectsTarget", dataset)
    add(candidates, f"{VOID}objectsTarget", wikidata)
    add(candidates, f"{VOID}triples", _int(stats.wikidata_candidates))
    add(
        candidates,
        f"{DCTERMS}description",
        Literal(
            "Possible matches noted by curators for entities whose link is pending: "
            "not verified, not links.",
            language="en",
        ),
    )
    add(wikidata, f"{RDF_NS}type", _n(f"{VOID}Dataset"))
    add(wikidata, f"{FOAF}homepage", _n("https://www.wikidata.org/"))
    add(wikidata, f"{VOID}uriSpace", Literal(WIKIDATA_ENTITY))
    output = pyoxigraph.serialize(
        sort_triples(t), format=pyoxigraph.RdfFormat.TURTLE, prefixes=_DESCRIPTION_PREFIXES
    )
    assert output is not None
    return output


def render_dcat(
    stats: DatasetStatistics, base: str, sizes: dict[str, int], release_date: str | None
) -> bytes:
    """A DCAT catalogue with one dataset and a distribution per dump file (with byte sizes)."""
    catalog = _n(f"{base}id/catalog")
    dataset = _n(iris.dataset_iri(base))
    t: list[Triple] = []

    def add(s: NamedNode, p: str, o: NamedNode | Literal) -> None:
        t.append(Triple(s, _n(p), o))

    add(catalog, f"{RDF_NS}type", _n(f"{DCAT}Catalog"))
    add(catalog, f"{DCTERMS}title", Literal(f"{config.DATASET_TITLE}: catalogue", language="en"))
    add(catalog, f"{DCAT}dataset", dataset)
    add(dataset, f"{RDF_NS}type", _n(f"{DCAT}Dataset"))
    add(dataset, f"{DCTERMS}title", Literal(config.DATASET_TITLE, language="en"))
    add(dataset, f"{DCTERMS}description", Literal(config.DATASET_DESCRIPTION, language="en"))
    add(dataset, f"{DCTERMS}license", _n(config.DATASET_LICENSE))
    add(dataset, f"{DCAT}landingPage", _n(base))
    if release_date:
        add(dataset, f"{DCTERMS}modified", Literal(release_date, datatype=_n(f"{XSD_NS}date")))
    for keyword in ("emigration", "Russia", "exile", "culture", "linked data"):
        add(dataset, f"{DCAT}keyword", Literal(keyword, language="en"))
    service = _n(f"{base}id/service/sparql")
    for fmt in RDF_FORMATS:
        for suffix in ("", ".gz"):
            filename = f"{DUMP_STEM}.{fmt.extension}{suffix}"
            distribution = _n(
                f"{iris.dataset_iri(base)}/distribution/{fmt.extension}{suffix.replace('.', '-')}"
            )
            add(dataset, f"{DCAT}distribution", distribution)
            add(distribution, f"{RDF_NS}type", _n(f"{DCAT}Distribution"))
            add(distribution, f"{DCTERMS}title", Literal(filename))
            add(distribution, f"{DCAT}downloadURL", _n(iris.dump_url(base, filename)))
            add(
                distribution,
                f"{DCAT}mediaType",
                _n(f"https://www.iana.org/assignments/media-types/{fmt.media_type}"),
            )
            if suffix:
                add(
                    distribution,
                    f"{DCAT}compressFormat",
                    _n("https://www.iana.org/assignments/media-types/application/gzip"),
                )
            add(distribution, f"{DCTERMS}license", _n(config.DATASET_LICENSE))
            if filename in sizes:
                add(
                    distribution,
                    f"{DCAT}byteSize",
                    Literal(str(sizes[filename]), datatype=_n(f"{XSD_NS}nonNegativeInteger")),
                )
    add(service, f"{RDF_NS}type", _n(f"{DCAT}DataService"))
    add(service, f"{DCAT}endpointURL", _n(f"{base}sparql"))
    add(service, f"{DCAT}servesDataset", dataset)
    add(service, f"{DCTERMS}conformsTo", _n("https://www.w3.org/TR/sparql11-protocol/"))
    output = pyoxigraph.serialize(
        sort_triples(t), format=pyoxigraph.RdfFormat.TURTLE, prefixes=_DESCRIPTION_PREFIXES
    )
    assert output is not None
    return output


def render_schema_dataset(
    stats: DatasetStatistics, base: str, sizes: dict[str, int], release_date: str | None
) -> bytes:
    """A schema.org ``Dataset`` in JSON-LD, as dataset search engines read it."""
    description: dict[str, Any] = {
        "@context": {"@vocab": str(SCHEMA)},
        "@type": "Dataset",
        "@id": iris.dataset_iri(base),
        "name": config.DATASET_TITLE,
        "description": config.DATASET_DESCRIPTION,
        "url": base,
        "license": config.DATASET_LICENSE,
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": config.DATASET_PUBLISHER},
        "keywords": ["emigration", "Russia", "exile", "culture", "linked data", "Wikidata"],
        "variableMeasured": [
            {"@type": "PropertyValue", "name": "triples", "value": stats.triples},
            {"@type": "PropertyValue", "name": "entities", "value": stats.entities},
            {"@type": "PropertyValue", "name": "Wikidata links", "value": stats.wikidata_links},
        ],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"{DUMP_STEM}.{fmt.extension}{suffix}",
                "encodingFormat": "application/gzip" if suffix else fmt.media_type,
                "contentUrl": iris.dump_url(base, f"{DUMP_STEM}.{fmt.extension}{suffix}"),
                **(
                    {"contentSize": str(sizes[f"{DUMP_STEM}.{fmt.extension}{suffix}"])}
                    if f"{DUMP_STEM}.{fmt.extension}{suffix}" in sizes
                    else {}
                ),
            }
            for fmt in RDF_FORMATS
            for suffix in ("", ".gz")
        ],
    }
    if release_date:
        description["dateModified"] = release_date
    return (json.dumps(description, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_descriptions(
    stats: DatasetStatistics, out_dir: Path, base: str, release_date: str | None
) -> list[Path]:
    """``void.ttl``, ``dcat.ttl``, ``dataset.jsonld`` and ``stats.json`` in ``out_dir``."""
    sizes = {
        path.name: path.stat().st_size
        for path in sorted(out_dir.iterdir())
        if path.name.startswith(f"{DUMP_STEM}.")
    }
    outputs = {
        "void.ttl": render_void(stats, base, release_date),
        "dcat.ttl": render_dcat(stats, base, sizes, release_date),
        "dataset.jsonld": render_schema_dataset(stats, base, sizes, release_date),
        "stats.json": (json.dumps(stats.as_json(), indent=2) + "\n").encode("utf-8"),
    }
    written = []
    for name, data in outputs.items():
        (out_dir / name).write_bytes(data)
        written.append(out_dir / name)
    return written
