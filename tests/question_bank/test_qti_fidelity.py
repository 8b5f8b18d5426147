"""QTI import fidelity: nothing an item holds is dropped silently (docs/import-formats.md,
"Import fidelity"), and QTI 3.0 items read like their 2.x equivalents.

The 1EdTech/IMS example items may not be redistributed (their licence forbids re-licensing),
so the items below are written here with the same structures: the adaptive item whose next
step is an interaction inside a ``feedbackBlock``, the correct/incorrect ``modalFeedback``
pair, MathML prompts, the ``<object>`` with a fallback ``<object>``, the HTML passage object,
the QTI 3.0 spellings and the 3.0 shared stimulus.
"""

from collections import Counter

from question_bank.formats import Attachment, export_qti_item, parse_qti

from .test_qti import CHOICE, item, manifest, only, package

QTI3_NS = 'xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"'
MATHML_NS = 'xmlns:m="http://www.w3.org/1998/Math/MathML"'


def choice_body(prompt: str = "Chọn", choices=(("A", "Một"), ("B", "Hai"))) -> str:
    return ('<choiceInteraction responseIdentifier="R" maxChoices="1">'
            f"<prompt>{prompt}</prompt>"
            + "".join(f'<simpleChoice identifier="{i}">{t}</simpleChoice>' for i, t in choices)
            + "</choiceInteraction>")


def choice_item(body: str = "", extra: str = "", correct: str = "A") -> bytes:
    return item(body or choice_body(), CHOICE.format(card="single",
                                                     values=f"<value>{correct}</value>"), extra)


def qti3(body: str, declarations: str = "", extra: str = "", title: str = "Câu 3") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<qti-assessment-item {QTI3_NS} '
            f'identifier="q3" title="{title}" adaptive="false" time-dependent="false">'
            f"{declarations}<qti-item-body>{body}</qti-item-body>{extra}"
            "</qti-assessment-item>").encode()


def decl3(identifier: str, values: list[str], card="single", base="identifier",
          mapping: str = "") -> str:
    correct = "".join(f"<qti-value>{v}</qti-value>" for v in values)
    return (f'<qti-response-declaration identifier="{identifier}" cardinality="{card}" '
            f'base-type="{base}"><qti-correct-response>{correct}</qti-correct-response>'
            f"{mapping}</qti-response-declaration>")


def manifest3(*hrefs: str) -> str:
    return manifest(*hrefs).replace("imsqti_item_xmlv2p1", "imsqti_item_xmlv3p0")


def codes(question) -> list[str]:
    return [w.code for w in question.warnings]


# --- QTI 3.0 ---------------------------------------------------------------------------------

QTI3_ITEMS = {
    "choice.xml": qti3(
        '<p>Biển báo nói gì?</p><qti-choice-interaction response-identifier="R" '
        'max-choices="1" shuffle="true"><qti-prompt>Chọn một</qti-prompt>'
        '<qti-simple-choice identifier="A">Ở lại</qti-simple-choice>'
        '<qti-simple-choice identifier="B" fixed="true">Đi<qti-feedback-inline '
        'outcome-identifier="FB" identifier="B" show-hide="show">Sai rồi</qti-feedback-inline>'
        "</qti-simple-choice><qti-simple-choice identifier=\"C\">Nhớ</qti-simple-choice>"
        "</qti-choice-interaction>", decl3("R", ["A"]),
        '<qti-modal-feedback outcome-identifier="FEEDBACK" identifier="SOLUTION" '
        'show-hide="hide"><qti-content-body><p>Vì biển ghi vậy.</p></qti-content-body>'
        "</qti-modal-feedback>"),
    "multiple.xml": qti3(
        '<qti-choice-interaction response-identifier="R" max-choices="0">'
        "<qti-prompt>Số chẵn?</qti-prompt>"
        + "".join(f'<qti-simple-choice identifier="{i}">{i}</qti-simple-choice>'
                  for i in ("2", "3", "4"))
        + "</qti-choice-interaction>", decl3("R", ["2", "4"], card="multiple")),
    "text_entry.xml": qti3(
        '<p>Thủ đô là <qti-text-entry-interaction response-identifier="R" '
        'expected-length="10"/>.</p>',
        decl3("R", ["Hà Nội"], base="string", mapping=(
            '<qti-mapping default-value="0"><qti-map-entry map-key="Hà Nội" mapped-value="1" '
            'case-sensitive="false"/></qti-mapping>'))),
    "numeric.xml": qti3('<p>2 + 2 = <qti-text-entry-interaction response-identifier="R"/></p>',
                        decl3("R", ["4"], base="integer")),
    "essay.xml": qti3('<qti-extended-text-interaction response-identifier="R">'
                      "<qti-prompt>Viết đoạn văn.</qti-prompt></qti-extended-text-interaction>"
                      '<qti-rubric-block view="scorer"><qti-content-body><p>Đủ ý.</p>'
                      "</qti-content-body></qti-rubric-block>",
                      '<qti-response-declaration identifier="R" cardinality="single" '
                      'base-type="string"/>'),
    "order.xml": qti3('<qti-order-interaction response-identifier="R"><qti-prompt>Xếp'
                      "</qti-prompt>"
                      + "".join(f'<qti-simple-choice identifier="{i}">{i}</qti-simple-choice>'
                                for i in ("X", "Y", "Z"))
                      + "</qti-order-interaction>",
                      decl3("R", ["Z", "X", "Y"], card="ordered")),
    "match.xml": qti3('<qti-match-interaction response-identifier="R"><qti-prompt>Nối'
                      "</qti-prompt><qti-simple-match-set>"
                      '<qti-simple-associable-choice identifier="L1" match-max="1">Hà Nội'
                      "</qti-simple-associable-choice>"
                      '<qti-simple-associable-choice identifier="L2" match-max="1">Huế'
                      "</qti-simple-associable-choice></qti-simple-match-set>"
                      "<qti-simple-match-set>"
                      '<qti-simple-associable-choice identifier="R1" match-max="1">Bắc'
                      "</qti-simple-associable-choice>"
                      '<qti-simple-associable-choice identifier="R2" match-max="1">Trung'
                      "</qti-simple-associable-choice></qti-simple-match-set>"
                      "</qti-match-interaction>",
                      decl3("R", ["L1 R1", "L2 R2"], card="multiple", base="directedPair")),
    "inline.xml": qti3('<p>Nước sôi ở <qti-inline-choice-interaction response-identifier="R">'
                       '<qti-inline-choice identifier="a">100</qti-inline-choice>'
                       '<qti-inline-choice identifier="b">50</qti-inline-choice>'
                       "</qti-inline-choice-interaction> độ.</p>", decl3("R", ["a"])),
    "hotspot.xml": qti3('<qti-hotspot-interaction response-identifier="R" max-choices="1">'
                        '<img src="map.png" alt="bản đồ"/></qti-hotspot-interaction>',
                        decl3("R", ["A"])),
}


def test_qti3_package_common_interactions_map_like_qti2():
    data = package({"imsmanifest.xml": manifest3(*QTI3_ITEMS), **QTI3_ITEMS})
    result = parse_qti(data)
    assert [(q.location, q.payload["type"]) for q in result.questions] == [
        ("choice.xml", "single_choice"), ("multiple.xml", "multiple_response"),
        ("text_entry.xml", "short_text"), ("numeric.xml", "short_numeric"),
        ("essay.xml", "essay"), ("order.xml", "ordering"), ("match.xml", "matching"),
        ("inline.xml", "cloze")]
    assert [(e.location, e.code) for e in result.errors] == [("hotspot.xml", "qtiunsupported")]
    assert "hotspotInteraction" in result.errors[0].message
    choice, multiple, entry, numeric, essay, order, match, inline = (
        q.payload for q in result.questions)
    assert choice["text_html"] == "<p>Biển báo nói gì?</p><p>Chọn một</p>"
    assert [(o["text_html"], o["correct"], o["feedback_html"]) for o in choice["options"]] == [
        ("Ở lại", True, ""), ("Đi", False, "Sai rồi"), ("Nhớ", False, "")]
    assert (choice["shuffle"], choice["pinned"]) == (True, ["b"])
    assert choice["solution_html"] == "<p>Vì biển ghi vậy.</p>"
    assert [o["correct"] for o in multiple["options"]] == [True, False, True]
    assert entry["answers"] == [{"text": "Hà Nội", "fraction": "1"}]
    assert entry["case_sensitive"] is False
    assert numeric["answers"][0]["value"] == "4"
    assert essay["reference_html"] == "<p>Đủ ý.</p>"
    assert [i["text_html"] for i in order["items"]] == ["Z", "X", "Y"]
    assert [(p["left_html"], p["right_html"]) for p in match["pairs"]] == [
        ("Hà Nội", "Bắc"), ("Huế", "Trung")]
    assert [o["correct"] for o in inline["gaps"][0]["options"]] == [True, False]
    assert all(q.warnings == [] for q in result.questions)


def test_a_single_qti3_item_reads_like_its_qti2_twin():
    body2 = choice_body("Chọn", (("A", "Một"), ("B", "Hai")))
    twin2 = only(choice_item(body2)).payload
    twin3 = only(qti3(
        '<qti-choice-interaction response-identifier="R" max-choices="1">'
        "<qti-prompt>Chọn</qti-prompt><qti-simple-choice identifier=\"A\">Một"
        '</qti-simple-choice><qti-simple-choice identifier="B">Hai</qti-simple-choice>'
        "</qti-choice-interaction>", decl3("R", ["A"]))).payload
    assert twin3 == twin2


# --- interactions hidden in conditional blocks -----------------------------------------------

def test_interaction_inside_a_feedback_block_refuses_the_item():
    """The adaptive item of the IMS examples: the second step is an interaction inside a
    feedbackBlock. It used to become a description."""
    body = ('<feedbackBlock outcomeIdentifier="BODY" identifier="part1" showHide="show">'
            "<p>Bước 1</p>" + choice_body() + "</feedbackBlock>")
    result = parse_qti(choice_item(body), "adaptive.xml")
    assert result.questions == []
    (error,) = result.errors
    assert error.code == "qtiunsupported"
    assert "<choiceInteraction>" in error.message and "<feedbackBlock>" in error.message
    # positive control: the same interaction outside the block imports
    assert only(choice_item(choice_body())).payload["type"] == "single_choice"


def test_feedback_blocks_solution_kept_others_named_in_a_warning():
    body = (choice_body() + '<feedbackBlock outcomeIdentifier="FEEDBACK" identifier="SOLUTION" '
            'showHide="show"><p>Lời giải: 1.</p></feedbackBlock>'
            '<feedbackBlock outcomeIdentifier="FEEDBACK" identifier="again" showHide="show">'
            "<p>Thử lại</p></feedbackBlock>")
    question = only(choice_item(body))
    assert question.payload["solution_html"] == "<p>Lời giải: 1.</p>"
    assert "Thử lại" not in str(question.payload)
    (warning,) = question.warnings
    assert warning.code == "qtifeedbackdropped" and "«again»" in warning.message


# --- MathML ------------------------------------------------------------------------------------

def test_mathml_in_a_prompt_becomes_latex():
    body = choice_body(f'Công thức <m:math {MATHML_NS}><m:mi>E</m:mi><m:mo>=</m:mo><m:mi>m'
                       "</m:mi><m:msup><m:mi>c</m:mi><m:mn>2</m:mn></m:msup></m:math> của ai?",
                       (("A", 'Einstein <math xmlns="http://www.w3.org/1998/Math/MathML" '
                               'display="block"><mfrac><mn>1</mn><mn>2</mn></mfrac></math>'),
                        ("B", "Newton")))
    question = only(choice_item(body))
    assert question.payload["text_html"] == r"Công thức \(E = mc^{2}\) của ai?"
    assert question.payload["options"][0]["text_html"] == r"Einstein \[\frac{1}{2}\]"
    assert question.warnings == []


def test_mathml_that_cannot_be_converted_keeps_its_text_with_a_warning():
    question = only(choice_item(choice_body("Năng lượng: <math>E=mc²</math>.")))
    assert question.payload["text_html"] == "Năng lượng: E=mc²."
    (warning,) = question.warnings
    assert warning.code == "qtimath" and "E=mc²" in warning.message


# --- modal feedback ---------------------------------------------------------------------------

FEEDBACK_PROCESSING = (
    "<responseProcessing><responseCondition><responseIf><match><variable identifier=\"R\"/>"
    '<correct identifier="R"/></match><setOutcomeValue identifier="FEEDBACK"><baseValue '
    'baseType="identifier">correct</baseValue></setOutcomeValue></responseIf><responseElse>'
    '<setOutcomeValue identifier="FEEDBACK"><baseValue baseType="identifier">incorrect'
    "</baseValue></setOutcomeValue></responseElse></responseCondition></responseProcessing>")


def modal(identifier: str, text: str, show: str = "show") -> str:
    return (f'<modalFeedback outcomeIdentifier="FEEDBACK" identifier="{identifier}" '
            f'showHide="{show}">{text}</modalFeedback>')


def test_conditional_modal_feedbacks_are_not_concatenated():
    extra = (FEEDBACK_PROCESSING + modal("correct", "Đúng rồi") + modal("incorrect", "Sai rồi")
             + modal("general", "Xem lại bài 2", show="hide") + modal("B", "Hai là sai"))
    question = only(choice_item(extra=extra))
    payload = question.payload
    assert payload["feedback_html"] == "Xem lại bài 2"
    assert [o["feedback_html"] for o in payload["options"]] == ["", "Hai là sai"]
    (warning,) = question.warnings
    assert warning.code == "qtifeedbackdropped"
    assert "«correct»" in warning.message and "«incorrect»" in warning.message
    assert "Đúng rồi" not in str(payload) and "Sai rồi" not in str(payload)


def test_our_own_general_and_solution_feedback_round_trip_without_warning():
    payload = only(choice_item()).payload
    payload["feedback_html"], payload["solution_html"] = "Chung", "Giải"
    payload["options"][1]["feedback_html"] = "Không phải"
    question = only(export_qti_item(payload))
    assert question.payload == payload and question.warnings == []


# --- objects, images, passages -----------------------------------------------------------------

def test_object_fallbacks_take_the_first_file_the_package_contains():
    body = ('<p><object type="image/png" data="img/big.png"><object type="image/png" '
            'data="img/small.png">Bưu thiếp</object></object></p>' + choice_body())
    files = {"imsmanifest.xml": manifest("q.xml"), "q.xml": choice_item(body),
             "img/small.png": b"\x89PNG small"}
    question = only(package(files))
    assert question.attachments == [Attachment("img/small.png", b"\x89PNG small")]
    assert '<img src="@@PLUGINFILE@@/img/small.png" alt="Bưu thiếp">' in (
        question.payload["text_html"])
    assert question.warnings == []
    both = only(package({**files, "img/big.png": b"\x89PNG big"}))
    assert both.attachments == [Attachment("img/big.png", b"\x89PNG big")]


def test_object_of_a_kind_we_cannot_show_keeps_its_text_with_a_warning():
    body = '<p><object type="video/mp4" data="v.mp4">Đoạn phim</object></p>' + choice_body()
    question = only(choice_item(body))
    assert "Đoạn phim" in question.payload["text_html"]
    assert codes(question) == ["qtiobject"] and "v.mp4" in question.warnings[0].message


def test_relative_images_of_a_single_item_are_reported_missing():
    body = ('<p>Xem <img src="images/sign.png" alt="Biển báo"/> và '
            '<img src="https://example.org/a.png" alt="ngoài"/></p>' + choice_body())
    question = only(choice_item(body), "choice.xml")
    text = question.payload["text_html"]
    assert "sign.png" not in text and "Xem Biển báo và" in text
    assert 'src="https://example.org/a.png"' in text  # an absolute URL is not a package file
    (warning,) = question.warnings
    assert (warning.code, warning.location) == ("qtimissingmedia", "choice.xml")
    assert "«images/sign.png»" in warning.message
    # positive control: the same item in a package holding the picture
    packaged = only(package({"imsmanifest.xml": manifest("choice.xml"),
                             "choice.xml": choice_item(body), "images/sign.png": b"PNG"}))
    assert packaged.warnings == [] and packaged.attachments == [
        Attachment("images/sign.png", b"PNG")]


def test_html_passage_object_is_inlined_from_the_package_or_reported():
    body = ('<div><object type="text/html" data="shared/orkney.html">Bài đọc Orkney</object>'
            "</div>" + choice_body())
    passage = ("<html><head><title>T</title></head><body><h1>Orkney</h1>"
               '<p>Bảy mươi đảo <img src="img/map.png" alt="bản đồ"></p>'
               "<script>alert(1)</script></body></html>").encode()
    data = package({"imsmanifest.xml": manifest("items/q.xml"),
                    "items/q.xml": choice_item(body), "items/shared/orkney.html": passage,
                    "items/shared/img/map.png": b"PNG map"})
    question = only(data)
    text = question.payload["text_html"]
    assert "<h1>Orkney</h1>" in text and "Bảy mươi đảo" in text and "alert" not in text
    assert 'src="@@PLUGINFILE@@/items/shared/img/map.png"' in text
    assert question.attachments == [Attachment("items/shared/img/map.png", b"PNG map")]
    assert question.warnings == []
    single = only(choice_item(body))
    assert "Bài đọc Orkney" in single.payload["text_html"]
    assert codes(single) == ["qtipassage"]
    assert "shared/orkney.html" in single.warnings[0].message


def test_qti3_shared_stimulus_is_put_before_the_item_or_reported():
    stimulus = (f'<qti-assessment-stimulus {QTI3_NS} identifier="S1" title="Đoạn văn">'
                "<qti-stimulus-body><p>Ngày xưa có một cậu bé.</p></qti-stimulus-body>"
                "</qti-assessment-stimulus>").encode()
    ref = '<qti-assessment-stimulus-ref identifier="S1" href="../passages/s1.xml"/>'
    choice3 = ('<qti-choice-interaction response-identifier="R" max-choices="1"><qti-prompt>'
               'Ai?</qti-prompt><qti-simple-choice identifier="A">Cậu bé</qti-simple-choice>'
               '<qti-simple-choice identifier="B">Cô bé</qti-simple-choice>'
               "</qti-choice-interaction>")
    item3 = (f'<qti-assessment-item {QTI3_NS} identifier="q" title="Q">{ref}'
             f'{decl3("R", ["A"])}<qti-item-body>{choice3}</qti-item-body>'
             "</qti-assessment-item>")
    data = package({"imsmanifest.xml": manifest3("items/q.xml"), "items/q.xml": item3,
                    "passages/s1.xml": stimulus})
    question = only(data)
    assert question.payload["text_html"].startswith("<div><p>Ngày xưa có một cậu bé.</p></div>")
    assert question.warnings == []
    alone = only(item3)
    assert codes(alone) == ["qtipassage"] and "../passages/s1.xml" in alone.warnings[0].message


# --- a package with every structure: what is accepted, refused and warned --------------------

def test_package_of_sample_structures_counts_accepted_refused_and_warned():
    mathml = f'<m:math {MATHML_NS}><m:msqrt><m:mi>x</m:mi></m:msqrt></m:math>'
    items = {
        "choice.xml": choice_item(),
        "modal.xml": choice_item(extra=FEEDBACK_PROCESSING + modal("correct", "Đúng")
                                 + modal("incorrect", "Sai")),
        "adaptive.xml": choice_item('<feedbackBlock outcomeIdentifier="BODY" identifier="p2" '
                                    'showHide="show">' + choice_body() + "</feedbackBlock>"),
        "hotspot.xml": choice_item('<hotspotInteraction responseIdentifier="R" maxChoices="1">'
                                   '<object type="image/png" data="m.png"/>'
                                   "</hotspotInteraction>"),
        "math.xml": choice_item(choice_body(f"Tính {mathml}")),
        "picture.xml": choice_item('<p><img src="gone.png" alt="hình"/></p>' + choice_body()),
        "passage.xml": choice_item('<object type="text/html" data="p.html">Bài đọc</object>'
                                   + choice_body()),
        "qti3.xml": QTI3_ITEMS["order.xml"],
        "description.xml": item("<p>Phần II: đọc kỹ.</p>"),
    }
    result = parse_qti(package({"imsmanifest.xml": manifest(*items), **items}))
    accepted = {q.location: q.payload["type"] for q in result.questions}
    warned = Counter(w.code for q in result.questions for w in q.warnings)
    refused = Counter(e.code for e in result.errors)
    assert accepted == {"choice.xml": "single_choice", "modal.xml": "single_choice",
                        "math.xml": "single_choice", "picture.xml": "single_choice",
                        "passage.xml": "single_choice", "qti3.xml": "ordering",
                        "description.xml": "description"}
    assert refused == {"qtiunsupported": 2}
    assert warned == {"qtifeedbackdropped": 1, "qtimissingmedia": 1, "qtipassage": 1}
    assert "\\(\\sqrt{x}\\)" in result.questions[2].payload["text_html"]
