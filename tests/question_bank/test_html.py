"""security.md case 16: scripts in question text never survive sanitising, in any HTML field,
in the stored payload, the teacher view or the student view (with MathML rendered)."""

import json
from html.parser import HTMLParser

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.kernel.text import nfc
from question_bank import html_to_text, sanitise_html, student_view, teacher_view, validate_payload
from question_bank.html import _PLAIN, ALLOWED_TAGS, is_platform_media
from question_bank.mathml import MATHML_ELEMENTS
from tests.question_bank.payloads import RAW

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    '<a href="JaVaScRiPt:alert(1)">x</a><a href="data:text/html,<script>alert(1)</script>">y</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe><object data="x"></object>',
    r"\(\text{&lt;img src=x onerror=alert(1)&gt;}\) \(\href{javascript:alert(1)}{x}\)",
]
PROBE = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"


class Elements(HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str, extra_tags: frozenset = frozenset()) -> None:
    """Only allow-listed tags; no event handler or style; sources only the platform's own
    files; links only http(s) or mailto, opening in a new tab without opener."""
    for tag, attrs in Elements(html).tags:
        assert tag in ALLOWED_TAGS | extra_tags, tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name)
            if name == "src":
                assert is_platform_media(value), value
            if name == "href":
                assert ":" not in value or value.startswith(("http://", "https://", "mailto:"))
        if tag == "a":
            assert attrs["target"] == "_blank" and "noopener" in attrs["rel"], attrs
    lowered = html.lower()
    assert "<script" not in lowered and "<svg" not in lowered


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_neutralised(attack):
    clean = sanitise_html(attack)
    assert_inert(clean)
    assert sanitise_html(clean) == clean


def test_specific_outcomes():
    assert sanitise_html("<script>alert(1)</script>") == ""
    assert sanitise_html("<img src=x onerror=alert(1)>") == "<img>"
    assert sanitise_html('<a href="javascript:alert(1)">x</a>') == \
        '<a target="_blank" rel="noopener noreferrer nofollow">x</a>'
    assert sanitise_html('<a href="https://moet.gov.vn">Bộ</a>') == \
        '<a href="https://moet.gov.vn" target="_blank" rel="noopener noreferrer nofollow">Bộ</a>'
    assert sanitise_html("<svg onload=alert(1)>") == ""


def test_teaching_markup_survives():
    html = ('<p><b>Đề</b> <i>bài</i> <u>x</u><sub>1</sub><sup>2</sup></p>'
            '<table><thead><tr><th colspan="2">Bảng</th></tr></thead>'
            '<tbody><tr><td>1</td><td rowspan="2">2</td></tr></tbody></table>'
            '<ul><li>a</li></ul><ol><li>b</li></ol><pre><code>x = 1</code></pre>'
            '<blockquote>c</blockquote><hr><img src="/media/questions/ab/hinh.png" alt="Hình 1" '
            'width="200" height="100"><audio src="/media/questions/cd/bai-nghe.mp3" controls="">'
            '</audio>')
    assert sanitise_html(html) == html


def test_probe_text_survives_escaped():
    clean = sanitise_html(PROBE)
    assert clean == "&lt; &gt; &amp; &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
    assert html_to_text(clean) == "< > & < > & ' \\' 碁 \\ \\\\"
    assert Elements(clean).tags == []


@pytest.mark.parametrize("attack", [*ATTACKS, PROBE])
def test_every_html_field_is_sanitised_in_every_view(attack):
    raw = json.loads(json.dumps(RAW["single_choice"]))
    raw["text_html"] = f"Câu hỏi {attack}"
    raw["solution_html"] = raw["feedback_html"] = attack
    for option in raw["options"]:
        option["text_html"] = f"Phương án {attack}"
        option["feedback_html"] = attack
    stored = validate_payload(raw)
    for html in _html_values(teacher_view(stored)):
        assert_inert(html)
    for html in _html_values(student_view(stored)):
        assert_inert(html, MATHML_ELEMENTS)


def test_stimulus_children_and_cloze_are_sanitised():
    attack = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    raw = json.loads(json.dumps(RAW["stimulus"]))
    raw["text_html"] += attack
    raw["children"][0]["options"][0]["text_html"] += attack
    stored = validate_payload(raw)
    cloze = validate_payload({**RAW["cloze"], "text_html": RAW["cloze"]["text_html"] + attack})
    for payload in (stored, cloze):
        text = json.dumps(student_view(payload)) + json.dumps(teacher_view(payload))
        assert "onerror" not in text and "<script" not in text


def _html_values(value):
    """Every string in a view (all of them are HTML or plain text shown as HTML)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _html_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _html_values(item)
    elif isinstance(value, str):
        yield value


@settings(max_examples=500)
@given(st.text())
def test_plain_text_shortcut_gives_what_nh3_gives(text):
    """sanitise_html skips nh3 for plain text; the result must be the same as nh3's."""
    expected = nh3.clean(nfc(text), tags=set(ALLOWED_TAGS), clean_content_tags={"script", "style"},
                         strip_comments=True).strip()
    assert sanitise_html(text) == expected


def test_plain_text_shortcut_covers_every_code_point_nh3_keeps():
    """Every character the shortcut lets through is one nh3 leaves unchanged."""
    kept = "".join(chr(c) for c in range(0x110000) if _PLAIN.match(chr(c)))
    chunks = [kept[i:i + 4096] for i in range(0, len(kept), 4096)]
    assert all(nh3.clean(chunk) == chunk for chunk in chunks)
