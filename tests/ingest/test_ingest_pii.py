"""PII masking: every kind of personal data is masked, ordinary numbers are kept."""

from __future__ import annotations


import pandas as pd
import pytest

from pipeline.ingest.pii import mask_pii, mask_pii_series

MASKED = [
    # mobile numbers
    ("我的电话13812345678谢谢", "我的电话[手机号]谢谢"),
    ("联系+86 138 1234 5678", "联系[手机号]"),
    ("86-13912345678", "[手机号]"),
    ("电话是138-1234-5678。", "电话是[手机号]。"),
    ("手机：１３８１２３４５６７８", "手机：[手机号]"),  # full-width digits
    # landlines
    ("座机010-12345678转123", "座机[座机]"),
    ("店里电话0755-1234567", "店里电话[座机]"),
    ("(020)87654321", "[座机]"),
    ("021 12345678 有人接", "[座机] 有人接"),
    # ID cards
    ("身份证110101199003071234", "身份证[身份证]"),
    ("身份证号11010119900307123X。", "身份证号[身份证]。"),
    ("旧证110101900307123", "旧证[身份证]"),
    # VINs
    ("车架号LSVAB2BR5EM123456，请查", "车架号[VIN]，请查"),
    ("vin: lsvab2br5em123456", "vin: [VIN]"),
    # licence plates
    ("车牌粤B12345被刮", "车牌[车牌]被刮"),
    ("京A·12345", "[车牌]"),
    ("沪A 1234X", "[车牌]"),
    ("新能源粤BD12345", "新能源[车牌]"),
    ("苏E12345D", "[车牌]"),
    # e-mail
    ("邮箱abc.d@qq.com谢谢", "邮箱[邮箱]谢谢"),
    ("发到13812345678@163.com", "发到[邮箱]"),
    # several kinds in one text
    ("车主张三 13812345678，车牌川A88888", "车主张三 [手机号]，车牌[车牌]"),
]

KEPT = [
    "售价25.98万，落地28万",
    "2026-05-03 提车",
    "2026年5月3日 10:00",
    "开了12000公里",
    "车机版本V3.2.0还是卡",
    "远航S7的异响",
    "Model 3 和 Model Y",
    "24-inch 轮毂",
    "续航520km，0-100加速3.9秒",
    "订单号20260503123456",
    "价格199999元",
    "客服热线400-820-8888",
    "新ES6",
    "新MODEL3",
    "ABCDEFGHJKLMNPRST",
    "12345678901234567",
    "1381234567890",  # 13 digits: not a phone number
    "没有任何异响",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_ordinary_numbers(text: str) -> None:
    assert mask_pii(text) == text


def test_series_keeps_missing_and_index() -> None:
    s = pd.Series(["电话13812345678", None, "没问题"], index=[10, 11, 12], dtype="str")
    out = mask_pii_series(s)
    assert out.index.tolist() == [10, 11, 12]
    assert out.iloc[0] == "电话[手机号]"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == "没问题"
    assert s.iloc[0] == "电话13812345678"  # input untouched


def test_20k_texts_are_all_masked() -> None:
    # Speed is measured by benchmarks/bench_pii.py (tests assert no timings: the machine is shared).
    base = [
        "过减速带底盘咯吱咯吱响，售价25.98万，开了12000公里",
        "电话13812345678，车牌粤B12345，车架号LSVAB2BR5EM123456",
        "销售态度很好，提车顺利",
    ]
    s = pd.Series([base[i % 3] + str(i) for i in range(20_000)], dtype="str")
    out = mask_pii_series(s)
    assert out.str.contains("[手机号]", regex=False).sum() == 6667
