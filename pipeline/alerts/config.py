"""The alerting file (taxonomies/alerting.yaml): response deadlines per severity, regulator deadlines
for EV fire incidents, the channels alerts go to, and delivery timing. Validated into pydantic models;
errors name the file, the line and the field.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.yamlio import LocatedYaml

Minutes = Annotated[float, Field(gt=0)]
Hours = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelType(str, Enum):
    """Where a message is posted, in that receiver's format."""

    webhook = "webhook"  # generic JSON (the alert as a JSON object)
    wecom = "wecom"  # 企业微信群机器人, msgtype markdown
    dingtalk = "dingtalk"  # 钉钉自定义机器人, msgtype markdown, optional 加签
    feishu = "feishu"  # 飞书/Lark 自定义机器人, msg_type post, optional 签名校验


class ChannelSpec(_Strict):
    """One receiver. The URL and secret usually come from the environment, never from a committed file.

    Attributes:
        type: the message format.
        url: the webhook URL; `url_env` names an environment variable holding it instead.
        secret_env: environment variable holding the robot's signing secret (DingTalk SEC..., Feishu).
    """

    type: ChannelType = ChannelType.webhook
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None

    def resolved_url(self) -> str | None:
        return self.url or (os.environ.get(self.url_env) if self.url_env else None) or None

    def resolved_secret(self) -> str | None:
        return (os.environ.get(self.secret_env) if self.secret_env else None) or None


class Deadlines(_Strict):
    """Minutes after an alert is raised within which it must be acknowledged and first acted on."""

    acknowledge: Minutes
    owner_action: Minutes

    @model_validator(mode="after")
    def _order(self) -> Deadlines:
        if self.owner_action < self.acknowledge:
            raise ValueError(f"owner_action ({self.owner_action} min) must not come before acknowledge "
                             f"({self.acknowledge} min)")
        return self


class Regulator(_Strict):
    """Deadlines of a reportable incident (EV fire, smoke, thermal runaway: NEV safety-incident reporting).

    Attributes:
        categories: category ids (or id prefixes) the incident deadlines apply to.
        facts_hours: regulator-ready facts due this many hours after the alert.
        facts_hours_with_injuries: the same when the text reports injuries.
        full_report_hours: the full incident report.
        injury_terms: words that mark a report of injuries (受伤, 送医, ...); a term preceded by 没/无/未/不
            (没有人受伤) does not count.
    """

    categories: list[str] = ["safety.fire_smoke"]
    facts_hours: Hours = 12
    facts_hours_with_injuries: Hours = 6
    full_report_hours: Hours = 48
    injury_terms: list[str] = ["受伤", "烧伤", "伤者", "伤员", "送医", "住院", "身亡", "死亡", "遇难", "伤亡"]

    def applies(self, category_id: str) -> bool:
        return any(category_id == c or category_id.startswith(c + ".") for c in self.categories)


class Delivery(_Strict):
    """How messages are sent.

    Attributes:
        timeout_seconds: per request.
        lease_seconds: a scan that claims a message holds it this long; after a timeout (the receiver
            may have it) the message is sent again, with the same idempotency key, only once the
            lease has expired.
        backoff_seconds: wait before the first retry after a failure; doubles per failed attempt.
        backoff_max_seconds: longest wait between attempts.
    """

    timeout_seconds: Annotated[float, Field(gt=0)] = 5
    lease_seconds: Annotated[float, Field(gt=0)] = 300
    backoff_seconds: Annotated[float, Field(gt=0)] = 5
    backoff_max_seconds: Annotated[float, Field(gt=0)] = 600

    @model_validator(mode="after")
    def _lease_outlives_request(self) -> Delivery:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(f"lease_seconds ({self.lease_seconds}) must be longer than timeout_seconds "
                             f"({self.timeout_seconds}): a lease ending mid-request lets another scan send again")
        return self


class AlertingConfig(_Strict):
    """Everything about alerts that operations may change without touching code."""

    deadlines: dict[str, Deadlines] = {"P0": Deadlines(acknowledge=30, owner_action=120),
                                       "P1": Deadlines(acknowledge=240, owner_action=1440)}
    regulator: Regulator = Regulator()
    channels: dict[str, ChannelSpec] = {"primary": ChannelSpec(url_env="VOC_ALERT_WEBHOOK")}
    delivery: Delivery = Delivery()

    @model_validator(mode="after")
    def _primary(self) -> AlertingConfig:
        unknown = set(self.channels) - {"primary", "escalation"}
        if unknown:
            raise ValueError(f"channels: expected the routes 'primary' and optionally 'escalation', got {sorted(unknown)}")
        if "primary" not in self.channels:
            raise ValueError("channels: a 'primary' channel is required")
        return self


def load_alerting(path: str | Path | None) -> AlertingConfig:
    """Load and validate the alerting file (None: the defaults); InputError names file, line and field."""
    if path is None:
        return AlertingConfig()
    return LocatedYaml.load(path).validate(AlertingConfig)
