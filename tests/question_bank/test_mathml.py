"""LaTeX in question HTML becomes MathML on the server; bad LaTeX stays text with a warning."""

import logging

import pytest

from question_bank import render_math, render_math_with_warnings, student_view
from question_bank.mathml import MATHML_NS
from tests.question_bank.payloads import payload

MATH = f'<math xmlns="{MATHML_NS}" display="inline">'


@pytest.mark.parametrize(("source", "display"), [
    (r"\(x^2\)", "inline"),
    ("$x^2$", "inline"),
    (r"\[x^2\]", "block"),
    ("$$x^2$$", "block"),
])
def test_each_delimiter(source, display):
    html, warnings = render_math_with_warnings(f"<p>Tính {source} nhé</p>")
    assert warnings == []
    assert html == (f'<p>Tính <math xmlns="{MATHML_NS}" display="{display}"><mrow><msup>'
                    "<mi>x</mi><mn>2</mn></msup></mrow></math> nhé</p>")


def test_escaped_comparison_signs_are_read_as_latex():
    html = render_math(r"\(a &lt; b\) và \(\frac{1}{2} &gt; 0\)")
    assert html.count(MATH) == 2
    assert "<mo>&lt;</mo>" in html and "<mfrac>" in html and "<mo>&gt;</mo>" in html


@pytest.mark.parametrize("text", [
    "Giá 5$ và 10$",
    r"Giá \$5",
    "<code>$x$</code>",
    "<pre>\\(y\\)</pre>",
    "$ x$",
])
def test_text_that_is_not_math_is_left_alone(text):
    html, warnings = render_math_with_warnings(text)
    assert MATH not in html and warnings == []


def test_literal_dollar_is_unescaped():
    assert render_math(r"Giá \$5") == "Giá $5"


@pytest.mark.parametrize("source", [
    r"\(\frac{1}{\)",
    r"\(\ce{H2O}\)",
    r"\(\text{&lt;img src=x onerror=alert(1)&gt;}\)",
    r"\(\text{a &lt; b}\)",
    "\\(" + "{" * 5000 + "\\)",
])
def test_unreadable_or_unsafe_latex_stays_escaped_text_with_a_warning(source, caplog):
    with caplog.at_level(logging.WARNING, logger="question_bank.mathml"):
        html = render_math(f"<p>Câu {source}</p>")
    assert MATH not in html
    assert "<img" not in html
    assert html.startswith("<p>Câu \\(") and html.endswith("\\)</p>")
    assert len(caplog.records) == 1
    assert "Không hiển thị được công thức" in caplog.records[0].getMessage()


def test_latex_attributes_that_could_carry_script_are_dropped():
    html = render_math(r"\(\href{javascript:alert(1)}{x}\) \(\style{color:red}{y}\)")
    assert html.count(MATH) == 2
    assert "href" not in html and "style" not in html and "javascript" not in html


def test_student_view_renders_math_and_teacher_view_keeps_the_source():
    stored = payload("single_choice", text_html=r"Giải \(x^2 = 4\)")
    assert stored["text_html"] == r"Giải \(x^2 = 4\)"
    assert student_view(stored)["text_html"].startswith(f"Giải {MATH}")
