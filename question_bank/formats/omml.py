"""Word's native equations (Office Math, OMML ``m:oMath``) as LaTeX.

Covers what school tests use: fractions, powers and indices, roots, delimiters, sums and
integrals, functions and limits, bars, accents, matrices and equation arrays. An element the
converter does not know keeps its text and is reported, so nothing silently disappears.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"

_SYMBOLS = {
    "×": r"\times ", "÷": r"\div ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "±": r"\pm ",
    "∓": r"\mp ", "∞": r"\infty ", "→": r"\to ", "⇒": r"\Rightarrow ", "⇔": r"\Leftrightarrow ",
    "∈": r"\in ", "∉": r"\notin ", "⊂": r"\subset ", "∪": r"\cup ", "∩": r"\cap ",
    "∅": r"\emptyset ",
    "·": r"\cdot ", "⋅": r"\cdot ", "°": r"^\circ ", "∠": r"\angle ", "≈": r"\approx ",
    "≡": r"\equiv ", "⊥": r"\perp ", "∥": r"\parallel ", "∀": r"\forall ", "∃": r"\exists ",
    "α": r"\alpha ", "β": r"\beta ", "γ": r"\gamma ", "δ": r"\delta ", "Δ": r"\Delta ",
    "ε": r"\varepsilon ", "θ": r"\theta ", "λ": r"\lambda ", "μ": r"\mu ", "π": r"\pi ",
    "ρ": r"\rho ", "σ": r"\sigma ", "φ": r"\varphi ", "ω": r"\omega ", "Ω": r"\Omega ",
    "−": "-", "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "&": r"\&", "_": r"\_",
    "\u2061": "",
}
_NARY = {"∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∬": r"\iint", "∭": r"\iiint",
         "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap"}
_ACCENTS = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0307": r"\dot", "\u0308": r"\ddot",
            "\u20d7": r"\vec", "\u2192": r"\vec", "\u0304": r"\bar", "\u0305": r"\bar",
            "\u030c": r"\check", "\u0306": r"\breve"}
_DELIMS = {"(": "(", ")": ")", "[": "[", "]": "]", "{": r"\{", "}": r"\}", "|": "|",
           "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "〈": r"\langle", "〉": r"\rangle",
           "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "": "."}
_FUNCTIONS = {"sin", "cos", "tan", "cot", "log", "ln", "lg", "exp", "lim", "max", "min",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "det", "gcd"}
_CONTAINERS = {"e", "num", "den", "sub", "sup", "deg", "fName", "lim", "oMath", "box",
               "borderBox", "phant"}


class OmmlConverter:
    """Converts one equation at a time; ``unknown`` collects unsupported element names."""

    def __init__(self) -> None:
        self.unknown: set[str] = set()

    def latex(self, element: Element) -> str:
        """LaTeX for an ``m:oMath`` or ``m:oMathPara`` (without the \\( \\) wrapper)."""
        return " ".join(self._node(element).split())

    def _children(self, element: Element | None) -> str:
        if element is None:
            return ""
        return "".join(self._node(child) for child in element)

    def _part(self, element: Element, name: str) -> str:
        return self._children(element.find(f"{M}{name}"))

    def _node(self, element: Element) -> str:
        tag = element.tag
        if not tag.startswith(M):
            return ""  # w:rPr, bookmarks … inside math carry no content
        name = tag[len(M):]
        if name.endswith("Pr"):
            return ""
        handler = getattr(self, f"_m_{name}", None)
        if handler:
            return handler(element)
        if name in _CONTAINERS or name == "oMathPara":
            return self._children(element)
        self.unknown.add(name)
        return self._text(element)

    def _text(self, element: Element) -> str:
        return "".join(_escape(t.text or "") for t in element.iter(f"{M}t"))

    def _m_r(self, element: Element) -> str:
        text = "".join(t.text or "" for t in element if t.tag in (f"{M}t", _W_T))
        if text.strip() in _FUNCTIONS:
            return f"\\{text.strip()} "
        return _escape(text)

    def _m_f(self, element: Element) -> str:
        kind = _prop(element, "fPr", "type")
        num, den = self._part(element, "num"), self._part(element, "den")
        if kind == "lin":
            return f"{{{num}}}/{{{den}}}"
        if kind == "noBar":
            return f"\\genfrac{{}}{{}}{{0pt}}{{}}{{{num}}}{{{den}}}"
        return f"\\frac{{{num}}}{{{den}}}"

    def _m_sSup(self, element: Element) -> str:
        return f"{{{self._part(element, 'e')}}}^{{{self._part(element, 'sup')}}}"

    def _m_sSub(self, element: Element) -> str:
        return f"{{{self._part(element, 'e')}}}_{{{self._part(element, 'sub')}}}"

    def _m_sSubSup(self, element: Element) -> str:
        return (f"{{{self._part(element, 'e')}}}_{{{self._part(element, 'sub')}}}"
                f"^{{{self._part(element, 'sup')}}}")

    def _m_sPre(self, element: Element) -> str:
        return (f"{{}}_{{{self._part(element, 'sub')}}}^{{{self._part(element, 'sup')}}}"
                f"{{{self._part(element, 'e')}}}")

    def _m_rad(self, element: Element) -> str:
        degree = self._part(element, "deg").strip()
        body = self._part(element, "e")
        return f"\\sqrt[{degree}]{{{body}}}" if degree else f"\\sqrt{{{body}}}"

    def _m_d(self, element: Element) -> str:
        begin = _prop(element, "dPr", "begChr", "(")
        end = _prop(element, "dPr", "endChr", ")")
        separator = _prop(element, "dPr", "sepChr", "|")
        parts = [self._children(e) for e in element.findall(f"{M}e")]
        inner = f" {_DELIMS.get(separator, separator)} ".join(parts)
        return (f"\\left{_DELIMS.get(begin, _escape(begin))} {inner} "
                f"\\right{_DELIMS.get(end, _escape(end))} ")

    def _m_nary(self, element: Element) -> str:
        symbol = _NARY.get(_prop(element, "naryPr", "chr", "∫"), r"\int")
        sub, sup = self._part(element, "sub"), self._part(element, "sup")
        out = symbol + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "")
        return f"{out} {self._part(element, 'e')}"

    def _m_func(self, element: Element) -> str:
        return f"{self._part(element, 'fName')} {self._part(element, 'e')}"

    def _m_limLow(self, element: Element) -> str:
        return f"{self._part(element, 'e')}_{{{self._part(element, 'lim')}}}"

    def _m_limUpp(self, element: Element) -> str:
        return f"\\overset{{{self._part(element, 'lim')}}}{{{self._part(element, 'e')}}}"

    def _m_bar(self, element: Element) -> str:
        command = r"\overline" if _prop(element, "barPr", "pos", "bot") == "top" else r"\underline"
        return f"{command}{{{self._part(element, 'e')}}}"

    def _m_acc(self, element: Element) -> str:
        command = _ACCENTS.get(_prop(element, "accPr", "chr", "\u0302"), r"\hat")
        return f"{command}{{{self._part(element, 'e')}}}"

    def _m_groupChr(self, element: Element) -> str:
        below = _prop(element, "groupChrPr", "pos", "bot") == "bot"
        command = r"\underbrace" if below else r"\overbrace"
        return f"{command}{{{self._part(element, 'e')}}}"

    def _m_m(self, element: Element) -> str:
        rows = [" & ".join(self._children(e) for e in row.findall(f"{M}e"))
                for row in element.findall(f"{M}mr")]
        return "\\begin{matrix} " + r" \\ ".join(rows) + r" \end{matrix}"

    def _m_eqArr(self, element: Element) -> str:
        rows = [self._children(e) for e in element.findall(f"{M}e")]
        return "\\begin{array}{l} " + r" \\ ".join(rows) + r" \end{array}"


def _prop(element: Element, pr: str, name: str, default: str = "") -> str:
    """A property value (``m:dPr/m:begChr/@m:val``); present without value means ''."""
    node = element.find(f"{M}{pr}/{M}{name}")
    if node is None:
        return default
    return node.get(f"{M}val", "")


def _escape(text: str) -> str:
    return "".join(_SYMBOLS.get(char, char) for char in text)
