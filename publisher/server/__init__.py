"""The HTTP side of Émigré: content negotiation, documents, SPARQL, reconciliation, OAI-PMH."""
