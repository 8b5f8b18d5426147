"""Files an item points to: ``<object>`` with fallbacks, images, audio and HTML passages.

Rules (docs/import-formats.md, "Import fidelity"):

- an ``<object>`` and the objects nested in it as fallbacks form a chain; the first one the
  package actually contains, of a kind we show (image, audio, HTML passage), is used;
- an image or sound the upload does not contain (a relative path in a single-item file, or a
  file missing from the package) is removed — its ``alt`` text stays — with a warning naming
  the file, never left as a dead link;
- an ``<object type="text/html">`` passage in the package is inlined where it stood; one the
  upload does not contain is reported, its fallback text kept.

Every function works on a namespace-free tree and returns (code, message) warnings.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from .markup import clean_html
from .qti_xhtml import html_into
from .result import Attachment

PLUGINFILE = "@@PLUGINFILE@@/"
_BODY = re.compile(r"<body\b[^>]*>(.*?)(?:</body\s*>|\Z)", re.I | re.S)
#: Pictures a browser shows and the question editor accepts (SVG can carry script: refused).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"})
#: A reader of package entries (None for a single-item upload).
Reader = Callable[[str], bytes]


class Files:
    """What the upload holds: the package's file names and a bounded reader, or nothing."""

    def __init__(self, location: str, names: frozenset[str] = frozenset(),
                 read: Reader | None = None):
        self.folder = posixpath.dirname(location)
        self.names, self.read, self.single = names, read, read is None

    def path(self, src: str, folder: str | None = None) -> str | None:
        """The package path of a relative reference, or None for a URL/absolute path."""
        src = unquote(src or "").strip()
        if not src or ":" in src or src.startswith(("/", "#")):
            return None
        return posixpath.normpath(posixpath.join(self.folder if folder is None else folder,
                                                 src))

    def has(self, path: str | None) -> bool:
        return path is not None and path in self.names


def _kind(element: Element) -> str | None:
    kind = (element.get("type") or "").lower().split(";")[0].strip()
    if kind in IMAGE_TYPES:
        return "image"
    if kind.startswith("audio/"):
        return "audio"
    if kind in ("text/html", "application/xhtml+xml"):
        return "html"
    return None


def _chain(element: Element) -> list[Element]:
    """An object and its nested fallback objects, outermost first."""
    chain = [element]
    while (inner := chain[-1].find("object")) is not None:
        chain.append(inner)
    return chain


def resolve_objects(root: Element, files: Files) -> list[tuple[str, str]]:
    """Turn each outermost ``<object>`` into the fallback the upload can show."""
    warnings = []
    nested = {inner for outer in root.iter("object") for inner in outer.iter("object")
              if inner is not outer}
    for element in [e for e in root.iter("object") if e not in nested]:
        chain = _chain(element)
        usable = [o for o in chain if _kind(o) and o.get("data")]
        present = [o for o in usable if files.has(files.path(o.get("data")))]
        chosen = (present or usable or [None])[0]
        alt = " ".join("".join(element.itertext()).split())
        if chosen is None:
            names = ", ".join(f"«{o.get('data')}» ({o.get('type') or '?'})" for o in chain
                              if o.get("data"))
            warnings.append(("qtiobject", f"Đối tượng {names or '<object>'} không phải hình, "
                             "âm thanh hay bài đọc HTML nên không nhập được; chỉ giữ chữ "
                             "thay thế."))
            continue
        kind = _kind(chosen)
        if kind == "html":
            warnings += _passage(element, chosen, files)
        else:
            _become_media(element, kind, chosen.get("data"), alt)
    return warnings


def _become_media(element: Element, kind: str, src: str, alt: str) -> None:
    attrs = {"src": src, "alt": alt} if kind == "image" else {"src": src, "controls": ""}
    element.tag, element.attrib, element.text = ("img" if kind == "image" else "audio",
                                                 attrs, None)
    element[:] = []


def _passage(element: Element, chosen: Element, files: Files) -> list[tuple[str, str]]:
    """Inline an HTML passage the package holds; otherwise keep the fallback text and say
    so."""
    data = chosen.get("data")
    path = files.path(data)
    if not files.has(path):
        where = ("một tệp câu hỏi riêng lẻ không kèm được tệp" if files.single
                 else "gói không có tệp")
        for inner in list(element.iter("object"))[1:]:
            inner.tag = "span"
        element.tag, element.attrib = "div", {}
        return [("qtipassage", f"Bài đọc «{data}» (<object type=\"text/html\">) "
                 f"chưa được nhập: {where} này. Đã giữ chữ thay thế; hãy tải lên gói QTI "
                 "(.zip) có bài đọc.")]
    text = files.read(path).decode("utf-8", errors="replace")
    match = _BODY.search(text)
    content = clean_html(match.group(1) if match else text)
    element.tag, element.attrib, element.text = "div", {}, None
    element[:] = []
    html_into(element, content)
    rebase_media(element, files, posixpath.dirname(path))
    return []


def rebase_media(element: Element, files: Files, folder: str) -> None:
    """Pictures of a passage stored in ``folder``: make their paths relative to the item."""
    for media in [e for e in element.iter() if e.tag in ("img", "audio")]:
        target = files.path(media.get("src", ""), folder)
        if target is not None:
            media.set("src", posixpath.relpath(target, files.folder or "."))


def attach_media(root: Element, files: Files) -> tuple[list[Attachment], list[tuple[str, str]]]:
    """Images and audio the package holds become attachments (``src`` becomes
    @@PLUGINFILE@@/<path in the package>); the ones it does not hold are removed, their
    ``alt`` text kept, and named in one warning."""
    found: dict[str, Attachment] = {}
    missing: list[str] = []
    parents = {child: parent for parent in root.iter() for child in parent}
    for media in [e for e in root.iter() if e.tag in ("img", "audio")]:
        path = files.path(media.get("src", ""))
        if path is None:
            continue
        if files.has(path):
            found.setdefault(path, Attachment(path, files.read(path)))
            media.set("src", PLUGINFILE + path)
            continue
        missing.append(path)
        _drop(parents[media], media, media.get("alt") or "")
    if not missing:
        return list(found.values()), []
    names = ", ".join(f"«{name}»" for name in dict.fromkeys(missing))
    why = ("câu hỏi là một tệp XML riêng lẻ nên không kèm được tệp" if files.single
           else "gói QTI không có tệp")
    return list(found.values()), [("qtimissingmedia", f"Hình/âm thanh bị bỏ vì {why}: "
                                   f"{names}. Hãy tải lên gói QTI (.zip) có đủ các tệp này.")]


def _drop(parent: Element, child: Element, replacement: str) -> None:
    text = replacement + (child.tail or "")
    children = list(parent)
    index = children.index(child)
    if index:
        children[index - 1].tail = (children[index - 1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)
