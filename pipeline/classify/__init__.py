"""Clause classification against the taxonomy: rules with negation scope, semantic similarity, polarity."""

from pipeline.classify.classifier import MENTION_COLUMNS, Classifier
from pipeline.classify.rules import RuleHit, RuleMatcher, example_failures

__all__ = ["MENTION_COLUMNS", "Classifier", "RuleHit", "RuleMatcher", "example_failures"]
