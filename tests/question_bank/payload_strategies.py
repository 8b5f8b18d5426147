"""Hypothesis strategies for schema-1 payloads in canonical form (NFC, sanitised HTML,
decimal strings), restricted to what a given export format can carry."""

import html

from hypothesis import strategies as st

from lms.kernel.text import nfc
from question_bank.formats.markup import decimal_string

# Letters (with Vietnamese), digits, spaces and every GIFT/XML/HTML special character.
ALPHABET = st.sampled_from(list("aAbzĐđơƯữẫệ0179 .,;!?'\"()[]~=#{}:\\%&<>/-+*$@"))
GRADES = ["1", "0.5", "0.3333333", "0.25", "0.1", "0"]


def plain(min_size=1, max_size=20, forbid=""):
    """Stripped, NFC plain text that is not empty and avoids ``forbid`` characters."""
    chars = ALPHABET.filter(lambda c: c not in forbid)
    return st.text(chars, min_size=min_size, max_size=max_size).map(nfc).filter(
        lambda s: s and "_____" not in s and "[[" not in s)


def html_text(**kwargs):
    """Sanitised HTML: escaped plain text, sometimes wrapped in <b> or <p>."""
    wraps = st.sampled_from(["{}", "<b>{}</b>", "<p>{}</p>"])
    return st.tuples(plain(**kwargs), wraps).map(
        lambda t: t[1].format(html.escape(t[0], quote=False)))


def maybe(strategy):
    return st.one_of(st.just(""), strategy)


def common(kind, text, feedback=""):
    return {"schema": 1, "type": kind, "text_html": text, "feedback_html": feedback,
            "solution_html": ""}


@st.composite
def choices(draw, kind, xml):
    count = draw(st.integers(2, 8))
    if kind == "single_choice":
        right = draw(st.integers(0, count - 1))
        correct = [i == right for i in range(count)]
    else:
        correct = draw(st.lists(st.booleans(), min_size=count, max_size=count).filter(any))
    options = [{"id": "abcdefgh"[i], "text_html": draw(html_text()), "correct": ok,
                "feedback_html": draw(maybe(html_text()))} for i, ok in enumerate(correct)]
    return {**common(kind, draw(html_text()), draw(maybe(html_text()))), "options": options,
            "shuffle": draw(st.booleans()) if xml else True, "pinned": []}


@st.composite
def true_false(draw, xml):
    return {**common("true_false", draw(html_text()), draw(maybe(html_text()))),
            "answer": draw(st.booleans()), "feedback_true_html": draw(maybe(html_text())),
            "feedback_false_html": draw(maybe(html_text()))}


def fractions(draw, count):
    values = draw(st.lists(st.sampled_from(GRADES), min_size=count, max_size=count))
    values[draw(st.integers(0, count - 1))] = "1"
    return values


@st.composite
def short_text(draw, xml):
    count = draw(st.integers(1, 4))
    answers = [{"text": draw(plain(forbid=">")), "fraction": f} for f in fractions(draw, count)]
    return {**common("short_text", draw(html_text()), draw(maybe(html_text()))),
            "answers": answers, "case_sensitive": draw(st.booleans()) if xml else False,
            "ignore_diacritics": False}


def numbers(minimum=-10**6):
    return st.decimals(min_value=minimum, max_value=10**6, places=3, allow_nan=False,
                       allow_infinity=False).map(decimal_string)


@st.composite
def numeric_answers(draw):
    count = draw(st.integers(1, 3))
    return [{"value": draw(numbers()), "tolerance": draw(numbers(0)), "fraction": f}
            for f in fractions(draw, count)]


@st.composite
def short_numeric(draw, xml):
    return {**common("short_numeric", draw(html_text()), draw(maybe(html_text()))),
            "answers": draw(numeric_answers()), "format_2025": False}


def right_side():
    return plain().map(lambda s: html.escape(s, quote=False))


@st.composite
def matching(draw, xml):
    count = draw(st.integers(2, 5))
    pairs = [{"id": str(i), "left_html": draw(html_text()), "right_html": draw(right_side())}
             for i in range(1, count + 1)]
    return {**common("matching", draw(html_text()), draw(maybe(html_text()))), "pairs": pairs,
            "distractors": draw(st.lists(right_side(), max_size=2)),
            "shuffle": draw(st.booleans()) if xml else True}


@st.composite
def essay(draw, xml):
    limits = st.integers(0, 500) if xml else st.just(0)
    return {**common("essay", draw(html_text()), draw(maybe(html_text()))), "rubric": [],
            "min_words": draw(limits), "max_words": draw(limits),
            "reference_html": draw(maybe(html_text())) if xml else ""}


@st.composite
def description(draw, xml):
    return common("description", draw(html_text()),
                  draw(maybe(html_text())) if xml else "")


@st.composite
def ordering(draw, xml):
    count = draw(st.integers(2, 6))
    return {**common("ordering", draw(html_text()), draw(maybe(html_text()))),
            "items": [{"id": str(i), "text_html": draw(html_text())} for i in range(1, count + 1)]}


@st.composite
def gap(draw, gap_id):
    kind = draw(st.sampled_from(["text", "numeric", "dropdown"]))
    base = {"id": gap_id, "kind": kind, "points": draw(st.sampled_from(["1", "2"])),
            "answers": [], "options": []}
    if kind == "numeric":
        return {**base, "answers": draw(numeric_answers())}
    if kind == "text":
        count = draw(st.integers(1, 3))
        return {**base, "answers": [{"text": draw(plain()), "fraction": f}
                                    for f in fractions(draw, count)]}
    count = draw(st.integers(2, 5))
    right = draw(st.integers(0, count - 1))
    texts = [draw(plain().filter(lambda s: s[0] not in "=%")) for _ in range(count)]
    return {**base, "options": [{"id": "abcde"[i], "text": t, "correct": i == right}
                                for i, t in enumerate(texts)]}


@st.composite
def cloze(draw, xml):
    count = draw(st.integers(1, 3))
    gaps = [draw(gap(f"g{i}")) for i in range(1, count + 1)]
    pieces = [draw(html_text()) + f" [[g{i}]] " for i in range(1, count + 1)]
    text = nfc("".join(pieces) + draw(maybe(html_text())))
    return {**common("cloze", text, draw(maybe(html_text()))), "gaps": gaps}


GIFT_TYPES = [choices("single_choice", False), choices("multiple_response", False),
              true_false(False), short_text(False), short_numeric(False), matching(False),
              essay(False), description(False)]
XML_TYPES = [choices("single_choice", True), choices("multiple_response", True), true_false(True),
             short_text(True), short_numeric(True), matching(True), essay(True),
             description(True), cloze(True)]

words = st.text(st.sampled_from(list("abcxyzĐơ0-")), min_size=1, max_size=8).map(nfc)
categories = st.lists(st.text(st.sampled_from(list("abc Đơ1")), min_size=1, max_size=8).map(nfc)
                      .filter(bool), min_size=1, max_size=3).map("/".join)


#: Titles as the bank stores them: one line, single spaces (lms.questions.services.title_text).
titles = plain(forbid="\n").map(lambda s: " ".join(s.split())).filter(bool)


@st.composite
def questions(draw, kinds):
    """A list of (payload, title, category, tags, idnumber). A category is sticky in both
    formats ($CATEGORY / category question), so once set it never goes back to None."""
    items, category = [], None
    for _ in range(draw(st.integers(1, 4))):
        category = draw(categories) if draw(st.booleans()) else category
        items.append((draw(st.one_of(kinds)), draw(titles), category,
                      draw(st.lists(words, max_size=2)), draw(st.one_of(st.none(), words))))
    return items
