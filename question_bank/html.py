"""Rich text of questions and lesson pages: one allow-list sanitiser (nh3) and a plain-text
reading of it.

Teachers' and imported HTML is untrusted (security.md, case 16). Only the tags needed for
text, math written as LaTeX, tables, images and audio survive; scripts, event handlers and
`style` are removed. Images and audio play only from the platform's own storage (a
``/media/<key>`` path): a source anywhere else — another host, a ``data:`` URI — is dropped,
so a question cannot load a tracker or anything else from the Internet while students take a
test (issue 10 §1.7). Links keep only http, https and mailto targets, open in a new tab
without the page as opener or referrer, and carry ``rel="… nofollow"``, by which the page's
style sheet shows their target after the text (``lms/static/css/app.css``).
"""

import html as _html
import re
from html.parser import HTMLParser

import nh3

from lms.kernel.text import nfc

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
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Elements whose source the browser fetches by itself, and the attributes naming it.
MEDIA_ELEMENTS = frozenset({"img", "audio", "video", "source", "track", "embed", "iframe",
                            "object", "input"})
MEDIA_ATTRIBUTES = frozenset({"src", "srcset", "poster", "data"})
#: Where stored files are served (lms ``/media/<key>``; keys are generated, see
#: ``lms.questions.transfer.attachment_key``).
MEDIA_PREFIX = "/media/"
_MEDIA_PATH = re.compile(r"/media/[A-Za-z0-9_~-][A-Za-z0-9._~/-]*\Z")
#: A file carried inside an import file (Moodle's name for it): importers write it, and the
#: import service stores the file and rewrites the reference to its ``/media/`` path before
#: saving. A browser would resolve it as a relative path of this site, never another host.
_IMPORT_FILE = re.compile(r"@@PLUGINFILE@@/[^\s/\\:?#][^\s\\:?#]*\Z")

_INLINE_TAG = re.compile(r"</?(?:b|strong|i|em|u|sub|sup|span|a|code)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
#: Text nh3 would give back unchanged: no markup, no entity, no character the HTML parser
#: rewrites (controls, NBSP, surrogates, noncharacters). Checked against nh3 for every code
#: point; tests/question_bank/test_html.py keeps checking it.
_PLAIN = re.compile(
    r"[^<>&\x00-\x08\x0b-\x1f\x7f-\x9f\xa0\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]*\Z")


def is_platform_media(src: str | None) -> bool:
    """True for a path to a stored file of this platform (``/media/<key>``: no host, no
    scheme, no ``//``, no ``..`` segment, no backslash, no query), or for a file of the import
    being read (``@@PLUGINFILE@@/<name>``)."""
    if not src:
        return False
    if _IMPORT_FILE.match(src):
        return ".." not in src.split("/")
    if not _MEDIA_PATH.match(src):
        return False
    segments = src[len(MEDIA_PREFIX):].split("/")
    return all(segment not in ("", ".", "..") for segment in segments)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: a media source survives only when it is the platform's own."""
    if attribute == "src" and tag in MEDIA_ELEMENTS:
        return value if is_platform_media(value) else None
    return value


def sanitise_html(text: str | None) -> str:
    """NFC, then keep only the allow-listed tags and attributes: media only from the
    platform's storage, links opening in a new tab with rel="noopener noreferrer nofollow".
    Plain text (most option texts) skips the parser: nh3 would return it unchanged. Stored
    HTML is sanitised again whenever it is rendered (``render_math``), so rows saved under an
    older, looser rule are shown by today's rule."""
    text = nfc(text)
    if is_plain(text):
        return text.strip()
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        # One attribute only: nh3 adds several in no fixed order, and sanitising stored HTML
        # again must give the same text.
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    ).strip()


class _MediaSources(HTMLParser):
    """The URLs in media attributes of HTML, as a browser would read them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in MEDIA_ELEMENTS:
            return
        for name, value in attrs:
            if name in MEDIA_ATTRIBUTES and value and value.strip():
                if name == "srcset":  # "a.png 1x, b.png 2x": the URL of each candidate
                    self.urls += [c.split()[0] for c in value.split(",") if c.strip()]
                else:
                    self.urls.append(value.strip())

    handle_startendtag = handle_starttag


def foreign_media(value) -> list[str]:
    """Media sources the sanitiser drops because they are not the platform's own files (other
    hosts, ``data:`` URIs, files an import did not include), in order, each once. ``value``
    is HTML or a payload (dicts and lists of strings), so an importer can warn about each
    URL before validation drops it."""
    found: dict[str, None] = {}
    for text in _strings(value):
        if "<" not in text:
            continue
        parser = _MediaSources()
        parser.feed(text)
        parser.close()
        found.update((url, None) for url in parser.urls if not is_platform_media(url))
    return list(found)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def is_plain(text: str) -> bool:
    """True when nh3 would return ``text`` unchanged (see ``_PLAIN``)."""
    return _PLAIN.match(text) is not None


def html_to_text(text: str | None) -> str:
    """The visible text of sanitised HTML, entities decoded, whitespace collapsed.

    Inline tags join their neighbours ('H<sub>2</sub>O' → 'H2O'); other tags separate words.
    """
    bare = _TAG.sub(" ", _INLINE_TAG.sub("", text or ""))
    return _SPACE.sub(" ", _html.unescape(bare)).strip()


_SHOWN_MEDIA = re.compile(r"<(?:img|audio)\b[^>]*\ssrc=")


def has_content(text: str) -> bool:
    """True when sanitised HTML shows something: text, an image or an audio clip (one with a
    source: a dropped foreign source leaves nothing to show)."""
    return bool(html_to_text(text)) or _SHOWN_MEDIA.search(text) is not None
