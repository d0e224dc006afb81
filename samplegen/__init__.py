"""Synthetic Chinese Voice-of-Customer data with ground truth and planted effects of known size."""

from pipeline.sample_data.generator import SampleData, generate
from pipeline.sample_data.writer import write_data, write_sample

__all__ = ["SampleData", "generate", "write_data", "write_sample"]
