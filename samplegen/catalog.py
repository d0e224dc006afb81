"""Fixed vocabularies of the synthetic data: categories, channels, regions, dealers, vehicles, dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

# The car models the pipeline's segmenter knows (pipeline/resources/vehicles.yaml): the generated text
# names the same brands and models the real data does, from the one file analysts maintain.
VEHICLES_FILE = resources.files("pipeline").joinpath("resources/vehicles.yaml")

# Leaf category ids of the taxonomy, with the name analysts use.
CATEGORIES: dict[str, str] = {
    "product.nvh.abnormal_noise": "异响",
    "product.nvh.wind_noise": "风噪",
    "product.cockpit.lag": "车机卡顿",
    "product.cockpit.crash": "车机死机/黑屏",
    "product.cockpit.voice": "语音识别差",
    "product.cockpit.connectivity": "蓝牙/手机互联",
    "product.ev.range": "续航虚标/衰减",
    "product.ev.charging": "充电故障/充电慢(车端)",
    "product.chassis.suspension": "悬挂颠簸",
    "product.chassis.steering": "方向跑偏/转向",
    "product.hvac.cooling": "空调不制冷/制热差",
    "product.hvac.odor": "空调异味",
    "product.body.paint": "漆面/色差/掉漆",
    "product.body.water_leak": "漏水",
    "product.software.ota_failure": "OTA升级失败",
    "product.adas.assist": "辅助驾驶不好用",
    "service.sales.attitude": "销售态度",
    "service.sales.pricing": "加价/价格不透明/捆绑销售",
    "service.delivery.delay": "交付延迟/提车慢",
    "service.aftersales.repair_quality": "维修质量/修不好",
    "service.aftersales.waiting": "维修等待/配件缺货",
    "service.customer_service.response": "客服响应慢/推诿",
    "service.finance.loan_insurance": "金融贷款/保险",
    "service.digital.app": "App远程控制问题",
    "service.charging.network": "充电桩/充电站服务",
    "safety.brake_failure": "刹车失灵",
    "safety.power_loss": "动力中断",
    "safety.fire_smoke": "起火冒烟",
}
P0_CATEGORIES = ("safety.brake_failure", "safety.power_loss", "safety.fire_smoke")
LAG = "product.cockpit.lag"

# Relative frequency of each everyday (non-P0) complaint; P0 rows are only planted, never sampled.
BASE_WEIGHTS: dict[str, float] = {
    "product.nvh.abnormal_noise": 8, "product.nvh.wind_noise": 4, LAG: 3.0,
    "product.cockpit.crash": 3, "product.cockpit.voice": 3, "product.cockpit.connectivity": 3,
    "product.ev.range": 6, "product.ev.charging": 4, "product.chassis.suspension": 3,
    "product.chassis.steering": 2, "product.hvac.cooling": 3, "product.hvac.odor": 2,
    "product.body.paint": 2, "product.body.water_leak": 2, "product.software.ota_failure": 2,
    "product.adas.assist": 3, "service.sales.attitude": 4, "service.sales.pricing": 4,
    "service.delivery.delay": 4, "service.aftersales.repair_quality": 4,
    "service.aftersales.waiting": 4, "service.customer_service.response": 4,
    "service.finance.loan_insurance": 2, "service.digital.app": 3, "service.charging.network": 3,
}
# Each channel hears about different things: prefix -> multiplier, the longest matching prefix wins.
CHANNEL_MULTIPLIERS: dict[str, dict[str, float]] = {
    "nps": {"service.sales": 2, "service.delivery": 2, "service.aftersales": 1.5},
    "call_center": {"service.customer_service": 2.5, "service.finance": 2, "service.delivery": 1.5,
                    "service.aftersales": 1.5},
    "dealer": {"product": 1.3, "service.aftersales": 2, "service.digital": 0.3,
               "service.charging": 0.3, "product.cockpit": 0.8},
    "social": {"product.ev.range": 1.5, "product.adas": 1.5, "service.sales.pricing": 1.5,
               "service.delivery": 1.5},
    "app": {"product.cockpit": 2.2, "product.software": 3, "service.digital": 4,
            "service.sales": 0.2, "service.delivery": 0.3, "service.finance": 0.2,
            "service.aftersales": 0.5},
}

# Source name -> (channel, share of all rows). The order is the order rows are generated in.
SOURCES: dict[str, tuple[str, float]] = {
    "nps_survey": ("nps", 0.35),
    "call_center_400": ("call_center", 0.20),
    "dealer_work_orders": ("dealer", 0.15),
    "social_media": ("social", 0.15),
    "app_feedback": ("app", 0.15),
}

# Message kinds and their mix per channel: one issue, 2-3 issues, praise only, praise + complaint,
# neutral question / suggestion.
KINDS = ("single", "multi", "praise", "mixed", "neutral")
KIND_MIX: dict[str, tuple[float, ...]] = {
    "nps": (0.36, 0.17, 0.22, 0.15, 0.10),
    "call_center": (0.55, 0.30, 0.02, 0.01, 0.12),
    "dealer": (0.61, 0.30, 0.0, 0.02, 0.07),
    "social": (0.38, 0.28, 0.12, 0.14, 0.08),
    "app": (0.55, 0.20, 0.06, 0.04, 0.15),
}

START = datetime(2026, 5, 1)
END = datetime(2026, 10, 31, 23, 59, 59)
N_DAYS = (END.date() - START.date()).days + 1

REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_WEIGHTS = (0.28, 0.20, 0.16, 0.12, 0.12, 0.05, 0.07)


@dataclass(frozen=True)
class Dealer:
    """One dealership: code as in the dealer system, display name, region and province."""

    code: str
    name: str
    region: str
    province: str


# (city code, city, province, region, [(number, district)]): 40 dealers over the seven regions.
_DEALER_TABLE = [
    ("SH", "上海", "上海", "华东", [(21, "浦东"), (35, "闵行"), (52, "嘉定")]),
    ("HZ", "杭州", "浙江", "华东", [(11, "滨江"), (27, "萧山")]),
    ("NB", "宁波", "浙江", "华东", [(14, "鄞州")]),
    ("NJ", "南京", "江苏", "华东", [(25, "江宁"), (31, "建邺")]),
    ("SU", "苏州", "江苏", "华东", [(12, "园区")]),
    ("HF", "合肥", "安徽", "华东", [(51, "包河")]),
    ("JN", "济南", "山东", "华东", [(31, "历下")]),
    ("QD", "青岛", "山东", "华东", [(53, "黄岛")]),
    ("FZ", "福州", "福建", "华东", [(59, "仓山")]),
    ("GZ", "广州", "广东", "华南", [(20, "天河"), (36, "番禺")]),
    ("SZ", "深圳", "广东", "华南", [(55, "南山"), (75, "龙岗")]),
    ("FS", "佛山", "广东", "华南", [(57, "顺德")]),
    ("DG", "东莞", "广东", "华南", [(69, "南城")]),
    ("NN", "南宁", "广西", "华南", [(71, "青秀")]),
    ("BJ", "北京", "北京", "华北", [(10, "朝阳"), (16, "海淀"), (18, "亦庄")]),
    ("TJ", "天津", "天津", "华北", [(22, "河西")]),
    ("SJ", "石家庄", "河北", "华北", [(31, "裕华")]),
    ("TY", "太原", "山西", "华北", [(35, "小店")]),
    ("WH", "武汉", "湖北", "华中", [(27, "汉阳"), (43, "光谷")]),
    ("CS", "长沙", "湖南", "华中", [(73, "岳麓")]),
    ("ZZ", "郑州", "河南", "华中", [(37, "郑东")]),
    ("CD", "成都", "四川", "西南", [(28, "高新"), (46, "双流")]),
    ("CQ", "重庆", "重庆", "西南", [(23, "渝北")]),
    ("KM", "昆明", "云南", "西南", [(87, "官渡")]),
    ("XA", "西安", "陕西", "西北", [(29, "雁塔"), (41, "未央")]),
    ("LZ", "兰州", "甘肃", "西北", [(93, "城关")]),
    ("SY", "沈阳", "辽宁", "东北", [(24, "浑南")]),
    ("DL", "大连", "辽宁", "东北", [(41, "甘井子")]),
    ("HB", "哈尔滨", "黑龙江", "东北", [(45, "松北")]),
]
DEALERS: tuple[Dealer, ...] = tuple(
    Dealer(f"{code}-{num:03d}", f"远航{city}{district}店", region, province)
    for code, city, province, region, branches in _DEALER_TABLE
    for num, district in branches
)

# The OTA release after which 车机卡顿 complaints surge (September only: a hotfix lands 1 October).
OTA_VERSION = "V3.2.0"
OTA_PREVIOUS = "V3.1.4"
OTA_HOTFIX = "V3.2.1"
OTA_RELEASE = datetime(2026, 9, 5)
OTA_HOTFIX_RELEASE = datetime(2026, 10, 1)
SURGE_RATE = 0.14  # chance that an own-brand row in the surge window gains a 车机卡顿 complaint

# The P0 safety cluster: one model, two weeks.
P0_MODEL = "远航E6"
P0_WINDOW = (date(2026, 7, 13), date(2026, 7, 26))


@dataclass(frozen=True)
class Vehicles:
    """Brand and model names read from the project's vehicles resource."""

    own_brand: str
    own_models: tuple[str, ...]
    competitors: dict[str, tuple[str, ...]]
    aliases: dict[str, tuple[str, ...]]  # model -> short names customers use


@lru_cache(maxsize=4)
def load_vehicles(path: Path = VEHICLES_FILE) -> Vehicles:
    """Read brand, model and alias names from the vehicles resource file.

    Args:
        path: the vehicles YAML (own_brand, brands, aliases).

    Returns:
        The names, with the own brand's models in file order.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    own = raw["own_brand"]
    brands = {b: tuple(models) for b, models in raw["brands"].items()}
    aliases: dict[str, list[str]] = {}
    for alias, model in (raw.get("aliases") or {}).items():
        aliases.setdefault(model, []).append(alias)
    return Vehicles(
        own_brand=own,
        own_models=brands[own],
        competitors={b: m for b, m in brands.items() if b != own},
        aliases={m: tuple(a) for m, a in aliases.items()},
    )
