"""Red-line alerts: detect P0 feedback, deduplicate by feedback and vehicle (detect), fix response
deadlines and track review events (lifecycle), word the message (message), send it exactly once
through an outbox (outbox) to a webhook or a WeCom / DingTalk / Feishu robot (channels)."""

from pipeline.alerts.detect import ALERT_COLUMNS, DUPLICATE_COLUMNS, new_alerts, red_line_mentions
from pipeline.alerts.scan import scan_mentions

__all__ = ["ALERT_COLUMNS", "DUPLICATE_COLUMNS", "new_alerts", "red_line_mentions", "scan_mentions"]
