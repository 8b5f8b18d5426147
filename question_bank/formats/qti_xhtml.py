"""QTI 2.1 bodies are XHTML inside the QTI namespace; payloads hold sanitised HTML.

:func:`html_into` parses sanitised HTML (stdlib HTMLParser, void elements known) into
ElementTree children; :func:`inner_html` serialises an element's content back to
HTML without namespaces, sanitised with nh3 and NFC.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 — building XML only; parsing uses defusedxml
from html import escape
from html.parser import HTMLParser

from .markup import clean_html

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
_VOID = frozenset({"br", "img", "hr", "col", "source", "wbr"})


def q(tag: str) -> str:
    """A tag name for the QTI document being built. ElementTree (3.11) cannot write a default
    namespace with unqualified attributes, so tags stay bare and the root element carries
    ``xmlns`` as an attribute."""
    return tag


def local(tag) -> str:
    """The tag without its namespace ('{ns}p' → 'p'); comments give ''."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_AUDIO_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "oga": "audio/ogg",
                "wav": "audio/wav", "webm": "audio/webm"}


def _attributes(tag: str, attrs) -> dict[str, str]:
    """Attributes as XML wants them; QTI's XHTML requires ``alt`` on every image."""
    out = {k: v or "" for k, v in attrs if ":" not in k}
    if tag == "img":
        out.setdefault("alt", "")
    return out


def _qti_element(tag: str, attrs: dict[str, str]) -> tuple[str, dict[str, str]]:
    """HTML that QTI 2.1's XHTML lacks: <audio> → <object type="audio/…">, <u> → span.hl-u."""
    if tag == "audio":
        src = attrs.get("src", "")
        kind = _AUDIO_TYPES.get(src.rsplit(".", 1)[-1].lower(), "audio/mpeg")
        return "object", {"data": src, "type": kind}
    if tag == "u":
        return "span", {"class": "hl-u"}
    return tag, attrs


def from_qti(root: ET.Element) -> None:
    """Undo :func:`_qti_element` on a namespace-free tree: audio objects and span.hl-u."""
    for element in root.iter():
        if element.tag == "object" and element.get("type", "").startswith("audio/"):
            element.attrib = {"src": element.get("data", ""), "controls": ""}
            element.tag = "audio"
        elif element.tag == "span" and element.get("class") == "hl-u":
            element.tag, element.attrib = "u", {}


class _Builder(HTMLParser):
    """Appends parsed HTML to an element; unclosed tags are closed at the end."""

    def __init__(self, parent: ET.Element):
        super().__init__(convert_charrefs=True)
        self.stack = [parent]
        self.last: ET.Element | None = None

    def _append_text(self, text: str) -> None:
        top = self.stack[-1]
        children = list(top)
        if children:
            children[-1].tail = (children[-1].tail or "") + text
        else:
            top.text = (top.text or "") + text

    def handle_starttag(self, tag, attrs):
        name, attributes = _qti_element(tag, _attributes(tag, attrs))
        element = ET.SubElement(self.stack[-1], q(name), attributes)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        name, attributes = _qti_element(tag, _attributes(tag, attrs))
        ET.SubElement(self.stack[-1], q(name), attributes)

    def handle_endtag(self, tag):
        tag = _qti_element(tag, {})[0]
        for depth in range(len(self.stack) - 1, 0, -1):
            if local(self.stack[depth].tag) == tag:
                del self.stack[depth:]
                return


    def handle_data(self, data):
        self._append_text(data)


def html_into(parent: ET.Element, html_text: str) -> ET.Element:
    """Append the elements and text of ``html_text`` to ``parent``; returns ``parent``."""
    builder = _Builder(parent)
    builder.feed(html_text or "")
    builder.close()
    return parent


def strip_namespaces(element: ET.Element) -> None:
    """Remove namespaces from every tag and attribute below ``element`` (in place)."""
    for node in element.iter():
        node.tag = local(node.tag) if isinstance(node.tag, str) else node.tag
        for key in [k for k in node.attrib if k.startswith("{")]:
            node.attrib[local(key)] = node.attrib.pop(key)


def raw_inner(element: ET.Element | None) -> str:
    """The content of a namespace-free element as (unsanitised) markup."""
    if element is None:
        return ""
    parts = [escape(element.text or "", quote=False)]
    parts += [ET.tostring(child, encoding="unicode", short_empty_elements=True)
              for child in element]
    return "".join(parts)


def inner_html(element: ET.Element | None) -> str:
    """The content of a namespace-free element as sanitised, NFC HTML."""
    return clean_html(raw_inner(element))
