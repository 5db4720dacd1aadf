# Generated from ontology/emigre.ttl by publisher.vocabgen; do not edit.
"""The closed Émigré vocabulary <https://w3id.org/emigre/ns#>, version 0.1.0.

A misspelt term raises AttributeError instead of minting a new IRI.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

ONTOLOGY_VERSION: str = "0.1.0"


class EMIGRE(DefinedNamespace):
    """Classes, properties and individuals of the Émigré ontology."""

    _NS = Namespace("https://w3id.org/emigre/ns#")
    _fail = True

    # Classes
    Citation: URIRef  # citation
    Claim: URIRef  # claim
    DatePrecision: URIRef  # date precision
    Emigration: URIRef  # emigration
    EmigrationCircumstance: URIRef  # emigration circumstance
    EmigrationWave: URIRef  # emigration wave
    Persecution: URIRef  # persecution
    PersecutionType: URIRef  # persecution type
    PersonGroup: URIRef  # group of people
    PrivacyLevel: URIRef  # privacy level
    WikidataLinkState: URIRef  # Wikidata link state

    # Properties
    actor: URIRef  # actor
    affectedWork: URIRef  # affected work
    approximateDate: URIRef  # approximate date
    charge: URIRef  # charge
    circumstance: URIRef  # circumstance
    citedSource: URIRef  # cited source
    claimProperty: URIRef  # claim property
    claimSubject: URIRef  # claim subject
    claimValue: URIRef  # claim value
    conflictsWith: URIRef  # conflicts with
    datePrecision: URIRef  # date precision
    destination: URIRef  # destination
    emigrant: URIRef  # emigrant
    endDatePrecision: URIRef  # end date precision
    excerpt: URIRef  # excerpt
    locator: URIRef  # locator
    mentionedAs: URIRef  # mentioned as
    origin: URIRef  # origin
    penalty: URIRef  # penalty
    persecuted: URIRef  # persecuted
    persecutionType: URIRef  # persecution type
    privacy: URIRef  # privacy
    shownAt: URIRef  # shown at
    supporter: URIRef  # supporter
    wave: URIRef  # wave
    wikidataCandidate: URIRef  # Wikidata candidate
    wikidataLinkState: URIRef  # Wikidata link state

    # Individuals
    Assault: URIRef  # assault
    Blacklist: URIRef  # blacklist
    CancelledProduction: URIRef  # cancelled production
    Coarse: URIRef  # coarse
    CriminalCase: URIRef  # criminal case
    DayPrecision: URIRef  # day precision
    Defected: URIRef  # defected
    Denunciation: URIRef  # public denunciation
    DidNotReturn: URIRef  # did not return
    Dismissal: URIRef  # dismissal
    EventCancelled: URIRef  # event cancelled
    Expelled: URIRef  # expelled
    Expulsion: URIRef  # expulsion
    ExtremismScreening: URIRef  # extremism screening
    Fine: URIRef  # fine
    Fled: URIRef  # fled
    ForeignAgentDesignation: URIRef  # foreign agent designation
    LeftAfterCaseClosed: URIRef  # left after case closed
    MonthPrecision: URIRef  # month precision
    NeedsReview: URIRef  # needs review
    NoItem: URIRef  # no item
    Pending: URIRef  # pending
    Public: URIRef  # public
    Relocated: URIRef  # relocated
    SentenceInAbsentia: URIRef  # sentence in absentia
    TreasonRisk: URIRef  # treason risk
    Verified: URIRef  # verified
    WantedList: URIRef  # wanted list
    Withheld: URIRef  # withheld
    YearPrecision: URIRef  # year precision
