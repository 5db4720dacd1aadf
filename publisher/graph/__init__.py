"""Records -> RDF (pyoxigraph terms), one entity at a time."""
