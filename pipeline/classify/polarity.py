"""Clause tone for aspect categories: complaint, praise, neutral or question, from a small lexicon.

Issue categories (异响, 车机卡顿) are complaints by definition unless negated; aspect categories (动力,
价格) only name what is talked about, so the tone of the clause decides.
"""

from __future__ import annotations

import re

QUESTION = re.compile(r"[？?]|吗$|呢$|^请问|^咨询|^想问|怎么办|如何|多少钱|能不能|是否")
PRAISE_WORDS = (
    "不错", "满意", "喜欢", "给力", "够用", "很好", "挺好", "真好", "好开", "舒服", "省油", "漂亮", "好看",
    "大气", "稳重", "划算", "实惠", "宽敞", "充足", "充沛", "安静", "精准", "灵活", "顺畅", "流畅", "平顺", "优秀",
    "完美", "出色", "厉害", "赞", "棒", "值得", "超值", "强劲", "有劲", "轻松", "放心",
    "靠谱", "没问题", "没毛病", "不贵", "不差", "还行", "杠杠", "没得说", "好评", "到位", "扎实", "高级", "精致", "惊喜", "爽", "省心", "很低",
)
COMPLAINT_WORDS = (
    "很差", "太差", "较差", "比较差", "差劲", "不好", "不行", "有问题", "出问题", "毛病", "太贵", "很贵", "偏贵",
    "有点贵", "贵了", "费油", "油耗高", "肉", "弱", "不足", "失望", "垃圾", "烂", "坑",
    "抖动", "异响", "顿挫", "吵", "噪音大", "窄", "太硬", "偏硬", "难看", "丑", "后悔", "缺点", "不够", "不如", "偏高", "太高",
    "太小", "偏小", "故障", "无力", "没劲", "吃力", "郁闷", "吐槽", "恶心", "可惜", "不满", "投诉", "凑合", "不舒服",
    "漏水", "漏油", "渣", "low", "不值", "缩水", "减配", "太慢", "很慢", "卡顿", "松散", "发飘",
)
# A negation right before a tone word flips it (不满意, 不喜欢); words that carry their own
# negation (不好, 不贵, 没问题) are listed as they are.
_NEG = "不|没|无|没有|不算|并不|一点不|一点也不"
_PRAISE = re.compile("|".join(sorted(map(re.escape, PRAISE_WORDS), key=len, reverse=True)))
_COMPLAINT = re.compile("|".join(sorted(map(re.escape, COMPLAINT_WORDS), key=len, reverse=True)))
_NEG_BEFORE = re.compile(f"(?:{_NEG})$")


def clause_tone(text: str) -> str:
    """Tone of a clause: "complaint", "praise", "question" or "neutral".

    Args:
        text: one normalised clause.
    """
    score = 0
    for pattern, sign in ((_PRAISE, 1), (_COMPLAINT, -1)):
        for m in pattern.finditer(text):
            negated = bool(_NEG_BEFORE.search(text[max(0, m.start() - 4) : m.start()]))
            # 不好 / 不行 / 不足 carry their own negation
            if m.group(0).startswith(("不", "没", "无")):
                negated = False
            score += -sign if negated else sign
    if score > 0:
        return "praise"
    if score < 0:
        return "complaint"
    return "question" if QUESTION.search(text) else "neutral"
