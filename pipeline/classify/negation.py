"""Negation scope: is a matched issue term denied or resolved by what precedes it in the clause?"""

from __future__ import annotations

import re

# Words that deny the issue that follows: 开了一年没有任何异响 / 从来没卡过.
NEGATION_CUES = ("没有", "没", "无", "不", "未", "别", "从未", "毫无", "并非", "零")
# Words that say the issue is gone: 修完之后不再异响 / 再也没响过. Not a complaint, not praise either.
RESOLVED_CUES = ("不再", "再也没", "再没", "已经没", "已解决", "解决了", "修好了", "已修复", "修复了")
# Look-alikes that do not deny what follows: 动不动就卡 / 没多久就异响 / 不到一年 / 别的都好 / 无法连接.
PSEUDO_NEGATIONS = (
    "动不动", "不停", "不断", "不了", "不行", "不住", "无法", "没法", "没办法", "不得不", "不少", "差不多",
    "不知道", "不到", "没到", "不久", "没多久", "没几天", "没开多久", "没过多久", "没用多久", "不仅", "不光",
    "不但", "不止", "无论", "别的", "别人", "没想到", "没有想到", "不是一般", "无语", "不管", "不敢",
    "不舒服", "不好", "不能", "不会吧", "没用", "没人", "没反应", "不一样",
    # Connectives and words that merely contain a cue: 不过车机很卡 / 无线CarPlay延迟 / 外观不错.
    "不过", "不然", "要不是", "无线", "不错", "毫不夸张", "不夸张", "不小心", "无意中",
    # Look-alikes on real complaints: 停放时无故自燃 / 不予解决 / 不同程度生锈 / 刹车是不是失灵了.
    "无故", "无缘无故", "不予", "不给", "不同程度", "是不是", "是否", "会不会", "有没有", "能不能", "可不可以",
    "不明", "不正常", "不定时", "不规律", "时不时", "不时", "不确定", "不清楚", "不该", "不应该", "不符", "不一致",
    "不合理", "不负责", "不作为", "不承认", "不理", "不处理", "不解决", "不退", "不换", "不修", "不认", "不肯",
    "不愿", "不让", "不同意", "不配合", "不回复", "不接", "不到位", "不及时", "不彻底", "不过关", "不合格",
    "没有解决", "没解决", "未解决", "没修好", "没有修好", "未修好", "没处理", "没有处理", "未处理", "没给", "没有给",
    "未给", "没人管", "无人", "无果", "无效", "没得到", "没有得到", "未得到", "未果", "没回复", "没有回复", "未回复",
    "未能", "没能", "没有能", "没查出", "查不出", "没有查出", "没找到", "找不到", "未告知", "没告知", "没有告知",
    "未按", "没按", "无休止", "不断地", "不计其数", "没完没了", "不只", "没几个月", "没几公里", "不足一年",
    "不足", "没跑多少", "没开几天", "刚开不久", "不久前", "没有障碍", "无障碍", "前方没车", "前面没车", "前方无车",
    "零件", "零配件", "零部件", "零首付", "零利息", "零公里", "不齐", "不全",
    # Names and words that merely contain a cue: 别克英朗异响 / 零跑刹车失灵 / 特别容易熄火 / 零下十度无法启动 /
    # 不锈钢排气管生锈 / 无钥匙进入失灵; and the owner saying the failure came without warning or often:
    # 毫无征兆突然熄火 / 没有任何预警刹车失灵 / 无数次熄火 / 没跑多远就熄火 / 未满一年变速箱漏油.
    "别克", "零跑", "特别", "区别", "分别", "级别", "差别", "识别", "类别", "零下", "零度", "不锈钢", "无钥匙", "无框",
    "无边框", "无级", "无数", "无端", "无规律", "无奈", "无意间", "毫无征兆", "毫无预兆", "毫无预警", "毫无理由",
    "无征兆", "无预兆", "无预警", "没有征兆", "没有任何征兆", "没有预兆", "没有任何预兆", "没有预警", "没有任何预警",
    "没有任何提示", "没有任何提醒", "没有任何警告", "没任何征兆", "没有一点征兆", "不知什么", "不知为何", "不知怎么",
    "不知为什么", "不一会", "不论", "说不定", "不明不白", "不经意", "没跑多远", "没多远", "没开多远", "没走多远",
    "没多长时间", "没多少公里", "没过几天", "未满", "未来", "未到", "未超过", "无锡", "无为", "未央", "零陵",
    # how long or how often, not whether: 新车不满一个月漏油 / 不定期熄火 / 不规则异响 / 维修不下十次
    "不满", "没满", "不超过", "没两天", "没两个月", "没两年", "没俩月", "不规则", "无规则", "不间断", "不定期",
    "不下", "不知不觉", "怪不得", "不知",
    # A refusal names what is withheld, it does not deny it: 不提供维修记录 / 未出具检测报告 / 不还定金.
    "不还", "不返还", "不赔", "不补", "不报销", "不履行", "不执行", "不承担", "不允许", "不接受", "拒不", "未经",
    "未及时", "没及时", "没有及时",
    # ... and so does what was never received: 提车半年还没拿到合格证 / 一直没收到召回通知.
    "没拿到", "没有拿到", "未拿到", "拿不到", "没收到", "没有收到", "未收到", "收不到", "没到账", "未到账",
    "不提供", "未提供", "没有提供", "没提供", "拒绝提供", "不出具", "未出具", "没出具", "不开具", "未开具",
    # A complaint adjective that starts with 不 does not deny the next issue: 玻璃不平整厂家不予解决.
    "不平整", "不平", "不匹配", "不均匀", "不对称", "不牢固", "不稳定", "不稳", "不灵敏", "不顺畅", "不顺", "不严",
    "不紧", "不够", "不准", "不对", "不良", "不清", "不亮", "不响", "不动", "不走", "不转", "不住", "不上", "不出",
    "不回位", "不工作", "不制冷", "不制热", "不灵", "不管用", "不起作用",
    # ... and so does a symptom that is a negation: 加速无力4S店说正常 / 屏幕无显示厂家不给修.
    "无力", "无反应", "无响应", "无显示", "不显示", "无声", "没声音", "没有声音", "没电", "没有电", "无电", "没信号",
    "无信号", "没有反应", "不启动", "不着车", "打不着", "没动力", "没有动力", "无动力", "没劲", "不出风", "不加热",
    "没踩油门", "没有踩油门", "没踩刹车", "没有踩刹车", "没动油门", "无人驾驶",
    # The circumstance, not a denial: 没有碰撞的情况下气囊自己弹了 / 未发生事故安全带自己松开.
    "没有碰撞", "没碰撞", "未碰撞", "未发生碰撞", "没有发生碰撞", "没发生碰撞", "无碰撞", "没有撞击", "没有任何碰撞",
    "没有任何撞击", "没有事故", "未发生事故", "没有外力",
)
# Talk about someone else's car or the news is not this customer's complaint: 新闻里别的品牌车自燃了.
HEARSAY_CUES = ("新闻", "报道", "听说", "据说", "网上看到", "网上说", "看到网上", "网上传", "别的品牌", "其他品牌",
                "别家", "别人家", "友商", "竞品", "朋友圈", "热搜", "论坛里", "抖音上", "某车型", "某品牌", "某SUV", "某款",
                "看到一辆", "看到一则", "有辆", "隔壁", "别的牌子", "别人的车", "别的车", "上一台", "之前开的", "以前开的",
                "老车", "二手市场", "试驾别的", "媒体", "电视上", "微博上", "头条", "公众号", "央视", "315晚会", "曝光",
                "据报道", "网传", "网友", "看到有人", "有人说", "听人说", "别人说", "事故视频", "车友群", "群里有人",
                "车友说", "传言", "传说中", "所谓的", "谁说", "都说", "大家都说", "都在说", "某车", "朋友的车",
                "朋友的旧车", "朋友家的车", "同事的车", "邻居的车", "亲戚的车", "别人车",
                # a hypothetical is not a report: 万一高速上熄火了应该怎么处理
                "万一", "如果", "假如", "要是", "假设", "是什么意思")
# A denial said afterwards: 刹车失灵？不存在的 / 自燃？怎么可能.
DENIAL_AFTER_CUES = ("不存在", "怎么可能", "不可能的", "没有的事", "谣言", "开玩笑", "想多了", "并没有出现", "没有出现",
                     "原来是", "没遇到过", "没碰到", "都是黑子", "一直很好", "是什么意思", "什么意思",
                     "不会的", "瞎说", "胡说", "造谣", "纯属虚构", "不实", "误会", "误解", "根本没有的事", "没那回事")
# Before the evidence: 还以为车熄火了 / 说刹车会失灵的都是黑子 / 担心的断轴问题.
DENIAL_BEFORE_CUES = ("还以为", "以为", "担心", "说刹车会", "买车前", "哪有", "根本不会", "不用怕", "别担心", "不必担心")
NEGATION_WINDOW = 6
# Resolution stated after the issue: 黑屏的问题更新后没再出现 / 漏水的问题已经修好了 / 风噪就没了.
RESOLVED_AFTER_CUES = (
    "没再出现", "没有再出现", "再没出现", "已经修好", "修好了", "就没了", "解决了", "已解决", "处理好了",
    "消失了", "不见了", "好了很多", "已经好了", "换好了", "解决好了", "处理完了", "处理好了",
)
RESOLVED_AFTER_WINDOW = 15

_PSEUDO = re.compile("|".join(sorted(map(re.escape, PSEUDO_NEGATIONS), key=len, reverse=True)))
_RESOLVED = re.compile("|".join(map(re.escape, RESOLVED_CUES)))
_RESOLVED_AFTER = re.compile(
    "(?<![没未不])(?:" + "|".join(map(re.escape, RESOLVED_AFTER_CUES)) + ")"
)
# An unnamed maker or model with a qualifier: 某网红车, 某知名品牌, 某国产新能源车型 (某车, 某品牌 are cues above).
_UNNAMED = ("某(?:个|一|些|款)?(?:网红|知名|国产|合资|进口|新势力|豪华|日系|德系|美系|韩系|法系|自主|电动|新能源|热门|爆款|大)+"
            "(?:品牌|车企|车型|汽车|车|厂)")
# 老车主 (a loyal owner: 老车主权益不兑现) is this customer, not an old car.
_HEARSAY = re.compile("|".join([f"{re.escape(c)}(?!主)" if c == "老车" else re.escape(c) for c in HEARSAY_CUES]
                               + [_UNNAMED]))
_DENIAL_AFTER = re.compile("|".join(map(re.escape, DENIAL_AFTER_CUES)))
_DENIAL_BEFORE = re.compile("|".join(map(re.escape, DENIAL_BEFORE_CUES)))
# A bare denial closing the clause: 熄火？从来没有 (but not 从来没有遇到过这种情况, a first time).
_DENIAL_END = re.compile(r"(?:从来没有过?|从来没|从没有过?|根本没有|压根没有|没有过)[啊呀呢吧哦的事]*[，,。.!！]*$")
# Someone else's car or the news, strong enough to carry to the clauses after it (听说 alone is not:
# "听说这车有问题，昨天高速上熄火了" is most likely the customer's own stall).
STORY_CUES = ("新闻", "报道", "媒体", "电视上", "微博上", "热搜", "头条", "公众号", "央视", "315晚会", "曝光", "网传",
              "网上看到", "看到网上", "事故视频", "隔壁", "朋友的车", "朋友的旧车", "朋友家的车", "同事的车", "邻居的车",
              "亲戚的车", "别人的车", "别人车", "别的车", "别家", "别的品牌", "其他品牌", "别的牌子", "友商", "竞品",
              "某车", "某品牌", "某款", "看到一辆", "有辆")
_STORY = re.compile("|".join([*map(re.escape, STORY_CUES), _UNNAMED]))
# The customer's own car, person or day: a clause that says so is a report, whatever was said before it.
_OWN = re.compile(r"我|本人|俺|自家|自己的车|这台车|这辆车|昨天|今天|前天|今早|刚才|早上|晚上|上周|上个月|前几天|这几天|"
                  r"上班|下班|开着开着|差点|"
                  # ... or asks for a fix (a story told for its own sake does not): 刹车失灵的问题什么时候解决
                  r"解决|处理|要求|希望|维修|修好|退车|换车|4S店|售后|厂家|客服")


# A clause that is nothing but a denial answers the clause before it: 方向盘卡死？从来没有.
_BARE_DENIAL = re.compile(r"^(?:从来)?(?:都)?(?:没有过?|没|从没有过?|从来没有过?|根本没有|压根没有|不存在的?|没有的事|哪有|"
                          r"怎么可能|不可能|没遇到过|从没遇到过|没碰到过)[啊呀呢吧哦的事过]*$")


def denied_by_next(feedback_ids: list, texts: list[str]) -> list[bool]:
    """For each clause, whether the next clause of the same feedback is a bare denial of it."""
    out = [False] * len(texts)
    for i in range(len(texts) - 1):
        if feedback_ids[i + 1] == feedback_ids[i] and _BARE_DENIAL.match(texts[i + 1].strip()):
            out[i] = True
    return out


def hearsay_leads(feedback_ids: list, texts: list[str]) -> list[bool]:
    """For each clause, whether it continues someone else's story told in the clauses before it.

    "隔壁老王的车，高速上刹车失灵了": the brake failure is the neighbour's, not this customer's. The story
    ends at a clause about the customer's own car, person or day (我, 这台车, 昨天), and only news and
    other people's cars start one. Clauses are in feedback order.
    """
    out: list[bool] = []
    story = False
    prev = object()
    for fid, text in zip(feedback_ids, texts):
        if fid != prev:
            story, prev = False, fid
        own = bool(_OWN.search(text))
        lead = story and not own
        out.append(lead)
        story = (lead or bool(_STORY.search(text))) and not own
    return out
# A simile is not a report: 跟刹车失灵一样 / 像失控的机关枪 / 心里都快着火了.
_SIMILE_BEFORE = re.compile(r"(?:跟|像|如同|好比|仿佛|心里都快|心里都|激动得)$")
_SIMILE_AFTER = re.compile(r"^(?:一样|似的|般|的机关枪)")
_NEGATION = re.compile("|".join(sorted(map(re.escape, NEGATION_CUES), key=len, reverse=True)))


def clause_negation(text: str) -> str | None:
    """Whether anything in the clause is negated or resolved ("negated", "resolved" or None).

    For evidence without a position, e.g. a clause that only sounds like a category's examples.
    """
    scope = _PSEUDO.sub("□", text)
    if _RESOLVED.search(scope) or _RESOLVED_AFTER.search(scope):
        return "resolved"
    if _NEGATION.search(scope) or _DENIAL_AFTER.search(scope):
        return "negated"
    return "hearsay" if _HEARSAY.search(scope) else None


def negation_state(text: str, spans: list[tuple[int, int]], window: int = NEGATION_WINDOW) -> str | None:
    """Whether the evidence at `spans` is negated.

    The scope is the `window` characters before the first evidence term up to the last one, with
    the evidence terms themselves blanked out (a term such as 不制冷 must not negate itself), plus
    RESOLVED_AFTER_WINDOW characters after the last term for a resolution said afterwards
    (之前漏水的问题已经修好了); "没修好了" and the like do not count as resolved.

    Args:
        text: the clause.
        spans: (start, end) of each matched evidence term, in order of start.

    Returns:
        "resolved", "negated" or None.
    """
    lo = max(0, spans[0][0] - window)
    hi = spans[-1][0]
    # Look-alike words are found in the whole clause, so that one the window cuts (前面没|车 -> 没车) or one
    # that the evidence starts inside (无缘|无故紧急制动) still reads as the look-alike it is.
    chars = list(text)
    for m in _PSEUDO.finditer(text):
        for i in range(m.start(), m.end()):
            chars[i] = "□"
    for s, e in spans:
        for i in range(s, e):
            chars[i] = "□"
    scope = "".join(chars[lo:hi])
    after = text[spans[-1][1] : spans[-1][1] + RESOLVED_AFTER_WINDOW]
    if _RESOLVED.search(scope) or _RESOLVED_AFTER.search(after):
        return "resolved"
    if (_NEGATION.search(scope) or _DENIAL_AFTER.search(after) or _DENIAL_END.search(after)
            or _DENIAL_BEFORE.search(text[: spans[0][0]])):
        return "negated"
    if _HEARSAY.search(text[: spans[0][0]]):
        return "hearsay"
    if _SIMILE_BEFORE.search(text[max(0, spans[0][0] - 4): spans[0][0]]) or _SIMILE_AFTER.search(text[spans[-1][1]:]):
        return "hearsay"
    return None
