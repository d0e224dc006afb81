"""Alert channels: one interface, one backend per receiver format.

`Channel` states the job: turn a message (pipeline.alerts.message) into a request and judge the
answer. Each backend only does what differs: the generic JSON webhook, the WeCom (企业微信) group
robot, the DingTalk (钉钉) robot with its optional 加签, the Feishu/Lark (飞书) robot with its optional
签名校验. Every request carries the message's `Idempotency-Key`; the robots ignore the header, which is
why the outbox's lease, not the receiver, keeps them from getting a message twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable

from pipeline.alerts.config import ChannelSpec, ChannelType
from pipeline.alerts.message import markdown, plain_lines

# (url, body bytes, headers, timeout seconds) -> (HTTP status, response text)
Transport = Callable[[str, bytes, dict, float], tuple[int, str]]


class NotDelivered(OSError):
    """The request never reached the receiver (refused, unreachable, DNS): safe to send again."""


class OutcomeUnknown(OSError):
    """The request went out but no answer came (timeout, connection dropped): the receiver may have it."""


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, str]:
    """POST `body`; returns (status, response text).

    Raises:
        NotDelivered: the receiver could not be reached.
        OutcomeUnknown: sent, but no answer within `timeout` seconds.
    """
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536).decode("utf-8", "replace") if exc.fp else ""
    except urllib.error.URLError as exc:  # urllib wraps only errors raised before the request was sent
        raise NotDelivered(f"{type(exc.reason).__name__}: {exc.reason}") from None
    except OSError as exc:  # while waiting for the answer: timeout, connection reset
        raise OutcomeUnknown(f"{type(exc).__name__}: no answer within {timeout:g} s ({exc})") from None


class Channel(ABC):
    """One receiver of alert messages.

    Args:
        url: the webhook URL.
        secret: the signing secret, for robots that verify one.
        transport: how the request is sent (replaceable in tests).
    """

    type: ChannelType

    def __init__(self, url: str, secret: str | None = None, transport: Transport = post) -> None:
        self.url = url
        self.secret = secret
        self.transport = transport

    @abstractmethod
    def body(self, msg: dict, now: float) -> dict:
        """The JSON object posted for `msg`; `now` is the send time (epoch seconds), for signatures."""

    def url_for(self, now: float) -> str:
        return self.url

    def accepted(self, status: int, text: str) -> str | None:
        """None when the receiver took the message, else why not."""
        return None if 200 <= status < 300 else f"HTTP {status}"

    def send(self, msg: dict, key: str, timeout: float, now: float | None = None) -> str | None:
        """POST `msg` with `Idempotency-Key: key`; None on success, else the receiver's refusal.

        Raises:
            OutcomeUnknown: no answer in time.
            NotDelivered: the receiver could not be reached.
        """
        now = time.time() if now is None else now
        data = json.dumps(self.body(msg, now), ensure_ascii=False).encode("utf-8")
        status, text = self.transport(self.url_for(now), data, {
            "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}, timeout)
        return self.accepted(status, text)


class WebhookChannel(Channel):
    """Generic JSON webhook: the message itself (alert_id, category, text, deadlines, ...)."""

    type = ChannelType.webhook

    def body(self, msg: dict, now: float) -> dict:
        return msg


def _json_code(text: str, *fields: str) -> object:
    try:
        doc = json.loads(text)
    except ValueError:
        return "unreadable answer"
    for f in fields:
        if isinstance(doc, dict) and f in doc:
            return doc[f]
    return None


class _Robot(Channel):
    """Group robots answer HTTP 200 with an error code in the body (bad sign, rate limit, keyword)."""

    code_fields: tuple[str, ...] = ("errcode",)

    def accepted(self, status: int, text: str) -> str | None:
        if not 200 <= status < 300:
            return f"HTTP {status}"
        code = _json_code(text, *self.code_fields)
        return None if code in (0, None) else f"robot refused: {text[:200]}"


class WeComChannel(_Robot):
    """企业微信群机器人: {"msgtype": "markdown", "markdown": {"content": ...}} (content at most 4,096 bytes)."""

    type = ChannelType.wecom

    def body(self, msg: dict, now: float) -> dict:
        _, text = markdown(msg)
        raw = text.encode("utf-8")
        if len(raw) > 4096:
            text = raw[:4090].decode("utf-8", "ignore") + "…"
        return {"msgtype": "markdown", "markdown": {"content": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, "{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalkChannel(_Robot):
    """钉钉自定义机器人: {"msgtype": "markdown", "markdown": {"title", "text"}}; with a secret the URL gets
    `&timestamp=<ms>&sign=<sign>` (the timestamp must be within an hour of DingTalk's clock)."""

    type = ChannelType.dingtalk

    def body(self, msg: dict, now: float) -> dict:
        title, text = markdown(msg)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}

    def url_for(self, now: float) -> str:
        if not self.secret:
            return self.url
        ts = int(now * 1000)
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", empty message))."""
    return base64.b64encode(hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()).decode()


class FeishuChannel(_Robot):
    """飞书/Lark 自定义机器人: {"msg_type": "post", "content": {"post": {"zh_cn": {"title", "content"}}}};
    with a secret the body also carries "timestamp" (seconds, as a string) and "sign"."""

    type = ChannelType.feishu
    code_fields = ("code", "StatusCode")

    def body(self, msg: dict, now: float) -> dict:
        title, lines = plain_lines(msg)
        body = {"msg_type": "post", "content": {"post": {"zh_cn": {
            "title": title, "content": [[{"tag": "text", "text": line}] for line in lines]}}}}
        if self.secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **body}
        return body


CHANNELS: dict[ChannelType, type[Channel]] = {
    ChannelType.webhook: WebhookChannel, ChannelType.wecom: WeComChannel,
    ChannelType.dingtalk: DingTalkChannel, ChannelType.feishu: FeishuChannel,
}


def make_channel(spec: ChannelSpec, url: str | None = None, transport: Transport = post) -> Channel | None:
    """The backend for `spec`, or None when it has no URL (its messages stay queued).

    Args:
        spec: the configured channel.
        url: overrides the configured URL (the flow's `webhook_url` parameter).
        transport: how requests are sent.
    """
    url = url or spec.resolved_url()
    if not url:
        return None
    return CHANNELS[spec.type](url, spec.resolved_secret(), transport)
