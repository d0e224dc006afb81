"""Channel backends: each robot's documented payload shape and signature, and a real POST to a local
receiver. Formats: WeCom group robot (msgtype markdown, markdown.content <= 4096 bytes); DingTalk
custom robot (msgtype markdown with title/text; 加签 = timestamp ms + base64 HMAC-SHA256 of
"timestamp\\nsecret" keyed by the secret, URL-encoded, as URL parameters); Feishu custom bot (msg_type
post, content.post.zh_cn.{title, content: [[{tag: text, text}]]}; 签名校验 = timestamp s + base64
HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty message, in the body)."""

import base64
import hashlib
import hmac
import urllib.parse
from datetime import datetime

import pytest

from pipeline.alerts.channels import (DingTalkChannel, FeishuChannel, NotDelivered, WebhookChannel, WeComChannel,
                                      dingtalk_sign, feishu_sign, make_channel)
from pipeline.alerts.config import ChannelSpec, ChannelType
from pipeline.alerts.message import alert_message
from tests.alerts.receiver import Receiver, free_port

ALERT = {
    "alert_id": "alert-0123456789abcdef", "feedback_id": "call:42", "category_id": "safety.brake_failure",
    "severity": "P0", "channel": "call_center", "created_at": "2026-07-20 10:00:00", "vehicle_id": "veh-9f2c",
    "vehicle_model": "远航E6", "region": "华东", "dealer": "杭州西湖店", "text": "高速上刹车失灵，车主电话[手机号]",
    "matched_terms": "刹车失灵", "duplicates": 1, "detector": "rules", "status": "open",
    "raised_at": datetime(2026, 7, 20, 2, 0), "ack_due_at": datetime(2026, 7, 20, 2, 30),
    "action_due_at": datetime(2026, 7, 20, 4, 0),
}
MSG = alert_message(ALERT, "刹车失灵", ["底盘研发", "质量部"])
SECRET = "SEC0123456789abcdef"
NOW = 1784512800.25  # fixed send time (epoch seconds)


def test_message_in_chinese_names_vehicle_dealer_category_detector_and_deadline():
    from pipeline.alerts.message import markdown

    title, text = markdown(MSG)
    assert title == "【红线预警】刹车失灵：远航E6"
    for part in ("远航E6", "veh-9f2c", "杭州西湖店", "刹车失灵", "检测：规则 (rules)", "确认时限：2026-07-20 10:30 (北京时间)",
                 "处置时限：2026-07-20 12:00 (北京时间)", "底盘研发、质量部", "[手机号]", "alert-0123456789abcdef"):
        assert part in text, part


def test_wecom_markdown_shape_and_size_cap():
    body = WeComChannel("http://x").body(MSG, NOW)
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"content"} and body["markdown"]["content"].startswith("### 【红线预警】")
    long = WeComChannel("http://x").body({**MSG, "text": "刹车失灵" * 2000, "reason": "原因" * 2000}, NOW)
    assert len(long["markdown"]["content"].encode("utf-8")) <= 4096


def test_dingtalk_markdown_shape_and_signed_url():
    ch = DingTalkChannel("https://oapi.dingtalk.com/robot/send?access_token=abc", SECRET)
    body = ch.body(MSG, NOW)
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"] == MSG["title"]
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(ch.url_for(NOW)).query))
    assert q["access_token"] == "abc" and q["timestamp"] == str(int(NOW * 1000))
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{q['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert q["sign"] == expected.decode()  # parse_qsl decodes the URL-encoding
    assert dingtalk_sign(SECRET, 1) != dingtalk_sign(SECRET, 2)
    assert DingTalkChannel("https://oapi.dingtalk.com/robot/send?access_token=abc").url_for(NOW).endswith("=abc")


def test_feishu_post_shape_and_signature():
    body = FeishuChannel("http://x").body(MSG, NOW)
    assert body["msg_type"] == "post" and "sign" not in body
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == MSG["title"]
    assert all(isinstance(line, list) and line[0]["tag"] == "text" for line in post["content"])
    assert any("杭州西湖店" in line[0]["text"] for line in post["content"])
    signed = FeishuChannel("http://x", SECRET).body(MSG, NOW)
    assert signed["timestamp"] == str(int(NOW))
    key = f"{int(NOW)}\n{SECRET}".encode()
    assert signed["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert signed["sign"] == feishu_sign(SECRET, int(NOW))


@pytest.mark.parametrize("kind", list(ChannelType))
def test_each_channel_posts_to_a_local_receiver_with_the_idempotency_key(kind, monkeypatch):
    answer = {"feishu": {"code": 0, "msg": "success"}}.get(kind.value, {"errcode": 0, "errmsg": "ok"})
    with Receiver(answer=answer) as rx:
        monkeypatch.setenv("VOC_TEST_HOOK", rx.url + "?access_token=t")
        monkeypatch.setenv("VOC_TEST_SECRET", SECRET)
        ch = make_channel(ChannelSpec(type=kind, url_env="VOC_TEST_HOOK", secret_env="VOC_TEST_SECRET"))
        assert ch.send(MSG, "alert-0123456789abcdef", timeout=2) is None
    [p] = rx.posts
    assert p["key"] == "alert-0123456789abcdef" and p["path"] == "/hook"
    assert p["headers"]["Content-Type"].startswith("application/json")
    if kind is ChannelType.webhook:
        assert p["body"] == MSG
    elif kind is ChannelType.dingtalk:
        assert p["body"]["msgtype"] == "markdown" and {"timestamp", "sign"} <= set(p["query"])
    elif kind is ChannelType.wecom:
        assert p["body"]["msgtype"] == "markdown" and "远航E6" in p["body"]["markdown"]["content"]
    else:
        assert p["body"]["msg_type"] == "post" and {"timestamp", "sign"} <= set(p["body"])


def test_robot_error_codes_and_unreachable_receivers_are_failures():
    with Receiver(answer={"errcode": 310000, "errmsg": "sign not match"}) as rx:
        assert "robot refused" in DingTalkChannel(rx.url, SECRET).send(MSG, "k", timeout=2)
    with Receiver(answer={"code": 19021, "msg": "sign match fail"}) as rx:
        assert "robot refused" in FeishuChannel(rx.url, SECRET).send(MSG, "k", timeout=2)
    with pytest.raises(NotDelivered):
        WebhookChannel(f"http://127.0.0.1:{free_port()}/hook").send(MSG, "k", timeout=1)
    assert make_channel(ChannelSpec(type="wecom", url_env="VOC_UNSET_HOOK_XYZ")) is None  # no URL: stays queued
