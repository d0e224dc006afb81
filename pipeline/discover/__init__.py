"""Issue topic discovery: BERTopic fit/assign, topic -> category mapping, emerging topics."""

from pipeline.discover.mapping import TOPIC_COLUMNS, describe_topics
from pipeline.discover.topics import OUTLIER, TopicModel, read_manifest

__all__ = ["OUTLIER", "TOPIC_COLUMNS", "TopicModel", "describe_topics", "read_manifest"]
