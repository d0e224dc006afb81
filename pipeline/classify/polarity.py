"""Clause tone for aspect categories: complaint, praise, neutral or question.

Issue categories (异响, 车机卡顿) are complaints by definition unless negated; aspect categories (动力,
价格) only name what is talked about, so the tone of the clause decides. Owners describe a lot without
judging (堵车油耗高, 高速省油), so a clause is neutral unless it says an opinion with enough weight:

- a judgement weighs 2: 不错, 满意, 不好, 垃圾, 不如, 牛; so does a description made emphatic by an
  intensifier (很省油, 太贵, 底盘非常稳); a plain description (省油, 便宜, 异响) weighs 1 and two of them
  are needed;
- gradable adjectives are read against the attribute they describe: 大/高/多 is praise for 空间, 动力,
  性价比 and a complaint for 油耗, 价格, 噪音 (空间很大, 油耗太高, 风噪很小). Such a reading is a
  description (空间大, 油耗高: often a figure or a circumstance, 堵车油耗高), except a comparison (空间比X大,
  油耗比X低), much of a nuisance (噪音大, 异味大) and 好 (动力好), which judge;
- negation right before a word flips it, across a degree adverb (不太好, 没那么大, 不是很贵);
- contrast: after 但是/不过/可是 the later part decides (价格很贵，不过配置很高 → praise);
- conditional or wishful clauses say no opinion (要是有天窗就完美了), nor do 差不多, 多少, 一般, 正常;
- no opinion → neutral, or question when the clause asks.

Weights tuned on the CCF BDCI 2018 train and dev splits (benchmarks/bench_ccf_classify.py), whose annotators
label many opinionated-looking clauses neutral: counting plain descriptions as opinions lowered the pair F1
there below always answering neutral.
"""

from __future__ import annotations

import re

QUESTION = re.compile(r"[？?]|吗$|呢$|^请问|^咨询|^想问|怎么办|如何|多少钱|能不能|是否")
PRAISE_WORDS = (
    "不错", "满意", "喜欢", "给力", "够用", "很好", "挺好", "真好", "好开", "舒服", "省油", "漂亮", "好看",
    "大气", "稳重", "划算", "实惠", "宽敞", "充足", "充沛", "安静", "精准", "灵活", "顺畅", "流畅", "平顺", "优秀",
    "完美", "出色", "厉害", "赞", "棒", "值得", "超值", "强劲", "有劲", "轻松", "放心",
    "靠谱", "没问题", "没毛病", "不贵", "不差", "还行", "杠杠", "没得说", "好评", "到位", "扎实", "高级", "精致", "惊喜", "爽", "省心", "很低",
    "便宜", "秒杀", "完胜", "带劲", "推背感", "皮实", "耐用", "可靠", "过硬", "强悍", "霸气", "帅", "牛", "好用",
    "舒适", "静音", "稳定", "稳", "踏实", "指哪打哪", "随叫随到", "还可以", "挺可以", "很可以", "优势", "优点",
    "省钱", "经济", "好于", "强于", "略胜", "胜出", "跟脚", "线性", "清晰", "顶级", "一流", "更好", "较好", "好些", "好点", "好一点",
)
COMPLAINT_WORDS = (
    "很差", "太差", "较差", "比较差", "差劲", "不好", "不行", "有问题", "出问题", "毛病", "太贵", "很贵", "偏贵",
    "有点贵", "贵了", "费油", "油耗高", "肉", "弱", "不足", "失望", "垃圾", "烂", "坑",
    "抖动", "异响", "顿挫", "吵", "噪音大", "窄", "太硬", "偏硬", "难看", "丑", "后悔", "缺点", "不够", "不如", "偏高", "太高",
    "太小", "偏小", "故障", "无力", "没劲", "吃力", "郁闷", "吐槽", "恶心", "可惜", "不满", "投诉", "凑合", "不舒服",
    "漏水", "漏油", "渣", "low", "不值", "缩水", "减配", "太慢", "很慢", "卡顿", "松散", "发飘",
    "爆震", "硬伤", "完败", "不咋地", "不咋样", "不怎么样", "比不上", "差点", "差了",
    "差距", "差很多", "差太多", "逊色", "乏力", "费劲", "拖拉", "迟钝", "肉肉", "虚位", "咯吱", "嘎吱", "异味", "生锈", "锈", "掉漆", "太软",
    "偏软", "心寒", "无奈", "醉了", "坑爹", "鸡肋", "简陋", "寒酸", "落后",
)
# Attributes whose degree is the opinion: +1 when more is better (空间大 is praise), -1 when more is worse
# (油耗高 is a complaint).
MORE_IS_BETTER = (
    "空间", "动力", "马力", "扭矩", "功率", "性价比", "配置", "安全性", "视野", "通过性", "离地间隙", "储物",
    "后备箱", "抓地力", "性能", "可靠性", "保值率", "保值", "优惠", "隔音", "加速", "提速", "后劲", "储备", "底盘",
    "质感", "档次", "品质", "颜值", "舒适性", "头部空间", "腿部空间", "续航", "刹车力", "制动力", "容积",
)
MORE_IS_WORSE = (
    "油耗", "价格", "售价", "价钱", "价位", "车价", "噪音", "噪声", "胎噪", "风噪", "路噪", "震动", "振动",
    "抖动", "顿挫", "异味", "味道", "故障率", "返修率", "保养费", "保养费用", "保养成本", "维修费", "养车成本",
    "费用", "油费", "机油消耗", "延迟", "迟滞", "虚位", "颠簸", "侧倾", "晃动", "油钱", "耗油",
)
_UP = "大|高|多|足|强|猛|充足|充裕|够|宽|长|快"
_DOWN = "小|低|少|弱|不足|窄|短|慢|省"
# Parts of longer words that are no degree: 大众, 高速, 小森, 多少, 低配 ...
_NOT_ADJ_AFTER = "众灯屏概约家改修部速配端原档级挡森毛时车排油门量于半点些了的空间数钱量少"
_DEGREE = ("很|挺|太|真|非常|特别|比较|蛮|相当|超级|超|十分|极其|极|更|还|也|略|稍微|稍|有点|有些|偏|较|最|巨|贼|"
           "相对|确实|实在|真心|明显|都|就|算|还算|会|要|是|得|了|确实是|真的|那么|这么|一点|一些|点|不少")
_NEG = "不|没|无|没有|不算|并不|并没有|一点不|一点也不|不是|不会|没那么|不太|不怎么|不那么"
_CONTRAST = re.compile(r"但是|但|不过|可是|然而|只不过|只是|可惜|就是有点|就是")
# Conditional or wishful clauses state no opinion (要是能有个天窗就完美了).
_HYPOTHETICAL = re.compile(r"如果|要是|假如|假设|万一|希望|就好了|建议|是不是|会不会|有没有|能否")
# Things that should not be there at all: saying there is much of them is a judgement (噪音大), while
# 油耗高 or 价格高 often only reports a figure or a circumstance (堵车油耗高).
NUISANCES = ("噪音", "噪声", "胎噪", "风噪", "路噪", "震动", "振动", "抖动", "顿挫", "异味", "味道", "虚位", "颠簸")
# An opinion needs this much weight: one judgement (2), or a description made emphatic (很省油) or two.
_THRESHOLD = 2


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, set(words)), key=len, reverse=True))


# Words that judge on their own (weight 2); the others describe (省油, 便宜, 异响) and weigh 1 unless an
# intensifier comes before them (很省油, 太贵).
STRONG_WORDS = (
    "不错", "满意", "给力", "完美", "出色", "优秀", "漂亮", "大气", "赞", "牛", "杠杠", "没得说", "惊喜", "秒杀", "完胜",
    "舒服", "可靠", "好评", "一流", "顶级", "优点", "很好", "挺好", "真好", "强悍", "霸气", "过硬", "带劲",
    "推背感", "指哪打哪", "超值", "垃圾", "丑", "不咋地", "不咋样", "不怎么样", "很差", "太差", "较差", "比较差",
    "差劲", "失望", "后悔", "坑", "坑爹", "缺点", "硬伤", "无力", "爆震", "完败", "渣", "恶心", "鸡肋", "醉了",
    "心寒", "无奈", "难看", "简陋", "寒酸", "郁闷", "吐槽", "不满", "投诉", "太贵", "太高", "太小", "噪音大",
    "不如", "比不上", "好于", "强于", "略胜", "胜出", "不好", "不行", "不贵",
)
_STRONG = set(STRONG_WORDS)
_COMPARISON = re.compile(r"比(?!较)")
_NUISANCE = set(NUISANCES)
_INTENSIFIER = re.compile(r"(?:很|太|非常|真|真的|特别|超|超级|挺|相当|十分|巨|贼|蛮|极其|最|实在|真心)$")
# one pattern, longest word first, so 没毛病 is read as praise and not also as 毛病
_LEXICON_SIGN = {**{w: -1 for w in COMPLAINT_WORDS}, **{w: 1 for w in PRAISE_WORDS}}
_LEXICON = re.compile(_alternation(_LEXICON_SIGN))
_NEG_BEFORE = re.compile(f"(?:{_NEG})(?:{_DEGREE})?$")
_ATTR_SIGN = {**{w: 1 for w in MORE_IS_BETTER}, **{w: -1 for w in MORE_IS_WORSE}}
_ATTR = re.compile(_alternation(_ATTR_SIGN))
# attribute, then up to 6 characters (比森林人, 还是, 确实), then the degree: 空间比森林人大, 油耗还是2.5的高
_ATTR_THEN_ADJ = re.compile(
    rf"(?P<attr>{_ATTR.pattern})(?P<gap>[^，,。！!？?；;但差波]{{0,6}}?)"
    rf"(?P<adj>{_DOWN}|{_UP}|好)(?![{_NOT_ADJ_AFTER}])(?<!多少)")
# the degree first: 高油耗, 大空间, 低价, 超大空间
_ADJ_THEN_ATTR = re.compile(r"(?<!最)(?P<adj>大|高|低|小)的?(?P<attr>空间|油耗|性价比|噪音|胎噪|风噪)")
# Words that hold a degree or a judgement word but say nothing about quality: 差不多, 多少, 好像, 牛米,
# 最大 (扭矩), and the A不A question (好不好, 贵不贵).
_NO_OPINION = re.compile(r"(\w)不\1|牛米|牛顿|最大|差不多|多少|好多|好几|好像|好好|大概|大约|大多|大部分|最好|正常|一般")
_UP_SET = set(_UP.split("|"))
# 好 judges the attribute directly, whatever its direction (动力好, 隔音好).
_JUDGE = {"好": 1}


def _negated(text: str, start: int) -> bool:
    return bool(_NEG_BEFORE.search(text[max(0, start - 6) : start]))


def _scored_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each opinion in `text`: the sign is the tone, 2 a judgement, 1 a description."""
    text = _NO_OPINION.sub(lambda m: "＿" * len(m.group(0)), text)
    spans = []
    for m in _ATTR_THEN_ADJ.finditer(text):
        adj, sign = m.group("adj"), _ATTR_SIGN[m.group("attr")]
        value = _JUDGE[adj] if adj in _JUDGE else (sign if adj in _UP_SET else -sign)
        # a comparison is a judgement: 空间比X大, 油耗比X低
        strong = adj in _JUDGE or _COMPARISON.search(m.group("gap")) or (m.group("attr") in _NUISANCE and value < 0)
        spans.append((m.start(), m.end(), _weigh(value, strong, text, m.start("adj"), m.group("gap"))))
    for m in _ADJ_THEN_ATTR.finditer(text):
        value = _ATTR_SIGN[m.group("attr")] * (1 if m.group("adj") in _UP_SET else -1)
        spans.append((m.start(), m.end(), value))
    taken = [(s, e) for s, e, _ in spans]
    for m in _LEXICON.finditer(text):
        word = m.group(0)
        if any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
            continue  # part of an attribute reading already scored (噪音 in 噪音太大)
        if text[m.end() : m.end() + 1] in ("性", "度"):
            continue  # 舒适性, 可靠性, 稳定度 name an attribute, they do not judge it
        # 不好 / 不行 / 不足 carry their own negation
        can_negate = not word.startswith(("不", "没", "无"))
        before = text[max(0, m.start() - 3) : m.start()]
        spans.append((m.start(), m.end(), _weigh(_LEXICON_SIGN[word], word in _STRONG, text, m.start(), before,
                                                 can_negate)))
    return spans


def _weigh(value: int, strong: bool, text: str, start: int, before: str, can_negate: bool = True) -> int:
    """The signed weight of an opinion word at `start`, given what comes before it."""
    if can_negate and _negated(text, start):
        return -value * (2 if strong else 1)
    return value * (2 if strong or _INTENSIFIER.search(before) else 1)


def _score(text: str) -> int:
    return sum(v for _, _, v in _scored_spans(text))


def clause_tone(text: str) -> str:
    """Tone of a clause: "complaint", "praise", "question" or "neutral".

    Args:
        text: one normalised clause.
    """
    # After a contrast the later part decides (价格贵，但是配置高); an unopinionated tail leaves the
    # earlier part's tone.
    parts = _CONTRAST.split(text)
    score = 0
    for part in reversed(parts):
        score = _score(part)
        if score:
            break
    if abs(score) < _THRESHOLD or _HYPOTHETICAL.search(text):
        score = 0
    if score > 0:
        return "praise"
    if score < 0:
        return "complaint"
    return "question" if QUESTION.search(text) else "neutral"
