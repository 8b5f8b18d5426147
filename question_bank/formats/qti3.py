"""QTI 3.0 items read as QTI 2.x: the same information model under other spellings.

QTI 3.0 renames every QTI element ``qti-<kebab-case>`` (``qti-choice-interaction`` is
``choiceInteraction``) and every attribute of those elements into kebab case
(``response-identifier`` is ``responseIdentifier``); the XHTML content keeps its names, and
the content of feedback and rubric blocks is wrapped in ``qti-content-body``. Renaming back
lets one reader handle both versions (docs/import-formats.md).
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

QTI3_PREFIX = "qti-"
_KEBAB = re.compile(r"-([a-z0-9])")
#: Attributes that keep their name (HTML's own, on any element).
_KEEP = ("data-", "aria-")


def camel(name: str) -> str:
    """'response-identifier' → 'responseIdentifier'."""
    return _KEBAB.sub(lambda match: match.group(1).upper(), name)


def is_qti3(root: Element) -> bool:
    """True for a namespace-free QTI 3.0 document (``<qti-assessment-item>``,
    ``<qti-assessment-stimulus>``)."""
    return isinstance(root.tag, str) and root.tag.startswith(QTI3_PREFIX)


def from_qti3(root: Element) -> None:
    """Rename a namespace-free QTI 3.0 tree into QTI 2.x names, in place."""
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(QTI3_PREFIX):
            continue
        element.tag = camel(element.tag[len(QTI3_PREFIX):])
        element.attrib = {(key if key.startswith(_KEEP) else camel(key)): value
                          for key, value in element.attrib.items()}
    _unwrap_content_bodies(root)


def _unwrap_content_bodies(root: Element) -> None:
    """``<modalFeedback><contentBody>…</contentBody></modalFeedback>`` → the content alone
    (QTI 2.x puts it directly inside the block)."""
    for parent in list(root.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if child.tag != "contentBody":
                continue
            _lift(parent, index, child)


def _lift(parent: Element, index: int, child: Element) -> None:
    """Replace ``parent[index]`` (``child``) by its text and children, keeping its tail."""
    lead = child.text or ""
    if index:
        before = parent[index - 1]
        before.tail = (before.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    grandchildren = list(child)
    if grandchildren:
        grandchildren[-1].tail = (grandchildren[-1].tail or "") + (child.tail or "")
    elif index:
        parent[index - 1].tail = (parent[index - 1].tail or "") + (child.tail or "")
    else:
        parent.text = (parent.text or "") + (child.tail or "")
    parent.remove(child)
    for offset, grandchild in enumerate(grandchildren):
        parent.insert(index + offset, grandchild)
