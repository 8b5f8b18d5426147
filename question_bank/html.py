"""Rich text of questions: one allow-list sanitiser (nh3) and a plain-text reading of it.

Teachers' and imported HTML is untrusted (security.md, case 16). Only the tags needed for
text, math written as LaTeX, tables, images and audio survive; scripts, event handlers,
`style`, and every URL scheme except http/https are removed.
"""

import html as _html
import re

import nh3

from question_bank.text import nfc

ALLOWED_TAGS = frozenset({
    "p", "br", "b", "strong", "i", "em", "u", "sub", "sup", "span", "div", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "img", "audio", "a", "code", "pre",
    "blockquote", "hr",
})
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "audio": {"src", "controls"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https"})

_INLINE_TAG = re.compile(r"</?(?:b|strong|i|em|u|sub|sup|span|a|code)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
#: Text nh3 would give back unchanged: no markup, no entity, no character the HTML parser
#: rewrites (controls, NBSP, surrogates, noncharacters). Checked against nh3 for every code
#: point; tests/question_bank/test_html.py keeps checking it.
_PLAIN = re.compile(
    r"[^<>&\x00-\x08\x0b-\x1f\x7f-\x9f\xa0\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]*\Z")


def sanitise_html(text: str | None) -> str:
    """NFC, then keep only the allow-listed tags and attributes; links get rel="noopener".
    Plain text (most option texts) skips the parser: nh3 would return it unchanged."""
    text = nfc(text)
    if is_plain(text):
        return text.strip()
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def is_plain(text: str) -> bool:
    """True when nh3 would return ``text`` unchanged (see ``_PLAIN``)."""
    return _PLAIN.match(text) is not None


def html_to_text(text: str | None) -> str:
    """The visible text of sanitised HTML, entities decoded, whitespace collapsed.

    Inline tags join their neighbours ('H<sub>2</sub>O' → 'H2O'); other tags separate words.
    """
    bare = _TAG.sub(" ", _INLINE_TAG.sub("", text or ""))
    return _SPACE.sub(" ", _html.unescape(bare)).strip()


def has_content(text: str) -> bool:
    """True when sanitised HTML shows something: text, an image or an audio clip."""
    return bool(html_to_text(text)) or "<img" in text or "<audio" in text
