"""Issue taxonomy: categories, department ownership, rules and examples that analysts edit."""

from pipeline.taxonomy.load import lint_taxonomies, load_taxonomies, load_taxonomy
from pipeline.taxonomy.model import Category, Department, PolarityMode, Scope, Severity, TaxonomyFile
from pipeline.taxonomy.resolved import Taxonomy

__all__ = [
    "Category", "Department", "PolarityMode", "Scope", "Severity", "Taxonomy", "TaxonomyFile", "lint_taxonomies",
    "load_taxonomies", "load_taxonomy",
]
