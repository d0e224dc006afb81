"""Red-line alerts: detect P0 feedback, deduplicate by feedback and vehicle, deliver through an outbox."""

from pipeline.alerts.detect import ALERT_COLUMNS, DUPLICATE_COLUMNS, new_alerts, red_line_mentions
from pipeline.alerts.scan import scan_mentions

__all__ = ["ALERT_COLUMNS", "DUPLICATE_COLUMNS", "new_alerts", "red_line_mentions", "scan_mentions"]
