"""QTI 2.1 import (items, content packages, hostile packages) and the export round trip."""

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.formats import (
    Attachment,
    ExportError,
    ParsedQuestion,
    detect_format,
    export_qti_item,
    export_qti_package,
    parse_qti,
)

from .payload_strategies import (
    XML_TYPES,
    common,
    html_text,
    maybe,
    plain,
    short_numeric,
    short_text,
)

NS = 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"'


def item(body: str, declarations: str = "", extra: str = "", title="Câu 1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<assessmentItem {NS} identifier="i1" '
            f'title="{title}" adaptive="false" timeDependent="false">{declarations}'
            f"<itemBody>{body}</itemBody>{extra}</assessmentItem>").encode()


def manifest(*hrefs: str) -> str:
    resources = "".join(
        f'<resource identifier="R{n}" type="imsqti_item_xmlv2p1" href="{href}">'
        f'<file href="{href}"/></resource>' for n, href in enumerate(hrefs))
    return ('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">'
            f"<organizations/><resources>{resources}</resources></manifest>")


def package(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def only(data, name=""):
    result = parse_qti(data, name)
    assert not result.errors, result.errors
    (question,) = result.questions
    return question


CHOICE = ('<responseDeclaration identifier="R" cardinality="{card}" baseType="identifier">'
          "<correctResponse>{values}</correctResponse></responseDeclaration>")


def test_choice_item_with_prompt_feedback_and_pinned_option():
    body = ('<p>Thủ đô của Việt Nam?</p><choiceInteraction responseIdentifier="R" shuffle="true" '
            'maxChoices="1"><simpleChoice identifier="HN">Hà Nội<feedbackInline '
            'outcomeIdentifier="FEEDBACK" identifier="HN">Đúng rồi</feedbackInline></simpleChoice>'
            '<simpleChoice identifier="HCM">TP. Hồ Chí Minh</simpleChoice>'
            '<simpleChoice identifier="X" fixed="true">Không câu nào</simpleChoice>'
            "</choiceInteraction>")
    modal = ('<modalFeedback outcomeIdentifier="FEEDBACK" identifier="GENERAL" showHide="hide">'
             "Hà Nội là thủ đô.</modalFeedback><modalFeedback outcomeIdentifier="
             '"FEEDBACK" identifier="SOLUTION" showHide="hide">Lời giải</modalFeedback>')
    question = only(item(body, CHOICE.format(card="single", values="<value>HN</value>"), modal),
                    "cau1.xml")
    payload = question.payload
    assert (payload["type"], payload["text_html"]) == ("single_choice",
                                                       "<p>Thủ đô của Việt Nam?</p>")
    assert [(o["id"], o["text_html"], o["correct"], o["feedback_html"])
            for o in payload["options"]] == [("a", "Hà Nội", True, "Đúng rồi"),
                                             ("b", "TP. Hồ Chí Minh", False, ""),
                                             ("c", "Không câu nào", False, "")]
    assert (payload["shuffle"], payload["pinned"]) == (True, ["c"])
    assert (payload["feedback_html"], payload["solution_html"]) == ("Hà Nội là thủ đô.", "Lời giải")
    assert (question.title, question.idnumber, question.location) == ("Câu 1", "i1", "cau1.xml")


@pytest.mark.parametrize("labels, answer", [(("Đúng", "Sai"), True), (("False", "True"), False)])
def test_two_choices_true_and_false_become_true_false(labels, answer):
    body = ('<choiceInteraction responseIdentifier="R" maxChoices="1">'
            f'<simpleChoice identifier="A">{labels[0]}</simpleChoice>'
            f'<simpleChoice identifier="B">{labels[1]}</simpleChoice></choiceInteraction>')
    payload = only(item(body, CHOICE.format(card="single", values="<value>A</value>"))).payload
    assert (payload["type"], payload["answer"]) == ("true_false", answer)


def test_multiple_response_from_mapping_when_no_correct_response():
    declaration = ('<responseDeclaration identifier="R" cardinality="multiple" baseType='
                   '"identifier"><mapping defaultValue="0"><mapEntry mapKey="A" mappedValue="1"/>'
                   '<mapEntry mapKey="B" mappedValue="-1"/><mapEntry mapKey="C" mappedValue="1"/>'
                   "</mapping></responseDeclaration>")
    body = ('<choiceInteraction responseIdentifier="R" maxChoices="0">' + "".join(
        f'<simpleChoice identifier="{i}">{i}</simpleChoice>' for i in "ABC")
        + "</choiceInteraction>")
    payload = only(item(body, declaration)).payload
    assert payload["type"] == "multiple_response"
    assert [o["correct"] for o in payload["options"]] == [True, False, True]


def test_several_text_entries_and_an_inline_choice_become_cloze():
    declarations = (
        '<responseDeclaration identifier="A" cardinality="single" baseType="string">'
        "<correctResponse><value>Hà Nội</value></correctResponse></responseDeclaration>"
        '<responseDeclaration identifier="B" cardinality="single" baseType="integer">'
        "<correctResponse><value>1010</value></correctResponse></responseDeclaration>"
        '<responseDeclaration identifier="C" cardinality="single" baseType="identifier">'
        "<correctResponse><value>y</value></correctResponse></responseDeclaration>")
    body = ('<p>Thủ đô <textEntryInteraction responseIdentifier="A"/> lập năm '
            '<textEntryInteraction responseIdentifier="B"/> bởi <inlineChoiceInteraction '
            'responseIdentifier="C"><inlineChoice identifier="x">Lê Lợi</inlineChoice>'
            '<inlineChoice identifier="y">Lý Thái Tổ</inlineChoice></inlineChoiceInteraction>.</p>')
    payload = only(item(body, declarations)).payload
    assert payload["type"] == "cloze"
    assert payload["text_html"] == "<p>Thủ đô [[g1]] lập năm [[g2]] bởi [[g3]].</p>"
    assert [g["kind"] for g in payload["gaps"]] == ["text", "numeric", "dropdown"]
    assert payload["gaps"][0]["answers"] == [{"text": "Hà Nội", "fraction": "1"}]
    assert payload["gaps"][1]["answers"] == [{"value": "1010", "tolerance": "0",
                                              "fraction": "1"}]
    assert [o["correct"] for o in payload["gaps"][2]["options"]] == [False, True]


def test_single_text_entry_is_short_text_or_numeric_by_base_type():
    for base, kind in (("string", "short_text"), ("float", "short_numeric")):
        declaration = (f'<responseDeclaration identifier="R" cardinality="single" baseType='
                       f'"{base}"><correctResponse><value>42</value></correctResponse>'
                       "</responseDeclaration>")
        payload = only(item('<p>Đáp số: <textEntryInteraction responseIdentifier="R"/></p>',
                            declaration)).payload
        assert (payload["type"], payload["text_html"]) == (kind, "<p>Đáp số: _____</p>")


def test_match_order_essay_and_description():
    match = ('<responseDeclaration identifier="R" cardinality="multiple" baseType="directedPair">'
             "<correctResponse><value>L1 R2</value><value>L2 R1</value></correctResponse>"
             "</responseDeclaration>")
    body = ('<matchInteraction responseIdentifier="R" shuffle="true" maxAssociations="2">'
            '<prompt>Ghép</prompt><simpleMatchSet><simpleAssociableChoice identifier="L1" '
            'matchMax="1">Việt Nam</simpleAssociableChoice><simpleAssociableChoice identifier="L2" '
            'matchMax="1">Lào</simpleAssociableChoice></simpleMatchSet><simpleMatchSet>'
            '<simpleAssociableChoice identifier="R1" matchMax="1">Viêng Chăn'
            '</simpleAssociableChoice><simpleAssociableChoice identifier="R2" matchMax="1">Hà Nội'
            '</simpleAssociableChoice><simpleAssociableChoice identifier="R3" matchMax="1">Huế'
            "</simpleAssociableChoice></simpleMatchSet></matchInteraction>")
    payload = only(item(body, match)).payload
    assert [(p["left_html"], p["right_html"]) for p in payload["pairs"]] == [
        ("Việt Nam", "Hà Nội"), ("Lào", "Viêng Chăn")]
    assert (payload["text_html"], payload["distractors"]) == ("Ghép", ["Huế"])
    order = ('<responseDeclaration identifier="R" cardinality="ordered" baseType="identifier">'
             "<correctResponse><value>B</value><value>A</value></correctResponse>"
             '</responseDeclaration>')
    body = ('<orderInteraction responseIdentifier="R"><simpleChoice identifier="A">Trần'
            '</simpleChoice><simpleChoice identifier="B">Lý</simpleChoice></orderInteraction>')
    assert [i["text_html"] for i in only(item(body, order)).payload["items"]] == ["Lý", "Trần"]
    essay = only(item('<p>Viết bài</p><extendedTextInteraction responseIdentifier="R"/>',
                      '<responseDeclaration identifier="R" cardinality="single" '
                      'baseType="string"/>')).payload
    assert (essay["type"], essay["text_html"]) == ("essay", "<p>Viết bài</p>")
    assert only(item("<p>Đọc đoạn văn</p>")).payload["type"] == "description"


def test_unknown_interaction_is_reported_with_the_item_file_name():
    body = ('<hotspotInteraction responseIdentifier="R" maxChoices="1"><object data="a.png" '
            'type="image/png"/></hotspotInteraction>')
    data = package({"imsmanifest.xml": manifest("items/q1.xml", "items/q2.xml"),
                    "items/q1.xml": item(body), "items/q2.xml": item("<p>Đọc</p>")})
    result = parse_qti(data)
    (error,) = result.errors
    assert (error.location, error.code) == ("items/q1.xml", "qtiunsupported")
    assert "hotspotInteraction" in error.message
    assert [q.location for q in result.questions] == ["items/q2.xml"]


def test_package_images_become_attachments_and_script_is_removed():
    body = ('<p>Hình: <img src="../media/hinh%201.png" alt="h" onerror="alert(1)"/>'
            '<object type="image/png" data="../media/b.png">Sơ đồ</object></p>'
            "<script>alert(2)</script>")
    data = package({"imsmanifest.xml": manifest("items/q1.xml"), "items/q1.xml": item(body),
                    "media/hinh 1.png": b"\x89PNG fake", "media/b.png": b"\x89PNG b"})
    question = only(data)
    assert question.attachments == [Attachment("media/hinh 1.png", b"\x89PNG fake"),
                                    Attachment("media/b.png", b"\x89PNG b")]
    text = question.payload["text_html"]
    assert 'src="@@PLUGINFILE@@/media/hinh 1.png"' in text
    assert '<img src="@@PLUGINFILE@@/media/b.png" alt="Sơ đồ">' in text
    assert "alert" not in text and "onerror" not in text


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"><itemBody><p>&lol2;</p>
</itemBody></assessmentItem>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest><resources><resource type="imsqti_item_xmlv2p1" href="&xxe;"/></resources></manifest>"""


@pytest.mark.parametrize("data, location", [
    (BILLION_LAUGHS, "assessmentItem"),
    (package({"imsmanifest.xml": XXE}), "imsmanifest.xml"),
    (package({"imsmanifest.xml": manifest("q.xml"), "q.xml": BILLION_LAUGHS}), "q.xml"),
])
def test_entities_are_refused(data, location):
    result = parse_qti(data)
    assert result.questions == []
    (error,) = result.errors
    assert (error.code, error.location) == ("xmlunsafe", location)
    assert "ENTITY" in error.message


def test_zip_slip_and_bombs_are_refused_before_reading():
    slip = package({"imsmanifest.xml": manifest("../evil.xml"), "../evil.xml": item("<p>x</p>")})
    result = parse_qti(slip)
    assert result.questions == []
    assert [(e.code, e.location) for e in result.errors] == [("unsafe_path", "../evil.xml")]
    bomb = package({"imsmanifest.xml": manifest("q.xml"), "q.xml": item("<p>x</p>"),
                    "pad.bin": b"\0" * (8 * 1024 * 1024)})
    assert [e.code for e in parse_qti(bomb).errors] == ["compression_ratio"]
    nested = package({"imsmanifest.xml": manifest("q.xml"), "q.xml": item("<p>x</p>"),
                      "inner.zip": package({"a": "b"})})
    assert [e.code for e in parse_qti(nested).errors] == ["nested_archive"]


def test_missing_manifest_and_missing_item_file():
    assert [e.code for e in parse_qti(package({"q.xml": item("<p>x</p>")})).errors] == [
        "qtinomanifest"]
    result = parse_qti(package({"imsmanifest.xml": manifest("gone.xml")}))
    assert [(e.code, e.location) for e in result.errors] == [("qtimissingfile", "gone.xml")]


# --- export and round trip ---------------------------------------------------------------------

@st.composite
def true_false_4(draw, xml=True):
    return {**common("true_false_4", draw(html_text()), draw(maybe(html_text()))),
            "statements": [{"id": i, "text_html": draw(html_text()), "answer": draw(st.booleans())}
                           for i in "abcd"]}


@st.composite
def ordering(draw, xml=True):
    count = draw(st.integers(2, 6))
    return {**common("ordering", draw(html_text()), draw(maybe(html_text()))),
            "items": [{"id": str(n), "text_html": draw(html_text())}
                      for n in range(1, count + 1)]}


@st.composite
def with_solution(draw, payload_strategy):
    payload = draw(payload_strategy)
    return {**payload, "solution_html": draw(maybe(html_text()))}


@st.composite
def missing_word(draw):
    """A short answer whose blank sits inside the stem (GIFT's missing word)."""
    payload = draw(st.one_of(short_text(True), short_numeric(True)))
    return {**payload, "text_html": f"{draw(html_text())} _____ {draw(html_text())}"}


QTI_TYPES = [with_solution(s) for s in [*XML_TYPES, true_false_4(), ordering(),
                                        missing_word()]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(QTI_TYPES), plain(forbid="\n")), min_size=1, max_size=4))
def test_package_round_trip(items):
    parsed = [ParsedQuestion(payload=p, title=t) for p, t in items]
    result = parse_qti(export_qti_package(parsed))
    assert not result.errors
    assert [(q.payload, q.title) for q in result.questions] == items


@settings(max_examples=50, deadline=None)
@given(st.one_of(QTI_TYPES))
def test_item_round_trip(payload):
    assert only(export_qti_item(payload)).payload == payload


def test_package_layout_namespaces_and_attachments():
    question = ParsedQuestion(
        payload={**common("description", '<p><img src="@@PLUGINFILE@@/logo.png" alt=""></p>')},
        title="Ảnh", idnumber="logo-1", attachments=[Attachment("logo.png", b"\x89PNG")])
    data = export_qti_package([question])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["imsmanifest.xml", "item0001.xml", "logo.png"]
        text = zf.read("item0001.xml").decode()
        manifest_text = zf.read("imsmanifest.xml").decode()
    assert 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"' in text
    assert 'identifier="logo-1"' in text and 'src="logo.png"' in text
    assert 'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"' in manifest_text
    assert 'type="imsqti_item_xmlv2p1"' in manifest_text
    again = only(data)
    assert again.attachments == question.attachments
    assert again.payload == question.payload
    assert detect_format("de.zip", data) == "qti"


def test_audio_and_underline_use_qti_markup_and_come_back():
    payload = common("description", '<p><u>Nghe</u> <audio src="@@PLUGINFILE@@/bai 1.mp3" '
                     'controls=""></audio></p>')
    question = ParsedQuestion(payload=payload, title="Nghe",
                              attachments=[Attachment("bai 1.mp3", b"ID3")])
    data = export_qti_package([question])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        text = zf.read("item0001.xml").decode()
    assert '<span class="hl-u">Nghe</span>' in text
    assert '<object data="bai 1.mp3" type="audio/mpeg" />' in text
    again = only(data)
    assert (again.payload, again.attachments) == (payload, question.attachments)


def test_export_refuses_stimulus_unless_skipped():
    stimulus = {**common("stimulus", "Đọc"), "children": [], "media": []}
    with pytest.raises(ExportError, match="stimulus"):
        export_qti_package([stimulus])
    data = export_qti_package([stimulus, common("description", "x")], skip_unsupported=True)
    assert [q.payload["text_html"] for q in parse_qti(data).questions] == ["x"]


def test_associate_pairs_and_text_entry_mapping_as_ims_samples_write_them():
    associate = ('<responseDeclaration identifier="R" cardinality="multiple" baseType="pair">'
                 "<correctResponse><value>A P</value><value>C M</value></correctResponse>"
                 "</responseDeclaration>")
    body = ('<associateInteraction responseIdentifier="R" shuffle="true" maxAssociations="2">'
            + "".join(f'<simpleAssociableChoice identifier="{i}" matchMax="1">{t}'
                      "</simpleAssociableChoice>"
                      for i, t in (("A", "Antonio"), ("C", "Capulet"), ("M", "Montague"),
                                   ("P", "Prospero"), ("L", "Lysander")))
            + "</associateInteraction>")
    payload = only(item(body, associate)).payload
    assert [(p["left_html"], p["right_html"]) for p in payload["pairs"]] == [
        ("Antonio", "Prospero"), ("Capulet", "Montague")]
    assert payload["distractors"] == ["Lysander"]
    entry = ('<responseDeclaration identifier="R" cardinality="single" baseType="string">'
             "<correctResponse><value>York</value></correctResponse><mapping defaultValue="
             '"0"><mapEntry mapKey="York" mappedValue="1"/><mapEntry mapKey="york" '
             'mappedValue="0.5"/></mapping></responseDeclaration>')
    short = only(item('<p>Richard III: "Now is the winter of our discontent made glorious '
                      'summer by this sun of <textEntryInteraction responseIdentifier="R" '
                      'expectedLength="15"/>."</p>', entry)).payload
    assert short["type"] == "short_text"
    assert short["answers"] == [{"text": "York", "fraction": "1"},
                                {"text": "york", "fraction": "0.5"}]
    assert short["case_sensitive"] is True  # QTI 2.1: mapEntry caseSensitive defaults to true
    assert short["text_html"].endswith("by this sun of _____.\"</p>")
    exported = export_qti_item(short)
    assert 'sun of <textEntryInteraction responseIdentifier="RESPONSE"' in exported
    assert only(exported).payload == short
