"""Everything that talks to Wikidata or speaks its formats: the HTTP client (the only code that
calls Wikidata), and the editors' tools built on what it fetches: candidate matching, the diff of
our claims against Wikidata's statements, QuickStatements and the Mix'n'match catalogue.
"""
