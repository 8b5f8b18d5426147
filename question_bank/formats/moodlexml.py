"""Moodle XML import (qformat_xml), read with defusedxml: a DOCTYPE with entities or external
references is refused before anything is parsed.

Types: category (nested, ``$course$/…`` prefixes dropped), multichoice, truefalse, shortanswer,
numerical, matching/match, essay, description, cloze/multianswer, gapselect and ddwtos (both
become ``cloze`` dropdown gaps), ordering (qtype_ordering). ``<name>`` is the title. Hints and
the feedbacks a payload has no place for are named in warnings (``hintdropped``,
``feedbackdropped``). Base64 ``<file>`` elements (and Moodle 1.9 ``<image_base64>``) become
attachments referenced in the HTML as ``@@PLUGINFILE@@/<name>``. Any other type is an
error (Moodle's ``xmltypeunsupported``); fractions off Moodle's grade list are errors
(``invalidgradequestion``).
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml.ElementTree as safe_et
from defusedxml.common import DefusedXmlException

from lms.kernel.text import nfc

from . import payloads
from .cloze import ClozeError, parse_cloze
from .gift import category_path
from .markup import clean_html, html_to_text, parse_decimal, plain_to_html, to_html
from .payloads import Choice, Outcome
from .result import Attachment, Category, ImportResult, ParsedQuestion, Problem

_FORMATS = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain",
            "markdown": "markdown"}


class _LineBuilder(TreeBuilder):
    """Records the line each element starts on (defusedxml uses the pure-Python parser)."""

    def __init__(self):
        super().__init__()
        self.lines: dict[Element, int] = {}
        self.parser = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element


def parse_xml(data: bytes | str) -> tuple[Element | None, dict, Problem | None]:
    """(root, element → line, problem): hostile or broken XML yields a clear problem."""
    if isinstance(data, str):
        data = re.sub(r"^\s*<\?xml[^>]*\?>", "", data.lstrip("\ufeff")).encode("utf-8")
    builder = _LineBuilder()
    parser = safe_et.DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True,
                                      forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(data)
        return parser.close(), builder.lines, None
    except DefusedXmlException as exc:
        return None, {}, Problem.at(None, "xmlunsafe", _unsafe_message(exc))
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, 0))
        return None, {}, Problem.at(line, "xmlinvalid", f"Tệp XML không hợp lệ (cột {column}): "
                                    f"{exc}. Cần một tệp Moodle XML <quiz>…</quiz> đúng cú pháp.")
    except (ValueError, LookupError) as exc:
        return None, {}, Problem.at(None, "xmlinvalid", f"Không đọc được tệp XML: {exc}.")


def _unsafe_message(exc: DefusedXmlException) -> str:
    target = getattr(exc, "sysid", None)
    detail = f" trỏ tới '{target}'" if target else ""
    return (f"Tệp XML bị từ chối vì lý do an toàn: có khai báo thực thể (ENTITY/DOCTYPE){detail}. "
            "Tệp Moodle XML hợp lệ không cần DOCTYPE hay ENTITY; hãy xuất lại từ Moodle.")


def parse_moodlexml(data: bytes | str) -> ImportResult:
    """Read a Moodle XML file; every problem is reported, nothing raises."""
    root, lines, problem = parse_xml(data)
    if problem:
        return ImportResult(errors=[problem])
    result = ImportResult()
    if root.tag != "quiz":
        result.errors.append(Problem.at(lines.get(root), "notmoodlexml",
                                        f"Phần tử gốc là <{root.tag}>, cần <quiz> (Moodle XML)."))
        return result
    category = None
    for element in root.findall("question"):
        kind = element.get("type", "")
        if kind == "category":
            category = _read_category(element, result)
        else:
            _read_question(element, kind, lines.get(element), category, result)
    if not result.questions and not result.errors:
        result.errors.append(Problem.at(None, "noquestionsinfile", "Tệp không có câu hỏi nào."))
    return result


def _read_category(element: Element, result: ImportResult) -> str | None:
    path = category_path(_text(element, "category"))
    info = element.find("info")
    result.categories.append(Category(path, _rich_html(info, "moodle_auto_format", []),
                                      _idnumber(element)))
    return path or None


def _read_question(element, kind, line, category, result: ImportResult) -> None:
    name = " ".join(_text(element, "name").split())
    label = name or f"Câu {len(result.questions) + len(result.errors) + 1}"
    reader = _READERS.get(kind)
    if reader is None:
        result.errors.append(Problem.at(line, "xmltypeunsupported", f"Loại câu hỏi '{kind}' "
                                        "không được hỗ trợ khi nhập Moodle XML.", label))
        return
    files: list[Attachment] = []
    try:
        outcome = reader(element, files)
    except ClozeError as exc:
        outcome = Outcome(errors=[(exc.code, exc.message)])
    for code, message in outcome.errors:
        result.errors.append(Problem.at(line, code, message, label))
    if outcome.errors:
        return
    warnings = outcome.warnings + dropped_parts(element, kind)
    result.questions.append(ParsedQuestion(
        payload=outcome.payload, title=name, category=category, line=line,
        location=f"dòng {line}" if line else "", idnumber=_idnumber(element),
        tags=[nfc(t.text) for t in element.findall("tags/tag/text") if t.text],
        attachments=_unique(files),
        warnings=[Problem.at(line, code, message, label) for code, message in warnings]))


# --- what the bank has no place for -------------------------------------------------------------

#: Moodle's combined feedback elements and their Vietnamese names.
_COMBINED_FEEDBACK = (("correctfeedback", "khi trả lời đúng"),
                      ("partiallycorrectfeedback", "khi đúng một phần"),
                      ("incorrectfeedback", "khi trả lời sai"))
#: Types whose per-answer <feedback> has no field in the payload (choice and true/false
#: questions keep theirs as option feedback).
_ANSWER_FEEDBACK_DROPPED = ("shortanswer", "numerical", "ordering")


def dropped_parts(element: Element, kind: str) -> list[tuple[str, str]]:
    """Warnings naming the hints and feedbacks of a question that the payload cannot keep
    (docs/import-formats.md, "Import fidelity"): nothing is dropped without a word."""
    warnings = []
    hints = [h for h in element.findall("hint") if _has_content(h)]
    if hints:
        warnings.append(("hintdropped", f"{len(hints)} gợi ý (<hint>) không được lưu: câu hỏi "
                         "trong ngân hàng không có phần gợi ý."))
    combined = [label for tag, label in _COMBINED_FEEDBACK if _has_content(element.find(tag))]
    if combined:
        warnings.append(("feedbackdropped", "Phản hồi " + ", ".join(combined) + " không được "
                         "lưu: chỉ giữ phản hồi chung và phản hồi của từng phương án."))
    if kind in _ANSWER_FEEDBACK_DROPPED and any(
            _has_content(a.find("feedback")) for a in element.findall("answer")):
        warnings.append(("feedbackdropped", "Phản hồi riêng của từng đáp án không được lưu với "
                         "loại câu này; chỉ giữ phản hồi chung."))
    return warnings


def _has_content(element: Element | None) -> bool:
    """True when a Moodle text element holds visible text or a picture."""
    if element is None:
        return False
    found = element.find("text")
    raw = (found.text if found is not None else element.text) or ""
    return bool(html_to_text(raw).strip()) or "<img" in raw


def _unique(files: list[Attachment]) -> list[Attachment]:
    seen: dict[str, Attachment] = {}
    for item in files:
        seen.setdefault(item.name, item)
    return list(seen.values())


# --- element helpers --------------------------------------------------------------------------

def _text(element: Element | None, path: str) -> str:
    """Text of ``path/text`` under ``element`` ('' when absent)."""
    found = element.find(f"{path}/text") if element is not None else None
    return nfc(found.text) if found is not None else ""


def _idnumber(element: Element) -> str | None:
    return nfc(element.findtext("idnumber")) or None


def _rich_html(element: Element | None, default: str, files: list[Attachment]) -> str:
    """A Moodle text element (format attribute, <text>, <file>s) as sanitised HTML."""
    if element is None:
        return ""
    files += _files(element)
    fmt = _FORMATS.get(element.get("format", default), "moodle")
    found = element.find("text")
    raw = found.text if found is not None else element.text  # old files omit <text>
    return to_html(raw or "", fmt)


def _files(element: Element) -> list[Attachment]:
    out = []
    for item in element.findall("file"):
        try:
            data = base64.b64decode("".join((item.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append(Attachment(item.get("name", "file"), data))
    return out


def _flag(element: Element, path: str, default: bool) -> bool:
    found = element.find(path)
    if found is None or found.text is None:
        return default
    return found.text.strip().lower() in ("1", "true", "yes")


def _fraction(answer: Element) -> Decimal:
    value = parse_decimal(answer.get("fraction", "0"))
    return (value if value is not None else Decimal("NaN")) / 100


def _common(element: Element, files) -> tuple[str, str]:
    """(question text, general feedback) as HTML, with legacy 1.9 images attached."""
    text = _rich_html(element.find("questiontext"), "moodle_auto_format", files)
    image = (element.findtext("image") or "").strip()
    encoded = "".join((element.findtext("image_base64") or "").split())
    if image and encoded:
        try:
            files.append(Attachment(image, base64.b64decode(encoded, validate=True)))
            text = clean_html(f'{text}<img src="@@PLUGINFILE@@/{image}" alt="">')
        except (binascii.Error, ValueError):
            pass
    return text, _rich_html(element.find("generalfeedback"), "moodle_auto_format", files)


# --- readers, one per Moodle type ---------------------------------------------------------------

def _multichoice(element, files) -> Outcome:
    text, general = _common(element, files)
    choices = [Choice(_rich_html(a, "moodle_auto_format", files), _fraction(a),
                      _rich_html(a.find("feedback"), "moodle_auto_format", files))
               for a in element.findall("answer")]
    if any(c.fraction.is_nan() for c in choices):
        return Outcome(errors=[("invalidgradequestion", "Thuộc tính fraction phải là số.")])
    return payloads.choice_question(text, choices, _flag(element, "single", True), general,
                                    _flag(element, "shuffleanswers", True))


def _truefalse(element, files) -> Outcome:
    text, general = _common(element, files)
    feedback, answer = {}, None
    for item in element.findall("answer"):
        value = _text(item, ".").lower()
        feedback[value] = _rich_html(item.find("feedback"), "moodle_auto_format", files)
        if _fraction(item) == 1:
            answer = value == "true"
    if answer is None or set(feedback) != {"true", "false"}:
        return Outcome(errors=[("truefalseanswers", "Câu đúng/sai cần hai đáp án 'true' và "
                                "'false', một trong hai có fraction=\"100\".")])
    return Outcome(payload=payloads.true_false(text, answer, feedback["true"], feedback["false"],
                                               general))


def _graded_answers(element) -> tuple[list[tuple[str, Decimal]], tuple[str, str] | None]:
    answers = [(nfc(a.findtext("text")), _fraction(a)) for a in element.findall("answer")]
    fractions = [f for _, f in answers]
    if not answers:
        return answers, ("noanswers", "Câu hỏi không có đáp án nào (<answer>).")
    if any(f.is_nan() for f in fractions):
        return answers, ("invalidgradequestion", "Thuộc tính fraction phải là số.")
    return answers, payloads.check_grades(fractions) or payloads.grades.single_answer_problem(
        fractions)


def _shortanswer(element, files) -> Outcome:
    text, general = _common(element, files)
    answers, problem = _graded_answers(element)
    if problem:
        return Outcome(errors=[problem])
    return Outcome(payload=payloads.short_text(text, answers, general,
                                               _flag(element, "usecase", False)))


def _numerical(element, files) -> Outcome:
    text, general = _common(element, files)
    answers, problem = _graded_answers(element)
    if problem:
        return Outcome(errors=[problem])
    numbers = []
    for item, (value, fraction) in zip(element.findall("answer"), answers, strict=True):
        if value == "*":
            continue
        number = parse_decimal(value)
        tolerance = parse_decimal(item.findtext("tolerance") or "0")
        if number is None or tolerance is None:
            return Outcome(errors=[("notnumeric", f"Đáp án '{value[:30]}' phải là một số, ví dụ "
                                    "-1.234 hoặc 3e8, hoặc '*'.")])
        numbers.append((number, abs(tolerance), fraction))
    return Outcome(payload=payloads.short_numeric(text, numbers, general))


def _matching(element, files) -> Outcome:
    text, general = _common(element, files)
    pairs, distractors = [], []
    for item in element.findall("subquestion"):
        left = _rich_html(item, "moodle_auto_format", files)
        right = plain_to_html(_text(item, "answer"))
        if left:
            pairs.append((left, right))
        else:
            distractors.append(right)
    if len(pairs) < 2:
        return Outcome(errors=[("notenoughsubquestions",
                                f"Câu ghép nối cần ít nhất 2 cặp; tìm thấy {len(pairs)}.")])
    return Outcome(payload=payloads.matching(text, pairs, distractors, general,
                                             _flag(element, "shuffleanswers", True)))


def _essay(element, files) -> Outcome:
    text, general = _common(element, files)
    reference = _rich_html(element.find("graderinfo"), "html", files)
    payload = payloads.essay(text, general, reference)
    for field, tag in (("min_words", "minwordlimit"), ("max_words", "maxwordlimit")):
        limit = (element.findtext(tag) or "").strip()
        payload[field] = int(limit) if limit.isdigit() else 0
    return Outcome(payload=payload)


def _description(element, files) -> Outcome:
    text, general = _common(element, files)
    return Outcome(payload=payloads.description(text, general))


def _cloze(element, files) -> Outcome:
    text, general = _common(element, files)
    marked, gaps, warnings = parse_cloze(text)
    return Outcome(payload={**payloads.base("cloze", marked, general), "gaps": gaps},
                   warnings=warnings)


def _select_gaps(element, files, choice_tag: str) -> Outcome:
    """gapselect / ddwtos: [[n]] is choice n; the gap offers every choice of its group."""
    text, general = _common(element, files)
    choices = [(html_to_text(c.findtext("text") or ""), (c.findtext("group") or "1").strip())
               for c in element.findall(choice_tag)]
    gaps, pieces, position = [], [], 0
    for match in re.finditer(r"\[\[(\d+)\]\]", text):
        number = int(match.group(1))
        if not 1 <= number <= len(choices):
            return Outcome(errors=[("badgap", f"Chỗ trống [[{number}]] không ứng với lựa chọn "
                                    f"nào (có {len(choices)} lựa chọn).")])
        gaps.append(_group_gap(f"g{len(gaps) + 1}", choices, number - 1))
        pieces += [text[position:match.start()], f"[[g{len(gaps)}]]"]
        position = match.end()
    if not gaps:
        return Outcome(errors=[("qtextmissingembedded", "Nội dung câu phải có ít nhất một chỗ "
                                "trống [[1]].")])
    marked = "".join(pieces) + text[position:]
    return Outcome(payload={**payloads.base("cloze", marked, general), "gaps": gaps},
                   warnings=[("dropdowngaps", "Câu kéo-thả/chọn từ được nhập thành câu điền "
                              "khuyết có danh sách chọn.")] if choice_tag == "dragbox" else [])


#: Moodle ordering's grading types (names and the numbers older files use) → ours.
_ORDERING_ABSOLUTE = ("ABSOLUTE_POSITION", "0")
_ORDERING_ALL = ("ALL", "0", "")


def _ordering(element, files) -> Outcome:
    """qtype_ordering: each <answer>'s fraction is its place in the right order (1, 2, …)."""
    text, general = _common(element, files)
    places = []
    for number, item in enumerate(element.findall("answer")):
        place = parse_decimal(item.get("fraction", "")) if item.get("fraction") else None
        places.append((place if place is not None else Decimal(number), number,
                       _rich_html(item, "moodle_auto_format", files)))
    items = [html for _, _, html in sorted(places) if html]
    if len(items) < 2:
        return Outcome(errors=[("notenoughanswers", "Câu sắp xếp cần ít nhất 2 mục có nội dung; "
                                f"tìm thấy {len(items)}.")])
    payload = {**payloads.base("ordering", text, general),
               "items": [{"id": str(i), "text_html": html} for i, html in enumerate(items, 1)]}
    return Outcome(payload=payload, warnings=_ordering_warnings(element))


def _ordering_warnings(element) -> list[tuple[str, str]]:
    warnings = []
    grading = (element.findtext("gradingtype") or "").strip().upper()
    if grading and grading not in _ORDERING_ABSOLUTE:
        warnings.append(("orderinggrading", f"Cách chấm '{grading}' của Moodle không có; câu được "
                         "chấm theo số mục đúng vị trí (cả thứ tự đúng: đủ điểm)."))
    select = (element.findtext("selecttype") or "").strip().upper()
    if select not in _ORDERING_ALL:
        warnings.append(("orderingsubset", f"Moodle chỉ cho học sinh xem một phần các mục "
                         f"({select}); ở đây học sinh sắp xếp tất cả các mục."))
    return warnings


def _group_gap(gap_id: str, choices, right: int) -> dict:
    group = choices[right][1]
    members = [i for i, (_, g) in enumerate(choices) if g == group]
    options = [{"id": payloads.OPTION_IDS[k], "text": choices[i][0], "correct": i == right}
               for k, i in enumerate(members[:len(payloads.OPTION_IDS)])]
    return {"id": gap_id, "kind": "dropdown", "points": "1", "answers": [], "options": options}


_READERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "match": _matching,
    "essay": _essay,
    "description": _description,
    "cloze": _cloze,
    "multianswer": _cloze,
    "gapselect": lambda element, files: _select_gaps(element, files, "selectoption"),
    "ddwtos": lambda element, files: _select_gaps(element, files, "dragbox"),
    "ordering": _ordering,
}
