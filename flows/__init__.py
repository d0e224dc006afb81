"""Prefect flows: wiring of `pipeline/` stages, plus all reading and writing."""
