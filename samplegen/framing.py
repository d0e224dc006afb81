"""Praise, negated mentions, neutral messages and the filler that frames a message in each channel.

Placeholders: {model} full model name, {short} the alias customers use, {brand} the own brand,
{rival} a competitor model, {rival_brand} a competitor brand.
"""

from __future__ import annotations

PRAISE: dict[str, tuple[str, ...]] = {
    "product.nvh.wind_noise": ("隔音做得好", "高速上很安静", "静谧性不错，跑高速也不吵", "隔音比同价位的车强"),
    "product.cockpit.lag": ("车机很流畅", "车机反应很快，用着很顺手", "中控屏丝滑不卡", "车机速度很快"),
    "product.cockpit.voice": ("语音识别很准", "语音助手挺聪明，方言也能听懂", "语音控制很方便"),
    "product.cockpit.connectivity": ("蓝牙连接很稳", "CarPlay很好用", "手机互联一上车就连上"),
    "product.ev.range": ("续航很扎实", "实际续航能跑到标称的九成", "冬天续航也还可以", "续航很实在"),
    "product.ev.charging": ("充电很快，半小时就到80%", "快充很给力", "充电速度很满意"),
    "product.chassis.suspension": ("底盘滤震好", "悬挂调校很舒服", "过坑很柔和，家里老人不晕车"),
    "product.chassis.steering": ("方向盘指向精准", "转向很轻便，女生开也轻松"),
    "product.hvac.cooling": ("空调制冷很快", "暖风很足，冬天很暖和"),
    "product.body.paint": ("漆面很亮", "车漆质感好"),
    "product.adas.assist": ("辅助驾驶很好用", "高速NOA很省心", "自动泊车很方便", "跟车很平顺，长途不累"),
    "service.sales.attitude": ("销售小哥很热情", "销售顾问很专业很耐心", "销售服务很周到"),
    "service.sales.pricing": ("价格透明，没有乱收费", "落地价很实在"),
    "service.delivery.delay": ("提车很快", "交付很准时", "交车仪式很用心"),
    "service.aftersales.repair_quality": ("师傅技术好", "一次就修好了", "售后师傅很负责"),
    "service.customer_service.response": ("客服回复很快", "客服处理问题很积极"),
    "service.digital.app": ("App远程开空调很方便", "App做得挺好用"),
    "service.charging.network": ("超充站很方便", "官方充电站环境很好"),
}
GENERAL_PRAISE = ("整体很满意", "车挺好的", "性价比很高", "外观很好看", "空间够大，一家人出行很舒服",
                  "开着很舒服", "选{brand}没选错", "推荐给朋友了")

# Mentions that are NOT complaints: denied or already resolved problems.
NEGATED: dict[str, tuple[str, ...]] = {
    "product.nvh.abnormal_noise": ("开了一年没有任何异响", "修完之后不再异响", "之前的异响4S店已经处理好了",
                                   "底盘很扎实，没有异响"),
    "product.nvh.wind_noise": ("高速上没什么风噪", "换了密封条以后风噪就没了"),
    "product.cockpit.lag": ("车机从来没卡过", "车机用到现在都没卡过", "之前车机卡顿的问题更新后解决了"),
    "product.cockpit.crash": ("车机从来没死机过", "上次黑屏的问题更新后没再出现"),
    "product.cockpit.connectivity": ("蓝牙从来没断过", "手机互联一直很稳定，没掉过线"),
    "product.cockpit.voice": ("语音识别没什么问题",),
    "product.ev.range": ("续航没有虚标", "开了两年续航没有明显衰减"),
    "product.ev.charging": ("没遇到过充电问题", "充电一直都很正常"),
    "product.chassis.suspension": ("换了减震以后不颠了",),
    "product.chassis.steering": ("做完四轮定位就不跑偏了", "方向没有跑偏"),
    "product.hvac.cooling": ("空调制冷没问题", "空调修好后制冷正常了"),
    "product.hvac.odor": ("空调异味清洗后就没了", "新车没有什么异味"),
    "product.body.paint": ("补漆之后看不出色差了",),
    "product.body.water_leak": ("之前漏水的问题已经修好了", "下暴雨也没漏过水"),
    "product.software.ota_failure": ("OTA升级很顺利，没出过问题", "每次升级都没失败过"),
    "product.adas.assist": ("辅助驾驶没出过问题",),
    "service.delivery.delay": ("提车没有延迟，按时交付",),
    "service.aftersales.waiting": ("这次配件没让等",),
    "service.customer_service.response": ("客服后来也及时回电了，问题已经解决",),
    "service.digital.app": ("App远程控制没出过问题",),
    "safety.brake_failure": ("刹车一直很好，没出过问题",),
    "safety.power_loss": ("开了两万公里没出现过动力中断",),
    "safety.fire_smoke": ("电池很安全，从来没有过冒烟发热",),
}

NEUTRAL: dict[str, tuple[str, ...]] = {
    "nps": ("还行", "一般吧", "没什么建议", "继续保持", "希望多出几个新配色", "暂无", "没有特别的意见",
            "希望多搞点车主活动", "希望早日出七座版", "无"),
    "call_center": ("客户来电咨询保养周期，已告知", "客户咨询下次保养多少钱，已转经销商报价", "客户来电咨询首保时间",
                    "客户咨询车辆年检流程，已解答", "客户咨询以旧换新政策，已发送活动细则", "客户要求变更预留联系方式，已处理",
                    "客户咨询充电卡办理方式，已告知", "客户来电询问车主活动报名方式"),
    "dealer": ("客户到店报修：仪表提示保养，检查无故障，已做常规保养", "客户咨询：首保时间及费用，已解答",
               "客户报修：轮胎扎钉，已补胎", "客户报修：雨刮片老化，已更换", "客户报修：小剐蹭，已做钣喷"),
    "social": ("今天提车啦，分享一下！", "周末带家人去露营，空间够大", "请问{short}和{rival}怎么选？",
               "有没有车友一起自驾去川西？", "刚订了{model}，坐等提车", "拍了几张{model}的照片，颜值真的在线"),
    "app": ("建议增加座椅通风的远程控制", "希望出个深色模式", "请问下次保养多少钱", "能不能加个哨兵模式",
            "建议地图支持离线下载", "希望增加儿童遗留提醒", "请问积分怎么兑换"),
}

# Opening context that fits any message.
LEADS = ("提车三个月了", "开了一年多", "刚提车一周", "用了半年", "买车快两年了", "作为老车主说两句", "提车两个月了")
MODEL_LEADS = ("我的{model}", "{short}车主", "家里的{model}", "开{short}一年了", "我的{short}提车三个月了",
               "{model}车主说两句", "买了{model}半年", "我家{short}")
CONTRAST = ("但是", "不过", "就是", "可惜")
TAILS = ("希望厂家重视", "希望尽快解决", "太失望了", "后悔买了", "再这样就要投诉了", "别的车友也有这个问题吗",
         "求解决", "{brand}你们能不能上点心", "体验很差", "真的很影响心情")
JOINERS = ("", "而且", "还有", "另外", "同时")
COMPARISONS = ("比{rival_brand}差远了", "还不如{rival}", "朋友的{rival}就没这问题", "早知道买{rival}了")

CALL_OPENERS = ("客户来电反映：", "客户来电反映其{model}，", "客户来电投诉：", "车主来电称", "客户致电400反映")
CALL_DEMANDS = ("客户要求尽快回电", "要求经销商给出处理方案", "已安抚客户，转经销商跟进", "要求回电",
                "客户要求厂家给说法", "已记录，48小时内回访", "客户情绪较激动，要求升级处理")
CALL_P0_DEMAND = "客户情绪激动，涉及安全问题，已按紧急工单升级"

DEALER_FOLLOWUPS = ("已登记，安排技师检测", "已上报厂家技术支持", "已预约客户周六到店", "已处理，客户已签字确认",
                    "检查发现相关部件异常，已申请索赔", "已试车复现，待进一步排查")
DEALER_DEMANDS = ("给出书面答复", "退还费用", "更换处理", "店长出面解释", "赔偿误工费")

SOCIAL_OPENERS = ("提车三个月了，说说真实感受：", "真实车主，不吹不黑：", "来吐槽一下我的{model}。",
                  "说几句心里话。", "开了快一年，总结一下：", "")
SOCIAL_STORIES = ("周末带娃去了趟千岛湖，来回六百公里。", "每天通勤四十公里，市区为主。", "上周跑了趟长途回老家。",
                  "身边好几个朋友都在问我这车怎么样。", "")
SOCIAL_TAILS = ("@{brand}汽车 能不能管管？", "@{brand}客服 看看吧", "大家觉得呢？", "已经向4S店反馈了，坐等结果。",
                "求扩散！", "")
EMOJI = ("😡", "👍", "🙄", "😤", "😭", "🤬", "😅", "👎", "💔", "🙏", "😂")
PLATFORMS = ("微博", "抖音", "懂车帝", "汽车之家")
