"""The robot channels against a local server that checks signatures like the platforms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from jixiao.notifications.channels import RobotMessage, WebhookError, dingtalk, feishu, webhook_send
from jixiao.notifications.channels.base import HttpAnswer
from jixiao.notifications.channels.wecom import MAX_CONTENT_BYTES
from jixiao.notifications.channels.wecom import markdown as wecom_markdown
from tests.notifications.conftest import DINGTALK_SECRET, FEISHU_SECRET, RobotServer

MESSAGE = RobotMessage(
    title="Q3 考核自评开始",
    body="请在 10 月 15 日前完成自评。",
    link="http://127.0.0.1:8000/reviews/3/",
    link_label="在绩效中查看",
    recipients_line="致：王姐、李哥",
)


def test_dingtalk_signature_matches_the_documented_recipe() -> None:
    # DingTalk's documentation: HMAC-SHA256 keyed with the secret over "timestamp\nsecret",
    # Base64, then URL-encoded into the query.
    timestamp = 1_700_000_000_000
    expected = base64.b64encode(
        hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    ).decode()
    assert dingtalk.sign(timestamp, "SECabc") == expected
    url, payload = dingtalk.build(
        url="https://oapi.dingtalk.com/robot/send?access_token=t",
        secret="SECabc",
        message=MESSAGE,
        now=1_700_000_000.0,
    )
    query = parse_qs(urlsplit(url).query)
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [expected]  # parse_qs undoes the URL encoding
    assert payload["msgtype"] == "markdown"
    assert "#### Q3 考核自评开始" in payload["markdown"]["text"]
    assert "[在绩效中查看](http://127.0.0.1:8000/reviews/3/)" in payload["markdown"]["text"]


def test_feishu_signature_keys_hmac_with_timestamp_and_secret() -> None:
    key = b"1700000000\nsecret"
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu.sign(1_700_000_000, "secret") == expected
    _url, payload = feishu.build(
        url="https://x/hook/t", secret="secret", message=MESSAGE, now=1_700_000_000.9
    )
    assert payload["timestamp"] == "1700000000"
    assert payload["sign"] == expected
    post = payload["content"]["post"]["zh_cn"]
    assert post["title"] == "Q3 考核自评开始"
    assert {"tag": "a", "text": "在绩效中查看", "href": "http://127.0.0.1:8000/reviews/3/"} in post[
        "content"
    ][-1]


def test_unsigned_robots_send_no_signature() -> None:
    url, payload = dingtalk.build(
        url="https://x/robot/send?access_token=t", secret="", message=MESSAGE, now=1.0
    )
    assert "sign" not in url
    _url, payload = feishu.build(url="https://x/hook/t", secret="", message=MESSAGE, now=1.0)
    assert "sign" not in payload


def test_wecom_markdown_is_cut_to_the_platform_limit() -> None:
    long = RobotMessage(title="长消息", body="绩" * 5000)
    content = wecom_markdown(long)
    assert len(content.encode()) <= MAX_CONTENT_BYTES
    assert content.endswith("…")


@pytest.mark.parametrize(
    ("platform", "secret"),
    [("dingtalk", DINGTALK_SECRET), ("feishu", FEISHU_SECRET), ("wecom", "")],
)
def test_each_platform_accepts_a_correct_message(
    robot_server: RobotServer, platform: str, secret: str
) -> None:
    result = webhook_send(
        platform=platform, url=robot_server.url(platform), secret=secret, message=MESSAGE
    )
    assert result.status == 200
    assert json.loads(result.answer) in (
        {"errcode": 0, "errmsg": "ok"},
        {"code": 0, "data": {}, "msg": "success"},
    )
    (received,) = robot_server.accepted()
    assert received["content_type"].startswith("application/json")


def test_dingtalk_wrong_secret_is_refused_with_310000(robot_server: RobotServer) -> None:
    with pytest.raises(WebhookError) as caught:
        webhook_send(
            platform="dingtalk",
            url=robot_server.url("dingtalk"),
            secret="SECwrong",
            message=MESSAGE,
        )
    assert "310000" in caught.value.message
    assert json.loads(caught.value.answer)["errcode"] == 310000


def test_feishu_wrong_secret_is_refused_with_19021(robot_server: RobotServer) -> None:
    with pytest.raises(WebhookError) as caught:
        webhook_send(
            platform="feishu", url=robot_server.url("feishu"), secret="nope", message=MESSAGE
        )
    assert "19021" in caught.value.message


def test_wecom_wrong_key_is_refused(robot_server: RobotServer) -> None:
    with pytest.raises(WebhookError, match="93000"):
        webhook_send(
            platform="wecom",
            url=f"{robot_server.base_url}/cgi-bin/webhook/send?key=wrong",
            secret="",
            message=MESSAGE,
        )


def test_http_error_and_unreachable_server_are_errors(robot_server: RobotServer) -> None:
    robot_server.fail_next = 1
    with pytest.raises(WebhookError, match="HTTP 503") as caught:
        webhook_send(platform="wecom", url=robot_server.url("wecom"), secret="", message=MESSAGE)
    assert caught.value.status == 503
    with pytest.raises(WebhookError, match="connection failed"):
        webhook_send(
            platform="wecom",
            url="http://127.0.0.1:9/cgi-bin/webhook/send?key=x",
            secret="",
            message=MESSAGE,
        )


def test_non_json_answer_is_an_error() -> None:
    with pytest.raises(WebhookError, match="not JSON"):
        dingtalk.check(HttpAnswer(status=200, text="<html>proxy error</html>"))


def test_only_http_and_https_are_posted() -> None:
    with pytest.raises(WebhookError, match="http"):
        webhook_send(platform="wecom", url="file:///etc/passwd", secret="", message=MESSAGE)
