"""Synthetic Chinese Voice-of-Customer data with ground truth and planted effects of known size."""

from samplegen.generator import SampleData, generate
from samplegen.writer import write_data, write_sample

__all__ = ["SampleData", "generate", "write_data", "write_sample"]
