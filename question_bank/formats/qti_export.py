"""QTI 2.1 export: one ``assessmentItem`` per payload, and content packages (zip with
``imsmanifest.xml``) that ``parse_qti`` reads back to the same payloads.

Mapping (docs/import-formats.md): single_choice/multiple_response → choiceInteraction
(maxChoices 1 / 0, pinned options ``fixed``, option feedback as feedbackInline); true_false →
choiceInteraction with the choices ``true`` "Đúng" and ``false`` "Sai"; true_false_4 →
matchInteraction ``class="hl-true-false-4"`` pairing statements a–d with Đúng/Sai; short_text
→ textEntryInteraction with a mapping; short_numeric → textEntryInteraction (float) scored by
``<equal>`` conditions carrying the tolerance; matching → matchInteraction; ordering →
orderInteraction; cloze → inline textEntry/inlineChoice interactions at the gap markers
(``hl-points-N`` class on each); essay → extendedTextInteraction (word limits as
``hl-min-words-N``/``hl-max-words-N``, the reference answer as a scorer rubricBlock);
description → itemBody only. General feedback and the solution are modalFeedback
``GENERAL``/``SOLUTION``. Our own ``hl-…`` classes only refine what standard QTI says.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 — building XML only; parsing uses defusedxml
import zipfile
from decimal import Decimal

from media import PackageError
from media.archive import check_entry_name

from .export_common import title_for, unpack, unsupported
from .markup import decimal_string
from .qti_xhtml import QTI_NS, html_into, q
from .result import ExportError

XSI = "http://www.w3.org/2001/XMLSchema-instance"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
ITEM_SCHEMA = f"{QTI_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_SCHEMA = f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
PLUGINFILE = "@@PLUGINFILE@@/"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
_MARKER = re.compile(r"(\[\[[A-Za-z0-9_-]{1,32}\]\])")
_BLANK = re.compile(r"(_____)")  # the missing-word blank (GIFT, Moodle) of a short answer

ET.register_namespace("xsi", XSI)


def _ident(raw: str, prefix: str, number: int) -> str:
    """``raw`` when it is a valid QTI identifier (an NCName), else ``prefix`` + number."""
    return raw if raw and _IDENTIFIER.fullmatch(raw) else f"{prefix}{number}"


def _sub(parent: ET.Element, tag: str, attrs: dict | None = None, text: str | None = None):
    element = ET.SubElement(parent, q(tag), {k: v for k, v in (attrs or {}).items()
                                             if v is not None})
    if text is not None:
        element.text = text
    return element


def _classes(*tokens: str | None) -> str | None:
    joined = " ".join(t for t in tokens if t)
    return joined or None


class _ItemWriter:
    """Collects declarations, body and processing, then assembles them in schema order."""

    def __init__(self, payload: dict):
        self.payload = payload
        self.declarations: list[ET.Element] = []
        self.body = ET.Element(q("itemBody"))
        self.processing: ET.Element | None = None

    def declare(self, identifier: str, cardinality: str, base_type: str,
                correct: list[str] | None = None) -> ET.Element:
        declaration = ET.Element(q("responseDeclaration"), {
            "identifier": identifier, "cardinality": cardinality, "baseType": base_type})
        if correct:
            holder = _sub(declaration, "correctResponse")
            for value in correct:
                _sub(holder, "value", text=value)
        self.declarations.append(declaration)
        return declaration

    def template(self, name: str) -> None:
        self.processing = ET.Element(q("responseProcessing"), {"template": TEMPLATES + name})

    def custom(self) -> ET.Element:
        if self.processing is None:
            self.processing = ET.Element(q("responseProcessing"))
        return self.processing

    def stem(self, *classes: str) -> ET.Element:
        return html_into(_sub(self.body, "div", {"class": _classes("hl-stem", *classes)}),
                         self.payload["text_html"])

    def element(self, identifier: str, title: str) -> ET.Element:
        root = ET.Element(q("assessmentItem"), {
            "xmlns": QTI_NS, f"{{{XSI}}}schemaLocation": ITEM_SCHEMA, "identifier": identifier,
            "title": title, "adaptive": "false", "timeDependent": "false"})
        root.extend(self.declarations)
        _sub(root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single",
                                          "baseType": "float"})
        _sub(root, "outcomeDeclaration", {"identifier": "FEEDBACK", "cardinality": "multiple",
                                          "baseType": "identifier"})
        root.append(self.body)
        if self.processing is not None:
            root.append(self.processing)
        for key, field in (("GENERAL", "feedback_html"), ("SOLUTION", "solution_html")):
            if self.payload.get(field):
                # showHide="hide": shown unless FEEDBACK holds the identifier, i.e. always.
                html_into(_sub(root, "modalFeedback", {"outcomeIdentifier": "FEEDBACK",
                                                       "identifier": key, "showHide": "hide"}),
                          self.payload[field])
        return root


# --- writers, one per type -------------------------------------------------------------------

def _feedback_inline(parent: ET.Element, identifier: str, html_text: str) -> None:
    if html_text:
        html_into(_sub(parent, "feedbackInline", {"outcomeIdentifier": "FEEDBACK",
                                                  "identifier": identifier, "showHide": "show"}),
                  html_text)


def _choices(writer: _ItemWriter, payload: dict) -> None:
    single = payload["type"] == "single_choice"
    ids = [_ident(o["id"], "C", n) for n, o in enumerate(payload["options"], 1)]
    correct = [i for i, o in zip(ids, payload["options"], strict=True) if o["correct"]]
    declaration = writer.declare("RESPONSE", "single" if single else "multiple", "identifier",
                                 correct)
    if single:
        writer.template("match_correct")
    else:
        # (right chosen − wrong chosen) / number right, floored at 0: our partial-credit rule.
        share = decimal_string(Decimal(1) / len(correct))
        mapping = _sub(declaration, "mapping", {"defaultValue": "0", "lowerBound": "0",
                                                "upperBound": "1"})
        for identifier, option in zip(ids, payload["options"], strict=True):
            _sub(mapping, "mapEntry", {"mapKey": identifier, "caseSensitive": "true",
                                       "mappedValue": share if option["correct"]
                                       else "-" + share})
        writer.template("map_response")
    writer.stem()
    pinned = set(payload.get("pinned") or [])
    interaction = _sub(writer.body, "choiceInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": _bool(payload.get("shuffle", True)),
        "maxChoices": "1" if single else "0"})
    for identifier, option in zip(ids, payload["options"], strict=True):
        choice = html_into(_sub(interaction, "simpleChoice", {
            "identifier": identifier, "fixed": "true" if option["id"] in pinned else None}),
            option["text_html"])
        _feedback_inline(choice, identifier, option.get("feedback_html", ""))


def _true_false(writer: _ItemWriter, payload: dict) -> None:
    writer.declare("RESPONSE", "single", "identifier", [_bool(payload["answer"])])
    writer.template("match_correct")
    writer.stem()
    interaction = _sub(writer.body, "choiceInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": "false", "maxChoices": "1"})
    for value, label in ((True, "Đúng"), (False, "Sai")):
        choice = _sub(interaction, "simpleChoice", {"identifier": _bool(value)}, label)
        _feedback_inline(choice, _bool(value),
                         payload.get("feedback_true_html" if value else "feedback_false_html"))


def _true_false_4(writer: _ItemWriter, payload: dict) -> None:
    writer.declare("RESPONSE", "multiple", "directedPair",
                   [f"{s['id']} {_bool(s['answer'])}" for s in payload["statements"]])
    writer.template("match_correct")
    writer.stem()
    interaction = _sub(writer.body, "matchInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": "false", "maxAssociations": "4",
        "class": "hl-true-false-4"})
    statements = _sub(interaction, "simpleMatchSet")
    for statement in payload["statements"]:
        html_into(_sub(statements, "simpleAssociableChoice", {
            "identifier": statement["id"], "matchMax": "1"}), statement["text_html"])
    values = _sub(interaction, "simpleMatchSet")
    for value, label in ((True, "Đúng"), (False, "Sai")):
        _sub(values, "simpleAssociableChoice", {"identifier": _bool(value), "matchMax": "4"},
             label)


def _matching(writer: _ItemWriter, payload: dict) -> None:
    pairs = payload["pairs"]
    writer.declare("RESPONSE", "multiple", "directedPair",
                   [f"P{n} R{n}" for n in range(1, len(pairs) + 1)])
    writer.template("match_correct")
    writer.stem()
    interaction = _sub(writer.body, "matchInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": _bool(payload.get("shuffle", True)),
        "maxAssociations": str(len(pairs))})
    lefts, rights = _sub(interaction, "simpleMatchSet"), _sub(interaction, "simpleMatchSet")
    for n, pair in enumerate(pairs, 1):
        html_into(_sub(lefts, "simpleAssociableChoice", {"identifier": f"P{n}", "matchMax": "1"}),
                  pair["left_html"])
        html_into(_sub(rights, "simpleAssociableChoice", {"identifier": f"R{n}",
                                                          "matchMax": "1"}), pair["right_html"])
    for n, text in enumerate(payload.get("distractors", []), 1):
        html_into(_sub(rights, "simpleAssociableChoice", {"identifier": f"X{n}",
                                                          "matchMax": "1"}), text)


def _ordering(writer: _ItemWriter, payload: dict) -> None:
    ids = [f"I{n}" for n in range(1, len(payload["items"]) + 1)]
    writer.declare("RESPONSE", "ordered", "identifier", ids)
    writer.template("match_correct")
    writer.stem()
    interaction = _sub(writer.body, "orderInteraction", {"responseIdentifier": "RESPONSE",
                                                         "shuffle": "true"})
    for identifier, item in zip(ids, payload["items"], strict=True):
        html_into(_sub(interaction, "simpleChoice", {"identifier": identifier}),
                  item["text_html"])


def _text_declaration(writer, identifier, answers, case_sensitive, points: Decimal) -> None:
    full = next(a["text"] for a in answers if Decimal(a["fraction"]) == 1)
    declaration = writer.declare(identifier, "single", "string", [full])
    mapping = _sub(declaration, "mapping", {"defaultValue": "0"})
    for answer in answers:
        _sub(mapping, "mapEntry", {
            "mapKey": answer["text"], "caseSensitive": _bool(case_sensitive),
            "mappedValue": decimal_string(Decimal(answer["fraction"]) * points)})


def _numeric_processing(writer, identifier, answers, points: Decimal, add: bool) -> None:
    """One responseIf/ElseIf per answer: |response − value| ≤ tolerance → score."""
    condition = _sub(writer.custom(), "responseCondition")
    for n, answer in enumerate(answers):
        branch = _sub(condition, "responseIf" if n == 0 else "responseElseIf")
        tolerance = answer.get("tolerance", "0")
        equal = _sub(branch, "equal", {"toleranceMode": "exact"} if Decimal(tolerance) == 0
                     else {"toleranceMode": "absolute", "tolerance": f"{tolerance} {tolerance}"})
        _sub(equal, "variable", {"identifier": identifier})
        _sub(equal, "baseValue", {"baseType": "float"}, answer["value"])
        _set_score(branch, decimal_string(Decimal(answer["fraction"]) * points), add)


def _set_score(parent, value: str, add: bool) -> None:
    setter = _sub(parent, "setOutcomeValue", {"identifier": "SCORE"})
    if add:
        setter = _sub(setter, "sum")
        _sub(setter, "variable", {"identifier": "SCORE"})
    _sub(setter, "baseValue", {"baseType": "float"}, value)


def _short(writer: _ItemWriter, payload: dict) -> None:
    numeric = payload["type"] == "short_numeric"
    if numeric:
        full = next(a["value"] for a in payload["answers"] if Decimal(a["fraction"]) == 1)
        writer.declare("RESPONSE", "single", "float", [full])
        _numeric_processing(writer, "RESPONSE", payload["answers"], Decimal(1), add=False)
        classes = _classes("hl-format-2025" if payload.get("format_2025") else None)
    else:
        _text_declaration(writer, "RESPONSE", payload["answers"],
                          payload.get("case_sensitive", False), Decimal(1))
        writer.template("map_response")
        classes = _classes("hl-ignore-diacritics" if payload.get("ignore_diacritics") else None)
    entry = ET.Element(q("textEntryInteraction"), {
        "responseIdentifier": "RESPONSE", "expectedLength": "20"})
    if classes:
        entry.set("class", classes)
    placed = []

    def at_blank(_: str) -> ET.Element | None:
        placed.append(entry)
        return entry if len(placed) == 1 else None

    _place(writer.stem(), _BLANK, at_blank)
    if not placed:
        _sub(writer.body, "p").append(entry)


def _essay(writer: _ItemWriter, payload: dict) -> None:
    writer.declare("RESPONSE", "single", "string")
    writer.stem()
    classes = _classes(*(f"hl-{name}-{payload[field]}" for field, name in
                         (("min_words", "min-words"), ("max_words", "max-words"))
                         if payload.get(field)))
    _sub(writer.body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE",
                                                  "class": classes})
    if payload.get("reference_html"):
        html_into(_sub(writer.body, "rubricBlock", {"view": "scorer", "class": "hl-reference"}),
                  payload["reference_html"])


def _cloze(writer: _ItemWriter, payload: dict) -> None:
    gaps = {gap["id"]: (n, gap) for n, gap in enumerate(payload["gaps"], 1)}

    def gap_element(marker: str) -> ET.Element | None:
        gap_id = marker[2:-2]
        if gap_id not in gaps:
            return None
        number, gap = gaps.pop(gap_id)
        return _gap(writer, _ident(gap_id, "G", number), gap)

    _place(writer.stem("hl-cloze"), _MARKER, gap_element)


def _place(stem: ET.Element, pattern: re.Pattern, make) -> None:
    """Replace each match of ``pattern`` (one capturing group: the whole match) in the text of
    ``stem`` by ``make(match)``; a None from ``make`` keeps the text."""
    for node in list(stem.iter()):
        _split_text(node, pattern, make)
        for child in list(node):
            _split_tail(node, child, pattern, make)


def _gap(writer: _ItemWriter, identifier: str, gap: dict) -> ET.Element:
    points = Decimal(gap.get("points", "1"))
    point_class = f"hl-points-{decimal_string(points)}"
    if gap["kind"] == "dropdown":
        ids = [_ident(o["id"], "C", n) for n, o in enumerate(gap["options"], 1)]
        right = [i for i, o in zip(ids, gap["options"], strict=True) if o["correct"]]
        writer.declare(identifier, "single", "identifier", right)
        condition = _sub(_sub(writer.custom(), "responseCondition"), "responseIf")
        match = _sub(condition, "match")
        _sub(match, "variable", {"identifier": identifier})
        _sub(match, "correct", {"identifier": identifier})
        _set_score(condition, decimal_string(points), add=True)
        element = ET.Element(q("inlineChoiceInteraction"), {
            "responseIdentifier": identifier, "shuffle": "false", "class": point_class})
        for option_id, option in zip(ids, gap["options"], strict=True):
            _sub(element, "inlineChoice", {"identifier": option_id}, option["text"])
        return element
    if gap["kind"] == "numeric":
        full = next(a["value"] for a in gap["answers"] if Decimal(a["fraction"]) == 1)
        writer.declare(identifier, "single", "float", [full])
        _numeric_processing(writer, identifier, gap["answers"], points, add=True)
        extra = "hl-format-2025" if gap.get("format_2025") else None
    else:
        _text_declaration(writer, identifier, gap["answers"], gap.get("case_sensitive", False),
                          points)
        setter = _sub(_sub(writer.custom(), "setOutcomeValue", {"identifier": "SCORE"}), "sum")
        _sub(setter, "variable", {"identifier": "SCORE"})
        _sub(setter, "mapResponse", {"identifier": identifier})
        extra = "hl-ignore-diacritics" if gap.get("ignore_diacritics") else None
    return ET.Element(q("textEntryInteraction"), {
        "responseIdentifier": identifier, "expectedLength": "10",
        "class": _classes(point_class, extra)})


def _split_text(node: ET.Element, pattern: re.Pattern, make) -> None:
    parts = pattern.split(node.text or "")
    if len(parts) == 1:
        return
    node.text = ""
    _insert_pieces(node, 0, parts, make, lambda text: setattr(node, "text", node.text + text))


def _split_tail(node: ET.Element, child: ET.Element, pattern: re.Pattern, make) -> None:
    parts = pattern.split(child.tail or "")
    if len(parts) == 1:
        return
    child.tail = ""
    index = list(node).index(child) + 1
    _insert_pieces(node, index, parts, make,
                   lambda text: setattr(child, "tail", child.tail + text))


def _insert_pieces(node, index, parts, make, append_first) -> None:
    """``parts`` alternate text and matches; matches become interactions at ``index``."""
    append_first(parts[0])
    last = None
    for position in range(1, len(parts), 2):
        element = make(parts[position])
        following = parts[position + 1]
        if element is None:  # not a gap of this question: keep the text
            text = parts[position] + following
            if last is None:
                append_first(text)
            else:
                last.tail = (last.tail or "") + text
            continue
        element.tail = following
        node.insert(index, element)
        index, last = index + 1, element


def _bool(value) -> str:
    return "true" if value else "false"


_WRITERS = {
    "single_choice": _choices,
    "multiple_response": _choices,
    "true_false": _true_false,
    "true_false_4": _true_false_4,
    "short_text": _short,
    "short_numeric": _short,
    "matching": _matching,
    "ordering": _ordering,
    "cloze": _cloze,
    "essay": _essay,
    "description": lambda writer, payload: writer.stem(),
}
SUPPORTED = frozenset(_WRITERS)


def _item_element(payload: dict, title: str, identifier: str) -> ET.Element:
    writer = _ItemWriter(payload)
    _WRITERS[payload["type"]](writer, payload)
    return writer.element(identifier, title_for(payload, title))


def _serialise(element: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        element, encoding="unicode") + "\n"


def export_qti_item(payload: dict, title: str = "", identifier: str = "Q1") -> str:
    """One payload as a QTI 2.1 ``assessmentItem`` document; ExportError for a type QTI
    cannot express (stimulus)."""
    if payload.get("type") not in SUPPORTED:
        raise unsupported(1, payload.get("type"), "QTI 2.1")
    return _serialise(_item_element(payload, title, _ident(identifier, "Q", 1)))


def export_qti_package(questions, skip_unsupported: bool = False) -> bytes:
    """Payloads or ParsedQuestions as a QTI 2.1 content package: ``imsmanifest.xml`` plus one
    item file per question; attachments (``@@PLUGINFILE@@/<name>``) are stored at ``<name>``."""
    manifest = _manifest()
    resources = manifest.find("resources")
    out = io.BytesIO()
    written: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for number, item in enumerate(questions, 1):
            payload, title, _, _, idnumber = unpack(item)
            if payload.get("type") not in SUPPORTED:
                if not skip_unsupported:
                    raise unsupported(number, payload.get("type"), "QTI 2.1")
                continue
            href = f"item{number:04d}.xml"
            identifier = _ident(idnumber or "", "Q", number)
            document = _serialise(_item_element(payload, title, identifier))
            files = _attachments(zf, getattr(item, "attachments", []), written)
            if files:
                document = document.replace(PLUGINFILE, "")
            zf.writestr(href, document)
            _resource(resources, f"RES{number}", href, files)
        zf.writestr("imsmanifest.xml", _serialise(manifest))
    return out.getvalue()


def _attachments(zf: zipfile.ZipFile, attachments, written: set[str]) -> list[str]:
    names = []
    for attachment in attachments or []:
        try:
            name = check_entry_name(attachment.name)
        except PackageError as exc:
            raise ExportError(f"Tệp đính kèm «{attachment.name}» có tên không hợp lệ.") from exc
        if name not in written and name != "imsmanifest.xml":
            zf.writestr(name, attachment.data)
            written.add(name)
        names.append(name)
    return names


def _manifest() -> ET.Element:
    manifest = ET.Element("manifest", {"xmlns": CP_NS, "identifier": "MANIFEST1",
                                                   f"{{{XSI}}}schemaLocation": CP_SCHEMA})
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "QTIv2.1 Package"
    ET.SubElement(metadata, "schemaversion").text = "1.0.0"
    ET.SubElement(manifest, "organizations")
    ET.SubElement(manifest, "resources")
    return manifest


def _resource(resources: ET.Element, identifier: str, href: str, files: list[str]) -> None:
    resource = ET.SubElement(resources, "resource", {
        "identifier": identifier, "type": "imsqti_item_xmlv2p1", "href": href})
    for name in [href, *files]:
        ET.SubElement(resource, "file", {"href": name})
