"""A planted personal-data corpus: every written form the ingest must mask, and look-alikes it must keep.

Deterministic (seeded), written for these tests; shared by tests/hostile/test_pii_corpus.py and
scripts/audit_pii.py, which prints the survival and over-masking table.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_VIN_VALUE = {
    **{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_CONTEXTS = ("我的电话{}谢谢", "联系方式：{}。", "{}", "有问题请找{}，尽快处理", "车主留了{}，异响很大",
             "售后说会回电话（{}）但是没有")
_FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}


@dataclass(frozen=True)
class Planted:
    kind: str
    form: str  # how it is written (for the table)
    value: str  # the personal data as written
    text: str  # the value inside a sentence

    @property
    def core(self) -> str:
        """What must not be readable after masking: its letters and digits, separators dropped."""
        return _core(self.value)


def _core(s: str) -> str:
    s = html.unescape(unicodedata.normalize("NFKC", s))
    return "".join(c for c in s.upper() if c.isalnum())


def survives(planted: Planted, masked: str) -> bool:
    """True when the planted value can still be read (separators ignored) in the masked text."""
    return planted.core in _core(masked)


def _digits(r: random.Random, n: int) -> str:
    return "".join(str(r.randint(0, 9)) for _ in range(n))


def mobile(r: random.Random) -> str:
    return r.choice(("138", "139", "135", "150", "158", "186", "189", "177", "199", "181")) + _digits(r, 8)


def id_card(r: random.Random) -> str:
    body = (r.choice(("110101", "310104", "440106", "330106", "510107")) + str(r.randint(1960, 2005))
            + f"{r.randint(1, 12):02d}{r.randint(1, 28):02d}" + _digits(r, 3))
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11]


def vin(r: random.Random) -> str:
    chars = [c for c in r.choice(("LSV", "LFV", "LGW", "LVG", "LHG"))] + [r.choice(_VIN_CHARS) for _ in range(14)]
    chars[8] = "0"
    chars[8] = "0123456789X"[sum(_VIN_VALUE[c] * w for c, w in zip(chars, _VIN_WEIGHTS)) % 11]
    return "".join(chars)


def bank_card(r: random.Random, n: int) -> str:
    body = r.choice(("6222", "6217", "6228", "4367", "6225")) + _digits(r, n - 5)
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _group(s: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i : i + n])
        i += n
    return sep.join(out)


def _entities(s: str) -> str:
    return "".join(f"&#{ord(c)};" if c.isdigit() else c for c in s)


_FORMS: dict[str, list[tuple[str, Callable[[random.Random], str]]]] = {
    "mobile": [
        ("plain", mobile),
        ("3-4-4 space", lambda r: _group(mobile(r), (3, 4, 4), " ")),
        ("3-4-4 ideographic space", lambda r: _group(mobile(r), (3, 4, 4), "\u3000")),
        ("3-4-4 spaced dash", lambda r: _group(mobile(r), (3, 4, 4), " - ")),
        ("3-4-4 slash", lambda r: _group(mobile(r), (3, 4, 4), "/")),
        ("3-4-4 full-width dash", lambda r: _group(mobile(r), (3, 4, 4), "－")),
        ("3-4-4 em dash", lambda r: _group(mobile(r), (3, 4, 4), "—")),
        ("3-3-5", lambda r: _group(mobile(r), (3, 3, 5), " ")),
        ("4-3-4", lambda r: _group(mobile(r), (4, 3, 4), "-")),
        ("+86", lambda r: "+86 " + mobile(r)),
        ("+86 dashed", lambda r: "+86-" + _group(mobile(r), (3, 4, 4), "-")),
        ("0086", lambda r: "0086" + mobile(r)),
        ("full-width digits", lambda r: mobile(r).translate(_FULLWIDTH)),
        ("full-width +86", lambda r: "＋８６ " + mobile(r).translate(_FULLWIDTH)),
        ("emoji separators", lambda r: _group(mobile(r), (3, 4, 4), "📞")),
        ("HTML entities", lambda r: _entities(mobile(r))),
        ("no-break spaces", lambda r: _group(mobile(r), (3, 4, 4), "\u00a0")),
    ],
    "landline": [
        ("020-8888-6666", lambda r: f"020-{r.randint(2, 8)}{_digits(r, 3)}-{_digits(r, 4)}"),
        ("(0755)", lambda r: f"（0755）{r.randint(2, 8)}{_digits(r, 7)}"),
        ("(010) ascii", lambda r: f"(010) {r.randint(2, 8)}{_digits(r, 7)}"),
        ("+86 10", lambda r: f"+86 10 {r.randint(2, 8)}{_digits(r, 7)}"),
        ("+86 (0)21", lambda r: f"+86 21-{r.randint(2, 8)}{_digits(r, 7)}"),
        ("full-width dash", lambda r: f"0755－{r.randint(2, 8)}{_digits(r, 7)}"),
        ("7-digit local", lambda r: f"0571-{r.randint(2, 8)}{_digits(r, 6)}"),
        ("spaced 4-4", lambda r: f"021 {r.randint(2, 8)}{_digits(r, 3)} {_digits(r, 4)}"),
        ("extension", lambda r: f"010-{r.randint(2, 8)}{_digits(r, 7)}转{_digits(r, 3)}"),
        ("plain", lambda r: f"028{r.randint(2, 8)}{_digits(r, 7)}"),
    ],
    "id_card": [
        ("plain", id_card),
        ("6-8-4", lambda r: _group(id_card(r), (6, 8, 4), " ")),
        ("6-4-4-4", lambda r: _group(id_card(r), (6, 4, 4, 4), " ")),
        ("dashes", lambda r: _group(id_card(r), (6, 8, 4), "-")),
        ("ending X", lambda r: next(x for x in iter(lambda: id_card(r), None) if x.endswith("X"))),
        ("ending x", lambda r: next(x for x in iter(lambda: id_card(r), None) if x.endswith("X")).lower()),
        ("full-width digits", lambda r: id_card(r).translate(_FULLWIDTH)),
        ("ideographic spaces", lambda r: _group(id_card(r), (6, 8, 4), "\u3000")),
    ],
    "vin": [
        ("plain", vin),
        ("lower case", lambda r: vin(r).lower()),
        ("3-6-8", lambda r: _group(vin(r), (3, 6, 8), " ")),
        ("4-4-4-4-1", lambda r: _group(vin(r), (4, 4, 4, 4, 1), " ")),
        ("dashes", lambda r: _group(vin(r), (3, 6, 8), "-")),
        ("full-width", lambda r: unicodedata.normalize("NFKC", vin(r)).translate(
            {ord(c): ord(c) + 0xFEE0 for c in _VIN_CHARS})),
    ],
    "plate": [
        ("粤B12345", lambda r: f"粤B{_digits(r, 5)}"),
        ("lower case", lambda r: f"粤b{_digits(r, 5)}"),
        ("middle dot", lambda r: f"京A·{_digits(r, 5)}"),
        ("space", lambda r: f"沪C {_digits(r, 4)}X"),
        ("letters inside", lambda r: f"苏E{r.choice('ABCDEFGH')}{_digits(r, 4)}"),
        ("learner 学", lambda r: f"粤B{_digits(r, 4)}学"),
        ("police 警", lambda r: f"京A{_digits(r, 4)}警"),
        ("trailer 挂", lambda r: f"鲁B{_digits(r, 4)}挂"),
        ("new-energy D", lambda r: f"粤BD{_digits(r, 5)}"),
        ("new-energy F", lambda r: f"浙AF{r.choice('ABC')}{_digits(r, 4)}"),
        ("new-energy lower", lambda r: f"川ad{_digits(r, 5)}"),
        ("big new-energy", lambda r: f"苏E{_digits(r, 5)}D"),
    ],
    "email": [
        ("plain", lambda r: f"{r.choice(('zhangwei', 'li.na', 'wf88'))}{_digits(r, 2)}@qq.com"),
        ("digits", lambda r: f"{mobile(r)}@163.com"),
        ("spaced @", lambda r: f"zhang{_digits(r, 3)} @ qq.com"),
        ("[at]", lambda r: f"li.na{_digits(r, 2)}[at]gmail.com"),
        ("(at)", lambda r: f"wang_{_digits(r, 3)}(at)126.com"),
        ("[at] [dot]", lambda r: f"chen{_digits(r, 2)} [at] sina [dot] com"),
        ("full-width @", lambda r: f"zhao{_digits(r, 3)}＠163.com"),
        ("subdomain", lambda r: f"ops{_digits(r, 2)}@mail.dealer.com.cn"),
    ],
    "qq": [
        ("QQ：", lambda r: f"QQ：{r.randint(1, 9)}{_digits(r, r.randint(5, 9))}"),
        ("qq space", lambda r: f"qq {r.randint(1, 9)}{_digits(r, 8)}"),
        ("扣扣", lambda r: f"扣扣{r.randint(1, 9)}{_digits(r, 7)}"),
        ("企鹅号", lambda r: f"企鹅号：{r.randint(1, 9)}{_digits(r, 8)}"),
        ("QQ号是", lambda r: f"QQ号是{r.randint(1, 9)}{_digits(r, 9)}"),
    ],
    "bank_card": [
        ("16 plain", lambda r: bank_card(r, 16)),
        ("19 plain", lambda r: bank_card(r, 19)),
        ("4-4-4-4", lambda r: _group(bank_card(r, 16), (4, 4, 4, 4), " ")),
        ("4-4-4-4-3", lambda r: _group(bank_card(r, 19), (4, 4, 4, 4, 3), " ")),
        ("dashes", lambda r: _group(bank_card(r, 16), (4, 4, 4, 4), "-")),
        ("6-13", lambda r: _group(bank_card(r, 19), (6, 13), " ")),
    ],
}

_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄涛", "周杰伦", "欧阳", "吴晓明", "孙丽")
_NAME_FORMS = (
    ("我叫", "我叫{}，车子异响"), ("我叫 glued", "我叫{}想投诉一下"), ("本人", "本人{}，要求退车"),
    ("姓名：", "姓名：{} 电话未留"), ("联系人", "联系人：{}"), ("我的名字是", "我的名字是{}。"),
)


def planted(seed: int = 14, per_form: int = 4) -> list[Planted]:
    """Every form `per_form` times in rotating sentence contexts (about 330 strings for 4)."""
    r = random.Random(seed)
    out: list[Planted] = []
    for kind, forms in _FORMS.items():
        for form, make in forms:
            for i in range(per_form):
                value = make(r)
                out.append(Planted(kind, form, value, _CONTEXTS[(len(out) + i) % len(_CONTEXTS)].format(value)))
    for form, template in _NAME_FORMS:
        for i in range(per_form):
            name = _NAMES[(len(out) + i) % len(_NAMES)]
            out.append(Planted("name", form, name, template.format(name)))
    for i in range(per_form):
        surname = "王李张刘"[i]
        out.append(Planted("name", "我姓", surname, f"我姓{surname}，上周提的车"))
    return out


# Ordinary text that looks like personal data and must be kept as written.
LOOK_ALIKES: tuple[str, ...] = (
    "售价25.98万，落地28万", "落地价28.5万元", "开了3万公里", "已经开了12000公里", "保养5000公里一次",
    "2026-05-03 提车", "2026/05/03提的车", "2026年5月3日 10:00", "20260503到店", "2026.05.03",
    "10:30到店等到14:45", "等了45天", "第3次返厂", "花了15800元", "维修费3,580元", "30%的电量",
    "车机版本V3.2.0还是卡", "OTA 2.5.1 之后更卡", "远航S7的异响", "Model 3 和 Model Y", "新ES6",
    "新MODEL3", "汉EV续航不行", "秦PLUS DM-i", "宋PLUS DM-i 2023款", "ID.4 CROZZ", "EA888发动机",
    "DCT450变速箱", "1.5T发动机抖", "2.0TSI动力", "24-inch 轮毂", "235/55 R19 轮胎", "245/45R20",
    "续航520km，0-100加速3.9秒", "百公里油耗6.8L", "胎压2.5bar", "7座SUV", "0-100km/h 6.9s",
    "订单号20260503123456", "订单号：2026050312345678", "工单号 WO-2026-000123", "单号6222020312345678901",
    "零件号 5QD 853 601 A", "件号06L-115-562-B", "配件编号 8W0-907-115", "编号A12345",
    "客服热线400-820-8888", "4008208888打不通", "400 820 8888", "拨打12315投诉", "95588银行客服",
    "邮编100081", "ABCDEFGHJKLMNPRST", "12345678901234567", "1381234567890", "没有任何异响",
    "本人觉得车机太卡", "本人购买的车三个月就异响", "本人于上月提车", "本人车子异响", "我叫了客服三次",
    "我叫他们去修", "我姓名都填了还没回", "车主反馈刹车异响", "gmail.com 登录不了", "发邮件到售后邮箱",
    "@客服 快回复", "转发@远航汽车官方", "评分9分", "NPS 10分", "打了1分", "买了2辆",
    "2019 2020 2021 三年都有问题", "2023款和2024款", "第1234567号通知", "价格199999元", "总价 329800 元",
    "里程表 35678 km", "13.8万的车", "15万预算", "1/3的油", "3/4 油箱", "5-6月份", "12-18个月质保",
    "0.5秒延迟", "100-120km/h风噪大", "60-80码异响", "CarPlay连接断", "HUD显示不清", "A柱异响",
    "B柱有风噪", "C-NCAP 五星", "E-NCAP", "L2辅助驾驶", "NOA 2.0", "5G车机", "8155芯片", "8295芯片卡",
    "12.3英寸屏", "15.6寸中控", "4S店", "3年10万公里质保", "8年16万公里电池质保", "2次OTA",
    "2026Q1", "H1财报", "京东买的脚垫", "新能源车主", "粤港澳大湾区", "浙江杭州", "京A号段", "川藏线开过",
    "苏州工厂", "沪上牌照难", "鲁大师跑分", "闽南话导航", "云服务", "湘菜馆", "新疆自驾",
    "单价6.5元/度", "电费0.5元", "充电桩7kW", "快充120kW", "电池容量75kWh", "11kW慢充",
    "2026-05-03 10:00:00", "2026-05-03T10:00:00+08:00", "10/05/2026", "05-03", "第88888位车主",
    "VIN码在挡风玻璃下面", "QQ音乐连不上", "QQ音乐版本8.9.5", "扣扣群里说", "企鹅电竞",
)


def lookalikes() -> list[str]:
    return list(LOOK_ALIKES)


def over_masked(text: str, masked: str) -> bool:
    return masked != text


def has_placeholder(masked: str) -> bool:
    return bool(re.search(r"\[(?:手机号|座机|身份证|VIN|车牌|邮箱|QQ|银行卡|姓名)\]", masked))
