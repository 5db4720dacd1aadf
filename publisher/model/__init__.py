"""Curated records and their loading from ``data/`` (plain Python, no rdflib)."""
