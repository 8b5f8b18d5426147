"""Math written as LaTeX inside question HTML, rendered to MathML on the server (no network).

Delimiters: ``\\( … \\)`` and ``$ … $`` inline, ``\\[ … \\]`` and ``$$ … $$`` display. A single
``$`` opens only before a non-space and closes only after one and not before a digit (so
"5$ và 10$" stays text); ``\\$`` is a literal dollar. Text inside ``<code>``/``<pre>`` is left
alone. Formulas that latex2mathml cannot read, or that use a command it does not know, stay as
escaped text and produce a warning; rendering never raises.

latex2mathml copies ``\\text{…}`` verbatim and turns ``\\href``/``\\style`` into attributes, so
its output is parsed again and rebuilt from an allow-list of MathML elements and attributes.
"""

import functools
import html
import logging
import re

import latex2mathml.converter
from defusedxml.ElementTree import fromstring

from question_bank.html import sanitise_html

log = logging.getLogger(__name__)

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MAX_FORMULA_CHARS = 4000
MATHML_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
    "mfrac", "msqrt", "mroot", "mstyle", "mtable", "mtr", "mtd", "mlabeledtr", "mover",
    "munder", "munderover", "mpadded", "mphantom", "menclose", "merror", "mmultiscripts",
    "mprescripts", "none", "mfenced", "semantics",
})
MATHML_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "form", "lspace", "rspace",
    "width", "height", "depth", "voffset", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "framespacing", "displaystyle",
    "scriptlevel", "mathsize", "mathcolor", "mathbackground", "notation", "accent",
    "accentunder", "linethickness", "movablelimits", "minsize", "maxsize", "symmetric",
    "largeop", "bevelled", "open", "close", "separators", "columnspan", "rowspan",
})

_SEGMENTS = re.compile(r"(<[^>]*>)")
_MATH = re.compile(
    r"\\\((?P<inline>.+?)\\\)"
    r"|\\\[(?P<block>.+?)\\\]"
    r"|\$\$(?P<block2>.+?)\$\$"
    r"|(?<![\\$])\$(?=\S)(?P<inline2>[^$]*?[^\s\\$])\$(?![\d$])",
    re.DOTALL,
)
_VERBATIM_TAG = re.compile(r"<(/?)(code|pre)\b", re.IGNORECASE)


class UnsafeMathML(ValueError):
    """latex2mathml produced something outside the allow-list, or an unknown command."""


def render_math(text_html: str) -> str:
    """Sanitised HTML with every delimited LaTeX formula replaced by MathML; never raises.

    A pure function of its input, so clean renderings are kept (LRU, per process): a test page
    shows the same frozen question texts to every student, and rendering them (sanitiser,
    LaTeX) was most of the cost of starting an attempt. Texts with warnings are rendered (and
    their warnings logged) every time."""
    try:
        return _render_clean(text_html)
    except _Warned as warned:
        for warning in warned.warnings:
            log.warning("%s", warning)
        return warned.rendered


class _Warned(Exception):  # noqa: N818 — a carrier, not an error: lru_cache keeps no exceptions
    def __init__(self, rendered: str, warnings: list[str]):
        super().__init__(rendered)
        self.rendered, self.warnings = rendered, warnings


@functools.lru_cache(maxsize=8192)
def _render_clean(text_html: str) -> str:
    rendered, warnings = render_math_with_warnings(text_html)
    if warnings:
        raise _Warned(rendered, warnings)
    return rendered


def render_math_with_warnings(text_html: str) -> tuple[str, list[str]]:
    """Like render_math, also returning one Vietnamese warning per formula left as text."""
    warnings: list[str] = []
    out: list[str] = []
    verbatim = 0
    for segment in _SEGMENTS.split(sanitise_html(text_html)):
        if segment.startswith("<"):
            verbatim = _track_verbatim(segment, verbatim)
            out.append(segment)
        elif verbatim:
            out.append(segment)
        else:
            out.append(_render_text(segment, warnings))
    return "".join(out), warnings


def _track_verbatim(tag: str, depth: int) -> int:
    """Count open <code>/<pre> elements so their text is never treated as math."""
    match = _VERBATIM_TAG.match(tag)
    if not match:
        return depth
    return max(depth - 1, 0) if match.group(1) else depth + 1


def _render_text(escaped: str, warnings: list[str]) -> str:
    """Replace formulas in one HTML text segment (entities still escaped)."""
    def replace(match: re.Match) -> str:
        display = "block" if match["block"] or match["block2"] else "inline"
        source = next(g for g in match.group("inline", "block", "block2", "inline2") if g)
        try:
            mathml = latex_to_mathml(html.unescape(source), display)
        except UnsafeMathML as error:
            reason = str(error)
        except Exception:  # noqa: BLE001 - any converter failure keeps the text
            reason = "LaTeX không hợp lệ"
        else:
            return mathml
        warnings.append(
            f"Không hiển thị được công thức {html.unescape(match[0])}: {reason}; "
            "giữ nguyên dạng văn bản."
        )
        return match[0]

    rendered = _MATH.sub(replace, escaped)
    return rendered.replace("\\$", "$")


def latex_to_mathml(latex: str, display: str = "inline") -> str:
    """One formula to MathML, rebuilt from the allow-list; raises on anything unreadable."""
    if len(latex) > MAX_FORMULA_CHARS:
        raise UnsafeMathML(f"công thức dài quá {MAX_FORMULA_CHARS} ký tự")
    raw = latex2mathml.converter.convert(latex, display=display)
    root = fromstring(raw)
    return _serialise(root, top=True)


def _serialise(element, top: bool = False) -> str:
    """Escape every text and attribute; refuse unknown elements and backslash commands."""
    name = element.tag.rsplit("}", 1)[-1]
    if name not in MATHML_ELEMENTS:
        raise UnsafeMathML(f"phần tử MathML không được phép: {name}")
    text = element.text or ""
    if name in {"mi", "mo"} and text.startswith("\\"):
        raise UnsafeMathML(f"lệnh LaTeX không được hỗ trợ: {text}")
    attributes = [f'xmlns="{MATHML_NS}"'] if top else []
    attributes += [
        f'{key}="{html.escape(value, quote=True)}"'
        for key, value in sorted(element.attrib.items())
        if key in MATHML_ATTRIBUTES
    ]
    opening = " ".join([name, *attributes])
    children = "".join(_serialise(child) for child in element)
    tail = "" if top else html.escape(element.tail or "", quote=False)
    return f"<{opening}>{html.escape(text, quote=False)}{children}</{name}>{tail}"


def split_math(text: str) -> list[tuple[str, str]]:
    """Plain text cut into ``("text", …)`` and ``("math", latex)`` pieces by the delimiters
    above (``\\$`` becomes ``$``); for writers that set formulas themselves (Word export)."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _MATH.finditer(text):
        if match.start() > position:
            pieces.append(("text", text[position:match.start()].replace("\\$", "$")))
        source = next(g for g in match.group("inline", "block", "block2", "inline2") if g)
        pieces.append(("math", source))
        position = match.end()
    if position < len(text):
        pieces.append(("text", text[position:].replace("\\$", "$")))
    return pieces
