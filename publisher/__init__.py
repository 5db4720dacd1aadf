"""Émigré: a linked-open-data publisher for the cultural exodus from Russia."""

__version__ = "0.1.0"
