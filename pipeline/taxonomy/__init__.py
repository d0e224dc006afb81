"""Issue taxonomy: categories, department ownership, rules and examples that analysts edit."""

from pipeline.taxonomy.model import Category, Department, Severity, Taxonomy, load_taxonomy

__all__ = ["Category", "Department", "Severity", "Taxonomy", "load_taxonomy"]
