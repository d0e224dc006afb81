"""Clause tone of aspect categories: judgements, attribute-relative degrees, negation, contrast."""

import pytest

from pipeline.classify.polarity import clause_tone


@pytest.mark.parametrize("text,tone", [
    # the degree is read against the attribute: more room is praise, more fuel or noise a complaint
    ("后排空间很大", "praise"), ("配置非常高", "praise"), ("性价比很高", "praise"), ("油耗真的很低", "praise"),
    ("风噪很小", "praise"), ("空间太小", "complaint"), ("油耗太高", "complaint"), ("价格太高", "complaint"),
    # much of a nuisance is a judgement even without an intensifier
    ("噪音大", "complaint"), ("胎噪有点大", "complaint"), ("车里异味大", "complaint"),
    # a comparison judges: 比 names the rival, 比较 is only a degree
    ("空间比老款大", "praise"), ("油耗比同级车低", "praise"), ("油耗比同级车高", "complaint"),
    ("动力不如老款", "complaint"), ("隔音比老款好", "praise"),
])
def test_degree_depends_on_the_attribute(text, tone):
    assert clause_tone(text) == tone


@pytest.mark.parametrize("text,tone", [
    # a plain description weighs 1: one is not enough, an intensifier or a second one is
    ("堵车的时候油耗高", "neutral"), ("油耗比较高", "neutral"), ("这车空间大", "neutral"), ("高速省油", "neutral"),
    ("低油耗", "neutral"), ("高速很省油", "praise"), ("省油又安静", "praise"), ("有点异响", "neutral"),
    ("座椅舒适性一般", "neutral"),  # 舒适性 names the attribute, 一般 is no opinion
    # judgements weigh 2 on their own
    ("外观不错", "praise"), ("做工不好", "complaint"), ("内饰真丑", "complaint"), ("动力牛", "praise"),
    ("底盘很稳", "praise"), ("价格不贵", "praise"), ("动力好", "praise"),
])
def test_descriptions_need_weight_judgements_do_not(text, tone):
    assert clause_tone(text) == tone


@pytest.mark.parametrize("text,tone", [
    ("外观不怎么漂亮", "complaint"), ("外观不怎么好看", "neutral"), ("隔音不太好", "complaint"), ("对这个价格不是很满意", "complaint"),
    ("后排空间不是很大", "neutral"), ("内饰没什么异味", "neutral"), ("一点也不失望", "praise"),
    ("空间没问题", "neutral"), ("油耗不高也不算低", "neutral"),
])
def test_negation_crosses_a_degree_adverb(text, tone):
    assert clause_tone(text) == tone


@pytest.mark.parametrize("text,tone", [
    ("价格很贵但是配置很高", "praise"), ("配置很高，但是价格太贵", "complaint"),
    ("外观很漂亮，可是后排空间太小", "complaint"),
    ("外观很漂亮，就是后排", "praise"),  # nothing opinionated after the contrast: the first part stands
])
def test_the_part_after_a_contrast_decides(text, tone):
    assert clause_tone(text) == tone


@pytest.mark.parametrize("text,tone", [
    ("要是有个全景天窗就完美了", "neutral"), ("如果油耗很高就不买了", "neutral"), ("这车油耗多少？", "question"),
    ("优惠多少", "neutral"), ("价格和对手差不多", "neutral"), ("最大扭矩320牛米", "neutral"),
    ("大众的发动机", "neutral"), ("这车好不好", "neutral"), ("价格贵不贵", "neutral"), ("高速上油耗七个", "neutral"), ("一个月九个油挺省油的", "praise"),
    ("动力很足，开着很爽", "praise"),
])
def test_no_opinion_is_neutral(text, tone):
    assert clause_tone(text) == tone
