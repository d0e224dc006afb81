"""Compose each row's text from its planned categories, in the voice of its channel."""

from __future__ import annotations

from samplegen import catalog, framing as fr
from samplegen.catalog import Vehicles
from samplegen.draws import Draws
from samplegen.noise import add_html, apply_noise
from samplegen.phrases import COMPLAINTS, SURGE_LAG
from samplegen.pii import pii_clause
from samplegen.plan import RowPlan

# Share of texts carrying personal data, per channel (about 3% overall).
PII_RATE = {"nps": 0.02, "call_center": 0.06, "dealer": 0.05, "social": 0.02, "app": 0.015}
# Clauses starting with these nouns read naturally with the model in front: "X5的车机卡得要命".
_OWNABLE = ("车机", "中控屏", "空调", "续航", "底盘", "语音助手", "蓝牙", "悬挂", "车漆", "漆面", "天窗", "充电口")
_EMPTY_TEXTS = ("", " ", "   ", "\u3000", "\t", "  \u3000 ")


class Composer:
    """Writes texts for planned rows.

    Args:
        vehicles: brand and model names for mentions and comparisons.
        d: random draws.
    """

    def __init__(self, vehicles: Vehicles, d: Draws) -> None:
        self.vehicles = vehicles
        self.d = d
        self.rivals = [(b, m) for b, models in vehicles.competitors.items() for m in models]

    def fill(self, template: str, row: RowPlan) -> str:
        """Replace the {model} {short} {brand} {rival} {rival_brand} placeholders for `row`."""
        if "{" not in template:
            return template
        d, v = self.d, self.vehicles
        model = row.model or d.choice(v.own_models if row.own_brand else ("这车",))
        short = d.choice(v.aliases.get(model, (model,)))
        if row.own_brand:
            rival_brand, rival = d.choice(self.rivals)
        else:
            rival_brand, rival = v.own_brand, d.choice(v.own_models)
        return template.format(model=model, short=short, brand=v.own_brand if row.own_brand else row.brand,
                               rival=rival, rival_brand=rival_brand, ota=catalog.OTA_VERSION)

    def _complaint(self, cat: str, row: RowPlan) -> str:
        d = self.d
        if row.surge and cat == catalog.LAG and d.chance(0.6):
            phrase = d.choice(SURGE_LAG)
        else:
            phrase = d.choice(COMPLAINTS[cat])
        if row.model and phrase.startswith(_OWNABLE) and d.chance(0.4):
            phrase = f"{{short}}的{phrase}"
        return self.fill(phrase, row)

    def _chain(self, clauses: list[str]) -> str:
        out = clauses[0]
        for clause in clauses[1:]:
            out += "，" + self.d.choice(fr.JOINERS) + clause
        return out

    def body(self, row: RowPlan) -> str:
        """The core message: complaints, praise, negated mentions, or a neutral line."""
        d = self.d
        complaints = [self._complaint(c, row) for c in row.complaints]
        praise = [self.fill(d.choice(fr.PRAISE[c]), row) for c in row.praised]
        if row.kind == "praise" and d.chance(0.5):
            praise.append(self.fill(d.choice(fr.GENERAL_PRAISE), row))
        if complaints and praise:
            if d.chance(0.7):
                text = self._chain(praise) + "，" + d.choice(fr.CONTRAST) + self._chain(complaints)
            else:
                text = self._chain(complaints) + "，不过" + self._chain(praise)
        elif complaints:
            text = self._chain(complaints)
        elif praise:
            text = self._chain(praise)
        else:
            text = self.fill(d.choice(fr.NEUTRAL[row.channel]), row)
        for cat in row.negated:
            neg = self.fill(d.choice(fr.NEGATED[cat]), row)
            if complaints and d.chance(0.6):
                text = f"{neg}，{d.choice(fr.CONTRAST)}{text}"
            else:
                text = f"{text}，{neg}"
        return text

    def frame(self, row: RowPlan, body: str) -> str:
        """Wrap the body the way the channel writes: survey line, agent note, work order, post."""
        d, ch, has_issue = self.d, row.channel, bool(row.complaints)
        lead = ""
        if d.chance(0.45):
            leads = fr.MODEL_LEADS if row.model and d.chance(0.6) else fr.LEADS
            lead = self.fill(d.choice(leads), row) + "，"
        if ch == "nps":
            tail = "，" + self.fill(d.choice(fr.TAILS), row) if has_issue and d.chance(0.2) else ""
            return lead + body + self._comparison(row, has_issue) + tail + d.choice(("。", "", ""))
        if ch == "call_center":
            if not has_issue:
                return ("客户来电表扬：" + body + "。") if row.praised else body + "。"
            demand = fr.CALL_P0_DEMAND if row.p0 else d.choice(fr.CALL_DEMANDS)
            opener = self.fill(d.choice(fr.CALL_OPENERS), row)
            return f"{opener}{body}。{demand}。"
        if ch == "dealer":
            if not has_issue:
                return body
            if dealer_type(row) == "投诉":
                return f"客户投诉：{body}，要求{d.choice(fr.DEALER_DEMANDS)}。"
            return f"客户报修：{body}。{d.choice(fr.DEALER_FOLLOWUPS)}。"
        if ch == "social":
            tag = f"#{row.model or row.brand}# " if d.chance(0.6) else ""
            opener = self.fill(d.choice(fr.SOCIAL_OPENERS), row) if has_issue or row.praised else ""
            story = d.choice(fr.SOCIAL_STORIES) if d.chance(0.5) else ""
            tail = self.fill(d.choice(fr.SOCIAL_TAILS), row) if has_issue else ""
            more = " #新能源# #车主真实反馈#" if d.chance(0.2) else ""
            text = body + self._comparison(row, has_issue)
            end = "" if text.endswith(("。", "！", "？")) else "。"
            return f"{tag}{opener}{story}{text}{end}{tail}{more}".strip()
        suggestion = "，建议尽快优化" if has_issue and d.chance(0.2) else ""
        return body + suggestion + d.choice(("", "。"))

    def _comparison(self, row: RowPlan, has_issue: bool) -> str:
        if has_issue and row.own_brand and self.d.chance(0.08):
            return "，" + self.fill(self.d.choice(fr.COMPARISONS), row)
        return ""

    def compose(self, row: RowPlan) -> None:
        """Write row.text, row.noise and row.pii (in place); the 400 channel stays GBK-encodable."""
        if row.kind == "empty":
            row.text, row.noise, row.pii = self.d.choice(_EMPTY_TEXTS), [], []
            return
        for _ in range(5):
            self._compose_once(row)
            if row.channel != "call_center" or _gbk_ok(row.text):
                return
        raise ValueError(f"could not write a GBK-encodable text for {row.source} row {row.pos}: {row.text!r}")

    def _compose_once(self, row: RowPlan) -> None:
        d = self.d
        text, noise = apply_noise(self.frame(row, self.body(row)), row.channel, d)
        if row.channel == "social":
            text, html = add_html(text, d)
            noise = noise + html
        pii: list[str] = []
        if d.chance(PII_RATE[row.channel]):
            clause, pii = pii_clause(row.channel, d)
            if d.chance(0.3):
                text = f"{clause}，{text}"
            else:
                # Keep the writer's closing marks (。 or ！！！) after the added clause.
                stripped = text.rstrip("。！？!?")
                text = f"{stripped}，{clause}{text[len(stripped):] or '。'}"
        row.text, row.noise, row.pii = text, sorted(noise), pii


def dealer_type(row: RowPlan) -> str:
    """报修 for product faults, 投诉 when the first complaint is about a service."""
    return "投诉" if row.complaints and row.complaints[0].startswith("service.") else "报修"


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
