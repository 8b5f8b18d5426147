"""MathML (what ``question_bank.mathml`` renders from LaTeX) → Word equations (OMML).

The inverse of ``omml.py`` for the elements school formulas use: tokens, rows, fractions,
powers and indices, roots, over/under scripts (accents, limits, sums and integrals),
fenced groups and tables. Anything else keeps its text, so nothing silently disappears.
Returns lxml elements ready to be appended to a python-docx paragraph (``p._p``).
"""

from __future__ import annotations

from defusedxml.ElementTree import fromstring
from docx.oxml.ns import qn
from lxml import etree

M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_NARY = set("∑∏∫∬∭∮⋃⋂")
#: Over-scripts that are a bar (\\overline) and accents, as Word's combining characters.
_BARS = {"¯", "‾", "_", "―", "\u0305", "\u0304"}
_ACCENTS = {"→": "\u20d7", "\u20d7": "\u20d7", "^": "\u0302", "ˆ": "\u0302", "~": "\u0303",
            "˜": "\u0303", "˙": "\u0307", ".": "\u0307", "¨": "\u0308", "ˇ": "\u030c",
            "˘": "\u0306"}
_ROWS = {"mrow", "mstyle", "mpadded", "semantics", "mphantom", "menclose", "merror", "math"}


def _m(name: str, **attrs) -> etree._Element:
    element = etree.Element(f"{{{M_NS}}}{name}", nsmap={"m": M_NS})
    for key, value in attrs.items():
        element.set(f"{{{M_NS}}}{key}", value)
    return element


def _sub(parent, name: str, **attrs):
    child = _m(name, **attrs)
    parent.append(child)
    return child


def mathml_to_omml(mathml: str) -> etree._Element:
    """One ``<math>`` element (as a string) → an ``m:oMath`` element."""
    root = fromstring(mathml)
    omath = _m("oMath")
    _children(root, omath)
    return omath


def _name(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element, target) -> None:
    for child in element:
        _node(child, target)


def _container(parent, name: str, source) -> None:
    """``m:<name>`` holding the conversion of ``source`` (an element or None)."""
    box = _sub(parent, name)
    if source is not None:
        _node(source, box)


def _run(target, text: str, plain: bool = False) -> None:
    if not text:
        return
    run = _sub(target, "r")
    if plain:
        props = _sub(run, "rPr")
        _sub(props, "sty", val="p")
    t = _sub(run, "t")
    t.text = text
    t.set(qn("xml:space"), "preserve")


def _node(element, target) -> None:  # noqa: C901 - one branch per MathML element
    name = _name(element)
    kids = list(element)
    if name in ("mi", "mn", "mo", "mtext", "ms"):
        text = element.text or ""
        plain = name in ("mn", "mtext", "mo") or (name == "mi" and len(text) > 1) \
            or element.get("mathvariant") == "normal"
        _run(target, text, plain)
    elif name in _ROWS:
        _children(element, target)
    elif name == "mfrac" and len(kids) == 2:
        fraction = _sub(target, "f")
        _container(fraction, "num", kids[0])
        _container(fraction, "den", kids[1])
    elif name in ("msup", "msub") and len(kids) == 2:
        script = _sub(target, "sSup" if name == "msup" else "sSub")
        _container(script, "e", kids[0])
        _container(script, "sup" if name == "msup" else "sub", kids[1])
    elif name == "msubsup" and len(kids) == 3:
        if _is_nary(kids[0]):
            _nary(target, kids[0].text, kids[1], kids[2])
            return
        script = _sub(target, "sSubSup")
        _container(script, "e", kids[0])
        _container(script, "sub", kids[1])
        _container(script, "sup", kids[2])
    elif name == "msqrt":
        radical = _sub(target, "rad")
        _sub(_sub(radical, "radPr"), "degHide", val="1")
        _sub(radical, "deg")
        box = _sub(radical, "e")
        _children(element, box)
    elif name == "mroot" and len(kids) == 2:
        radical = _sub(target, "rad")
        _container(radical, "deg", kids[1])
        _container(radical, "e", kids[0])
    elif name in ("mover", "munder") and len(kids) == 2:
        _over_under(target, name, kids, element.get("accent") == "true")
    elif name == "munderover" and len(kids) == 3:
        if _is_nary(kids[0]):
            _nary(target, kids[0].text, kids[1], kids[2])
            return
        upper = _sub(target, "limUpp")
        lower = _sub(_sub(upper, "e"), "limLow")
        _container(lower, "e", kids[0])
        _container(lower, "lim", kids[1])
        _container(upper, "lim", kids[2])
    elif name == "mfenced":
        _fenced(target, element.get("open", "("), element.get("close", ")"), kids)
    elif name == "mtable":
        _table(target, kids)
    elif name in ("mspace", "none", "mprescripts"):
        return
    else:
        _run(target, "".join(element.itertext()), plain=True)


def _is_nary(element) -> bool:
    return _name(element) == "mo" and (element.text or "").strip() in _NARY


def _nary(target, symbol: str, lower, upper) -> None:
    """∑, ∫ … with limits; the operand follows as ordinary content (as Word allows)."""
    nary = _sub(target, "nary")
    props = _sub(nary, "naryPr")
    _sub(props, "chr", val=symbol.strip())
    if lower is None:
        _sub(props, "subHide", val="1")
    if upper is None:
        _sub(props, "supHide", val="1")
    _container(nary, "sub", lower)
    _container(nary, "sup", upper)
    _sub(nary, "e")


def _over_under(target, name: str, kids, accent: bool) -> None:
    base, script = kids
    if _is_nary(base):
        _nary(target, base.text, script if name == "munder" else None,
              script if name == "mover" else None)
        return
    mark = (script.text or "").strip() if _name(script) == "mo" else ""
    if name == "mover" and mark in _BARS:
        bar = _sub(target, "bar")
        _sub(_sub(bar, "barPr"), "pos", val="top")
        _container(bar, "e", base)
        return
    if name == "mover" and len(mark) == 1 and (accent or mark in _ACCENTS):
        acc = _sub(target, "acc")
        _sub(_sub(acc, "accPr"), "chr", val=_ACCENTS.get(mark, mark))
        _container(acc, "e", base)
        return
    limit = _sub(target, "limUpp" if name == "mover" else "limLow")
    _container(limit, "e", base)
    _container(limit, "lim", script)


def _fenced(target, begin: str, end: str, kids) -> None:
    delimiter = _sub(target, "d")
    props = _sub(delimiter, "dPr")
    _sub(props, "begChr", val=begin)
    _sub(props, "endChr", val=end)
    for kid in kids or [None]:
        _container(delimiter, "e", kid)


def _table(target, rows) -> None:
    matrix = _sub(target, "m")
    for row in rows:
        if _name(row) not in ("mtr", "mlabeledtr"):
            continue
        matrix_row = _sub(matrix, "mr")
        for cell in row:
            box = _sub(matrix_row, "e")
            _children(cell, box)
