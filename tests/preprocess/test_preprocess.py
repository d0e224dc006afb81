"""Chinese preprocessing: normalisation, clause splitting, segmentation with the domain dictionary."""

import pandas as pd
import pytest

from pipeline.preprocess import Segmenter, normalize_text, segment_clauses, split_clauses, to_clauses
from pipeline.taxonomy import load_taxonomy


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("車機卡頓很嚴重", "车机卡顿很严重"),  # traditional -> simplified
        ("ＯＴＡ升级后Ｓ７车机卡", "OTA升级后S7车机卡"),  # full-width letters and digits
        ("气死了😡😡车机又黑屏🙄", "气死了 车机又黑屏"),  # emoji removed
        ("太卡了！！！！", "太卡了！"),  # repeated punctuation
        ("为什么？？？？", "为什么？"),
        ("车机卡<br>导航慢 https://t.cn/A6xYz", "车机卡，导航慢"),  # HTML and URL
        ("#远航S7# @远航汽车官方 续航虚标", "远航S7 续航虚标"),  # hashtag kept, mention dropped
        ("&lt;售后&gt;态度差", "<售后>态度差"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "text,clauses",
    [
        ("异响很大，车机也卡", ["异响很大", "车机也卡"]),
        ("总体还行但是异响很大。", ["总体还行", "但是异响很大"]),
        ("外观很好看不过油耗太高", ["外观很好看", "不过油耗太高"]),
        ("空间够用只是隔音一般", ["空间够用", "只是隔音一般"]),
        ("维修师傅技术不过关", ["维修师傅技术不过关"]),  # 不过关 is one word: "not up to standard"
        ("车漆质量不过关还掉漆", ["车漆质量不过关还掉漆"]),
        ("动力比不过同级别的车", ["动力比不过同级别的车"]),
        ("不只是异响还有抖动", ["不只是异响还有抖动"]),
        ("唉，车机卡顿", ["唉，车机卡顿"]),  # a 1-character fragment joins its neighbour
        ("刹车失灵！差点出事；希望重视", ["刹车失灵", "差点出事", "希望重视"]),
    ],
)
def test_split_clauses(text, clauses):
    assert split_clauses(text) == clauses


def test_to_clauses_keeps_every_feedback_even_when_text_vanishes():
    fb = pd.DataFrame({"feedback_id": ["a:1", "a:2"], "text": ["異響很大，車機也卡", "👍👍"]})
    out, clauses = to_clauses(fb)
    assert out["text_norm"].tolist() == ["异响很大，车机也卡", ""]
    assert clauses["clause_id"].tolist() == ["a:1#0", "a:1#1", "a:2#0"]
    assert set(clauses["feedback_id"]) == {"a:1", "a:2"}


@pytest.fixture(scope="module", params=["jieba-rs", "jieba", "spacy"])
def segmenter(request):
    """Every segmentation backend must give the same tokens."""
    return Segmenter(load_taxonomy("taxonomies/automotive_v1.yaml").all_terms(), backend=request.param)


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("我的远航S7过减速带底盘咯吱咯吱响", ["我", "的", "远航S7", "过", "减速带", "底盘", "咯吱咯吱", "响"]),
        ("车机卡顿严重", ["车机", "卡顿", "严重"]),
        ("销售顾问爱答不理", ["销售顾问", "爱答不理"]),
        ("家充桩装了一个月", ["家充桩", "装", "了", "一个月"]),
    ],
)
def test_segmentation_keeps_domain_words_whole(segmenter, text, tokens):
    assert segmenter.cut(text) == tokens


def test_topic_tokens_drop_car_names_stopwords_and_numbers(segmenter):
    toks = segmenter.cut("我的远航S7和特斯拉Model Y比，车机卡顿了3次")
    topic = segmenter.topic_tokens(toks)
    assert "远航S7" not in topic and "特斯拉" not in topic and "Model" not in topic
    assert "的" not in topic and "3" not in topic
    assert "车机" in topic and "卡顿" in topic


def test_segment_clauses_adds_tokens_and_topic_doc(segmenter):
    cl = pd.DataFrame({"clause": ["X5的车机卡得要命"]})
    out = segment_clauses(cl, segmenter)
    assert out.loc[0, "tokens"].split() == ["X5", "的", "车机", "卡得", "要命"]
    assert "X5" not in out.loc[0, "topic_doc"].split()


def test_jieba_rs_reads_a_user_dictionary_like_jieba(tmp_path):
    d = tmp_path / "words.txt"
    d.write_text("\ufeff后背箱撑杆 50 n\n异响门\n\n", encoding="utf-8")
    for backend in ("jieba-rs", "jieba"):
        seg = Segmenter(backend=backend, user_dict=d)
        assert "后背箱撑杆" in seg.cut("后背箱撑杆坏了")
        assert "异响门" in seg.cut("又是异响门")


def test_a_broken_user_dictionary_line_is_named(tmp_path):
    d = tmp_path / "words.txt"
    d.write_text("好词 10 n\n坏 行 多 了 字\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"words.txt line 2: expected `word \[freq\] \[tag\]`"):
        Segmenter(backend="jieba-rs", user_dict=d).cut("随便")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        Segmenter(user_dict=tmp_path / "missing.txt").cut("随便")


def test_jieba_rs_cuts_feedback_as_jieba_does():
    """Both engines share dictionary and algorithm: Chinese feedback is cut the same way."""
    texts = ["新车开了三个月变速箱换挡顿挫很明显", "销售承诺的两次免费保养到店不认了", "充电桩装好以后一直充不进电",
             "方向盘在低速转弯时咯噔咯噔响", "中控大屏经常黑屏重启导航也用不了"]
    terms = load_taxonomy("taxonomies/automotive_v2.yaml").all_terms()
    rs, py = Segmenter(terms, backend="jieba-rs"), Segmenter(terms, backend="jieba")
    assert rs.cut_many(texts) == py.cut_many(texts)
