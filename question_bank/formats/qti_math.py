"""MathML in QTI items → LaTeX text, the way question HTML stores math (``\\( … \\)``).

Our sanitiser keeps no MathML (question_bank.html), so a ``<math>`` element left in the HTML
would vanish. Pandoc's MathML reader (texmath, shipped by pypandoc-binary) converts every
formula of an item in one run; a formula it cannot read keeps its visible text, with a
warning, so nothing disappears silently.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 — serialising a parsed tree only

import pypandoc

#: Above this much MathML in one item, formulas keep their text (pandoc has no time limit).
MAX_MATHML_CHARS = 500_000
_MARK = "hlmath"


def convert_math(root: ET.Element) -> list[tuple[str, str]]:
    """Replace each ``<math>`` (namespaces stripped) by ``\\(latex\\)`` or ``\\[latex\\]``
    (``display="block"``); returns (code, message) warnings for formulas kept as text."""
    formulas = _outermost_math(root)
    if not formulas:
        return []
    latex = _to_latex([markup for _, _, markup in formulas])
    failed = []
    for (parent, element, _), formula in zip(formulas, latex, strict=True):
        if formula is None:
            text = " ".join("".join(element.itertext()).split())
            failed.append(text)
            _replace(parent, element, text)
        else:
            _replace(parent, element, formula)
    if not failed:
        return []
    shown = ", ".join(f"«{text[:40]}»" for text in failed[:5])
    return [("qtimath", f"Công thức MathML không chuyển được sang LaTeX nên chỉ giữ phần chữ: "
             f"{shown}. Hãy kiểm tra và viết lại công thức.")]


def _outermost_math(root: ET.Element) -> list[tuple[ET.Element, ET.Element, str]]:
    """(parent, math element, its markup) in document order."""
    found = []
    for parent in root.iter():
        for child in parent:
            if child.tag == "math":
                copy = ET.Element("math", child.attrib)
                copy.text, copy[:] = child.text, list(child)
                found.append((parent, child, ET.tostring(copy, encoding="unicode")))
    return found


def _to_latex(markups: list[str]) -> list[str | None]:
    """One pandoc run for all formulas: each in a paragraph led by a numbered marker."""
    if sum(len(m) for m in markups) > MAX_MATHML_CHARS:
        return [None] * len(markups)
    source = "".join(f"<p>{_MARK}{n} {markup}</p>" for n, markup in enumerate(markups))
    try:
        document = json.loads(pypandoc.convert_text(source, "json", format="html",
                                                    sandbox=True))
    except (OSError, RuntimeError, ValueError):
        return [None] * len(markups)
    out: list[str | None] = [None] * len(markups)
    for block in document.get("blocks", []):
        inlines = block.get("c") if block.get("t") == "Para" else None
        if not inlines or inlines[0].get("t") != "Str":
            continue
        number = inlines[0]["c"].removeprefix(_MARK)
        if number.isdigit() and int(number) < len(out):
            out[int(number)] = _formula(inlines[1:])
    return out


def _formula(inlines: list[dict]) -> str | None:
    """The LaTeX of the Math inlines after the marker, delimited as question HTML wants."""
    parts = []
    for inline in inlines:
        if inline.get("t") != "Math":
            continue
        kind, tex = inline["c"]
        tex = tex.strip()
        if tex:
            display = kind.get("t") == "DisplayMath"
            parts.append(f"\\[{tex}\\]" if display else f"\\({tex}\\)")
    return " ".join(parts) or None


def _replace(parent: ET.Element, child: ET.Element, text: str) -> None:
    """Put ``text`` where ``child`` was, keeping the text that followed it."""
    text += child.tail or ""
    children = list(parent)
    index = children.index(child)
    if index:
        children[index - 1].tail = (children[index - 1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)
