"""The `voc` command line: the layer above `flows/` and `pipeline/` that people type commands into."""
