"""QTI 2.1/2.2/3.0 import: single ``assessmentItem`` (``qti-assessment-item``) files and
content packages (a zip whose ``imsmanifest.xml`` lists resources of type
``imsqti_item_xmlv2p1``, ``…v2p2`` or ``…v3p0``).

Packages go through ``media.archive.inspect_zip`` (zip slip, bombs, symlinks, nested archives
refused before anything is read) and every XML file through defusedxml with entities and
external references forbidden (security.md 21–23). Interactions map onto our types as
docs/import-formats.md describes; anything else is an error located by the item's file name.
Nothing is dropped silently: what an item loses (a conditional feedback, a missing picture,
a passage) is a warning naming it, and an interaction we cannot place refuses the item.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
import zlib
from decimal import Decimal
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml.common import DefusedXmlException

from lms.kernel.text import fold, nfc
from media import ARCHIVE_LIMITS, PackageError, check_archive

from . import payloads
from .markup import clean_html, decimal_string, html_to_text, parse_decimal
from .qti3 import from_qti3, is_qti3
from .qti_math import convert_math
from .qti_media import Files, attach_media, rebase_media, resolve_objects
from .qti_xhtml import from_qti, inner_html, strip_namespaces
from .result import ImportResult, ParsedQuestion, Problem

#: Bounds for an uploaded QTI package (a question file, not a course): media's table.
QTI_LIMITS = ARCHIVE_LIMITS["qti"]
MANIFEST = "imsmanifest.xml"
ITEM_RESOURCE = re.compile(r"^imsqti_item_xmlv(?:2p[12]|3p0)")
BLOCK = ("choiceInteraction", "matchInteraction", "associateInteraction", "orderInteraction",
         "extendedTextInteraction")
INLINE = ("textEntryInteraction", "inlineChoiceInteraction")
TRUE_WORDS = {"dung": True, "true": True, "sai": False, "false": False}
NUMERIC_BASES = ("float", "integer")
#: Body blocks shown only under a condition, or only to a scorer.
HIDING_BLOCKS = ("rubricBlock", "feedbackBlock", "templateBlock")
BLANK = "_____"


class QtiError(Exception):
    """An item that cannot become one of our payloads; ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# --- entry points ---------------------------------------------------------------------------

def parse_qti(data: bytes | str, name: str = "") -> ImportResult:
    """Read a QTI 2.1 item (XML) or content package (zip); problems are reported, never
    raised. ``name`` is the uploaded file name, used as the location of a single item."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data[:2] == b"PK":
        return _parse_package(data)
    result = ImportResult()
    _read_item(data, name or "assessmentItem", None, result)
    return _finish(result)


def _finish(result: ImportResult) -> ImportResult:
    if not result.questions and not result.errors:
        result.errors.append(Problem("", "Tệp không có câu hỏi nào.", None, "noquestionsinfile"))
    return result


def _parse_package(data: bytes) -> ImportResult:
    result = ImportResult()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            files = check_archive(zf, "qti").files
            package = _Package(zf, files)
            for href in _item_hrefs(package, result):
                if href not in files:
                    result.errors.append(Problem(href, "Tệp câu hỏi được khai báo trong "
                                                 "imsmanifest.xml nhưng không có trong gói.",
                                                 None, "qtimissingfile"))
                    continue
                _read_item(package.read(href), href, package, result)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        result.errors.append(Problem("", "Tệp không phải gói QTI (.zip) hợp lệ hoặc bị hỏng "
                                     "(kiểm tra CRC thất bại).", None, "bad_zip"))
    except PackageError as exc:
        result.errors.append(Problem(exc.entry or "", exc.message, None, exc.code))
    return _finish(result)


class _Package:
    """Bounded reads from an inspected zip; each entry is read once, so memory stays within
    the package's total size however many items share an image."""

    def __init__(self, zf: zipfile.ZipFile, files: frozenset[str]):
        self.zf, self.files = zf, files
        self.cache: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        """The bytes of an entry, refusing more than the per-entry limit (sizes can lie)."""
        if name in self.cache:
            return self.cache[name]
        limit = QTI_LIMITS.max_entry_size
        with self.zf.open(name) as member:
            data = member.read(limit + 1)
        if len(data) > limit:
            raise PackageError("too_large", f"Tệp nén: mục «{name}» vượt giới hạn {limit} byte.",
                               name)
        self.cache[name] = data
        return data


def _item_hrefs(package: _Package, result: ImportResult) -> list[str]:
    """Item files listed in the manifest, in manifest order (hrefs are relative, URL-quoted)."""
    if MANIFEST not in package.files:
        result.errors.append(Problem("", "Gói QTI phải có tệp imsmanifest.xml ở thư mục gốc.",
                                     None, "qtinomanifest"))
        return []
    manifest, problem = parse_safe_xml(package.read(MANIFEST), MANIFEST)
    if problem:
        result.errors.append(problem)
        return []
    hrefs = [posixpath.normpath(unquote(r.get("href", "")))
             for r in manifest.iter("resource") if ITEM_RESOURCE.match(r.get("type", ""))]
    if not hrefs:
        result.errors.append(Problem(MANIFEST, "imsmanifest.xml không khai báo câu hỏi nào "
                                     "(cần resource type=\"imsqti_item_xmlv2p1\").", None,
                                     "noquestionsinfile"))
    return hrefs


def parse_safe_xml(data: bytes, location: str) -> tuple[Element | None, Problem | None]:
    """Parse with defusedxml (no entities, no external references); namespaces stripped."""
    try:
        root = safe_et.fromstring(data, forbid_dtd=False, forbid_entities=True,
                                  forbid_external=True)
    except DefusedXmlException:
        return None, Problem(location, "Tệp XML bị từ chối vì lý do an toàn: có khai báo thực "
                             "thể (ENTITY) hoặc tham chiếu ra ngoài. Tệp QTI hợp lệ không cần "
                             "ENTITY; hãy xuất lại tệp.", None, "xmlunsafe")
    except ParseError as exc:
        return None, Problem(location, f"Tệp XML không hợp lệ: {exc}. Cần một tệp QTI 2.1 "
                             "đúng cú pháp.", None, "xmlinvalid")
    except (ValueError, LookupError) as exc:
        return None, Problem(location, f"Không đọc được tệp XML: {exc}.", None, "xmlinvalid")
    strip_namespaces(root)
    return root, None


# --- one item ---------------------------------------------------------------------------------

def _read_item(data: bytes, location: str, package: _Package | None,
               result: ImportResult) -> None:
    root, problem = parse_safe_xml(data, location)
    if problem:
        result.errors.append(problem)
        return
    if is_qti3(root):
        from_qti3(root)
    if root.tag != "assessmentItem":
        result.errors.append(Problem(location, f"Phần tử gốc là <{root.tag}>, cần "
                                     "<assessmentItem> (QTI 2.1/2.2) hoặc <qti-assessment-item> "
                                     "(QTI 3.0).", None, "notqti"))
        return
    # The title is only what the item calls itself; problems name the file when it has none.
    title = nfc(root.get("title"))
    label = title or posixpath.basename(location)
    files = Files(location, package.files, package.read) if package else Files(location)
    try:
        warnings = _prepare(root, files)
        attachments, missing = attach_media(root, files)
        item = _Item(root)
        payload = item.payload()
    except QtiError as exc:
        result.errors.append(Problem(location, exc.message, None, exc.code, label))
        return
    result.questions.append(ParsedQuestion(
        payload=payload, title=title, location=location, idnumber=root.get("identifier"),
        attachments=attachments,
        warnings=[Problem(location, message, None, code, label)
                  for code, message in warnings + missing + item.warnings]))


def _prepare(root: Element, files: Files) -> list[tuple[str, str]]:
    """Everything that rewrites the item's markup before it is read: stimulus references,
    MathML, objects, QTI's spellings of audio and underline."""
    warnings = _stimuli(root, files)
    warnings += convert_math(root)
    warnings += resolve_objects(root, files)
    from_qti(root)
    return warnings


def _stimuli(root: Element, files: Files) -> list[tuple[str, str]]:
    """QTI 3.0 shared passages (``qti-assessment-stimulus-ref``): the package's stimulus body
    is put before the item's body; one the upload does not contain is reported."""
    warnings = []
    body = root.find("itemBody")
    for ref in root.findall("assessmentStimulusRef"):
        path = files.path(ref.get("href", ""))
        stimulus = None
        if files.has(path):
            stimulus, problem = parse_safe_xml(files.read(path), path)
            if problem:
                raise QtiError(problem.code, f"Bài đọc «{path}»: {problem.message}")
            if is_qti3(stimulus):
                from_qti3(stimulus)
        content = stimulus.find("stimulusBody") if stimulus is not None else None
        if content is None or body is None:
            warnings.append(("qtipassage", f"Bài đọc «{ref.get('href', '')}» "
                             "(<qti-assessment-stimulus-ref>) không có trong tệp tải lên nên "
                             "chưa được nhập; hãy tải lên gói QTI (.zip) có bài đọc."))
            continue
        passage = Element("div")
        passage.text, passage[:] = content.text, list(content)
        rebase_media(passage, files, posixpath.dirname(path))
        body.insert(0, passage)
    return warnings


def _classes(element: Element) -> list[str]:
    return (element.get("class") or "").split()


def _class_number(element: Element, prefix: str) -> Decimal | None:
    """The number in a class token ``hl-<prefix>-N`` (our own export writes these)."""
    for token in _classes(element):
        if token.startswith(f"hl-{prefix}-"):
            return parse_decimal(token[len(prefix) + 4:])
    return None


def _detach(parent: Element, child: Element, replacement: str = "") -> None:
    """Remove ``child`` keeping its tail; ``replacement`` text takes its place."""
    text = replacement + (child.tail or "")
    children = list(parent)
    index = children.index(child)
    if index:
        children[index - 1].tail = (children[index - 1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)


def _parents(root: Element) -> dict[Element, Element]:
    return {child: parent for parent in root.iter() for child in parent}


class _Item:
    """One assessmentItem (namespaces stripped) turned into a payload."""

    def __init__(self, root: Element):
        self.root = root
        self.warnings: list[tuple[str, str]] = []
        self.declarations = {d.get("identifier"): d for d in root.findall("responseDeclaration")}
        self.body = copy.deepcopy(root.find("itemBody"))
        if self.body is None:
            self.body = Element("itemBody")
        self.reference = ""  # the scorer rubricBlock (an essay's reference answer)
        self.solution_blocks: list[str] = []  # feedbackBlock identifier="SOLUTION"
        self.dropped: list[str] = []  # conditional feedback with no place in the payload
        #: QTI choice identifier → where a feedback conditional on it goes
        self.slots: dict[str, tuple[str, int]] = {}

    def payload(self) -> dict:
        """The payload; QtiError when the item uses something we cannot express."""
        self._refuse_hidden_interactions()
        self.reference = self._remove_rubrics()
        interactions = [e for e in self.body.iter() if e.tag.endswith("Interaction")]
        unknown = sorted({e.tag for e in interactions if e.tag not in BLOCK + INLINE})
        if unknown:
            raise QtiError("qtiunsupported", "Dạng tương tác không được hỗ trợ: "
                           + ", ".join(f"<{tag}>" for tag in unknown) + ". Hỗ trợ: "
                           + ", ".join(BLOCK + INLINE) + ".")
        blocks = [e for e in interactions if e.tag in BLOCK]
        if not interactions:
            payload = payloads.base("description", self._stem())
        elif blocks:
            if len(interactions) > 1:
                raise QtiError("qtimultiple", "Mỗi câu hỏi chỉ được có một tương tác dạng khối "
                               f"(choice, match, order, …); câu này có {len(interactions)}.")
            payload = _BLOCK_READERS[blocks[0].tag](self, blocks[0])
        elif (len(interactions) == 1 and interactions[0].tag == "textEntryInteraction"
              and "hl-cloze" not in self._stem_classes()):
            payload = self._short(interactions[0])
        else:
            payload = self._cloze(interactions)
        return self._with_feedback(payload)

    # -- shared pieces --

    def _refuse_hidden_interactions(self) -> None:
        """An interaction inside a block shown only under a condition (an adaptive item's
        next step, a template) has no place in our types: the item is refused, never read as
        whatever is left."""
        for block in self.body.iter():
            if block.tag not in HIDING_BLOCKS:
                continue
            hidden = sorted({e.tag for e in block.iter() if e.tag.endswith("Interaction")})
            if hidden:
                raise QtiError("qtiunsupported", "Tương tác " + ", ".join(
                    f"<{tag}>" for tag in hidden) + f" nằm trong <{block.tag}> (phần chỉ hiện "
                    "ra theo câu trả lời, như câu hỏi thích ứng nhiều bước) — chưa hỗ trợ nên "
                    "câu này không được nhập.")

    def _remove_rubrics(self) -> str:
        """Drop rubric and feedback blocks from the body; the scorer rubric is the reference,
        a ``feedbackBlock identifier="SOLUTION"`` the solution, other feedback blocks are
        named in a warning."""
        reference = []
        parents = _parents(self.body)
        for element in list(self.body.iter()):
            if element.tag not in HIDING_BLOCKS:
                continue
            if element.tag == "rubricBlock" and element.get("view", "") == "scorer":
                reference.append(inner_html(element))
            elif element.tag == "feedbackBlock":
                identifier = element.get("identifier", "")
                if identifier.upper() == "SOLUTION":
                    self.solution_blocks.append(inner_html(element))
                else:
                    self.dropped.append(f"<feedbackBlock> «{identifier}»")
            elif element.tag == "templateBlock":
                self.dropped.append(f"<templateBlock> «{element.get('identifier', '')}»")
            _detach(parents[element], element)
        return clean_html("".join(reference))

    def _stem_classes(self) -> list[str]:
        first = list(self.body)
        return _classes(first[0]) if len(first) == 1 and first[0].tag == "div" else []

    def _stem(self, prompt: Element | None = None) -> str:
        """The body's remaining content; our own ``div.hl-stem`` wrapper is unwrapped."""
        children = list(self.body)
        outer = (self.body.text or "").strip() or any((c.tail or "").strip() for c in children)
        if len(children) == 1 and not outer and any(
                c.startswith("hl-stem") for c in _classes(children[0])):
            text = inner_html(children[0])
        else:
            text = inner_html(self.body)
        extra = inner_html(prompt) if prompt is not None else ""
        if extra and text:
            return clean_html(f"{text}<p>{extra}</p>")
        return text or extra

    def _remove(self, interaction: Element, drop_empty_parent: bool = False) -> None:
        parents = _parents(self.body)
        parent = parents[interaction]
        _detach(parent, interaction)
        if (drop_empty_parent and parent is not self.body and parent.tag in ("p", "div")
                and not len(parent) and not (parent.text or "").strip()):
            _detach(parents[parent], parent)

    def _declaration(self, interaction: Element) -> Element:
        identifier = interaction.get("responseIdentifier")
        found = self.declarations.get(identifier)
        if found is None:
            raise QtiError("qtinodeclaration", f"Thiếu <responseDeclaration identifier="
                           f"\"{identifier}\"> cho tương tác <{interaction.tag}>.")
        return found

    def _correct(self, interaction: Element) -> list[str]:
        """correctResponse values, else mapping keys with a positive value."""
        declaration = self._declaration(interaction)
        values = [nfc(v.text) for v in declaration.findall("correctResponse/value")]
        if values:
            return values
        return [key for key, value, _ in _mapping(declaration) if value > 0]

    def _with_feedback(self, payload: dict) -> dict:
        """Modal feedbacks by their condition: ``SOLUTION`` → solution, ``GENERAL`` or one
        always shown → general feedback, one keyed by a choice → that option's feedback; any
        other conditional feedback (correct/incorrect, hints, adaptive steps) is dropped and
        named in a warning — never concatenated into the general feedback."""
        general, solution = [], list(self.solution_blocks)
        assigned = self._assigned_identifiers()
        for feedback in self.root.findall("modalFeedback"):
            identifier = feedback.get("identifier", "")
            html = inner_html(feedback)
            always = feedback.get("showHide") == "hide" and identifier not in assigned
            if identifier.upper() == "SOLUTION":
                solution.append(html)
            elif identifier.upper() == "GENERAL" or always:
                general.append(html)
            elif not self._option_feedback(payload, identifier, html):
                self.dropped.append(f"<modalFeedback> «{identifier}»")
        payload["feedback_html"] = clean_html("".join(general))
        payload["solution_html"] = clean_html("".join(solution))
        if self.dropped:
            self.warnings.append(("qtifeedbackdropped", "Phản hồi có điều kiện không có chỗ "
                                  "tương ứng trong câu hỏi nên bị bỏ: " + ", ".join(self.dropped)
                                  + ". Chỉ giữ phản hồi chung (GENERAL), lời giải (SOLUTION) và "
                                  "phản hồi theo từng phương án."))
        return payload

    def _assigned_identifiers(self) -> set[str]:
        """Identifier values responseProcessing can give an outcome (feedback conditions)."""
        processing = self.root.find("responseProcessing")
        if processing is None:
            return set()
        return {(value.text or "").strip() for value in processing.iter("baseValue")}

    def _option_feedback(self, payload: dict, identifier: str, html: str) -> bool:
        """Put a feedback keyed by a choice identifier on that option, if it has none."""
        slot = self.slots.get(identifier)
        if slot is None or not html:
            return False
        field, index = slot
        target = payload["options"][index] if field == "option" else payload
        key = "feedback_html" if field == "option" else field
        if target.get(key):
            return False
        target[key] = html
        return True

    # -- block interactions --

    def _choice(self, interaction: Element) -> dict:
        self._remove(interaction)
        stem = self._stem(interaction.find("prompt"))
        choices = [_choice_parts(c) for c in interaction.findall("simpleChoice")]
        correct = set(self._correct(interaction))
        single = interaction.get("maxChoices", "1").strip() == "1"
        if single and _is_true_false(choices):
            return self._true_false(stem, choices, correct)
        count = payloads._count_problem(len(choices))
        if count:
            raise QtiError(*count)
        flags = [identifier in correct for identifier, _, _, _ in choices]
        if single and sum(flags) != 1:
            raise QtiError("qtisinglecorrect", "Câu một lựa chọn (maxChoices=1) cần đúng một "
                           f"đáp án trong <correctResponse>; tìm thấy {sum(flags)}.")
        if not any(flags):
            raise QtiError("qtinocorrect", "Câu nhiều lựa chọn cần ít nhất một đáp án đúng "
                           "trong <correctResponse>.")
        ids = payloads.OPTION_IDS
        self.slots = {identifier: ("option", i) for i, (identifier, *_) in enumerate(choices)}
        options = [{"id": ids[i], "text_html": text, "correct": ok, "feedback_html": feedback}
                   for i, ((_, text, feedback, _), ok) in enumerate(zip(choices, flags,
                                                                       strict=True))]
        return {**payloads.base("single_choice" if single else "multiple_response", stem),
                "options": options, "shuffle": interaction.get("shuffle") == "true",
                "pinned": [ids[i] for i, (*_, fixed) in enumerate(choices) if fixed]}

    def _true_false(self, stem: str, choices, correct: set[str]) -> dict:
        by_value = {TRUE_WORDS[fold(html_to_text(text))]: (identifier, feedback)
                    for identifier, text, feedback, _ in choices}
        self.slots = {identifier: (f"feedback_{'true' if value else 'false'}_html", 0)
                      for value, (identifier, _) in by_value.items()}
        right = [value for value, (identifier, _) in by_value.items() if identifier in correct]
        if len(right) != 1:
            raise QtiError("qtisinglecorrect", "Câu đúng/sai cần đúng một đáp án trong "
                           "<correctResponse>.")
        return payloads.true_false(stem, right[0], by_value[True][1], by_value[False][1])

    def _match(self, interaction: Element) -> dict:
        self._remove(interaction)
        stem = self._stem(interaction.find("prompt"))
        sets = interaction.findall("simpleMatchSet")
        if len(sets) != 2:
            raise QtiError("qtimatchsets", "<matchInteraction> cần đúng hai <simpleMatchSet>.")
        sources, targets = ([_choice_parts(c)[:2] for c in s.findall("simpleAssociableChoice")]
                            for s in sets)
        pairs = [tuple(value.split()[:2]) for value in self._correct(interaction)]
        if "hl-true-false-4" in _classes(interaction) or _looks_true_false_4(sources, targets):
            return self._true_false_4(stem, sources, targets, pairs)
        return self._pairs(stem, sources, targets, pairs, interaction.get("shuffle") == "true")

    def _associate(self, interaction: Element) -> dict:
        self._remove(interaction)
        stem = self._stem(interaction.find("prompt"))
        choices = [_choice_parts(c)[:2] for c in interaction.findall("simpleAssociableChoice")]
        pairs = [tuple(value.split()[:2]) for value in self._correct(interaction)]
        lefts = {left for left, _ in pairs}
        rights = {right for _, right in pairs}
        sources = [c for c in choices if c[0] in lefts]
        targets = [c for c in choices if c[0] in rights or c[0] not in lefts]
        return self._pairs(stem, sources, targets, pairs, interaction.get("shuffle") == "true")

    def _pairs(self, stem, sources, targets, pairs, shuffle) -> dict:
        text_of = dict(targets)
        right_of: dict[str, str] = {}
        for left, right in pairs:
            if right in text_of and left not in right_of:
                right_of[left] = right
        found = [(text, text_of[right_of[i]]) for i, text in sources if i in right_of]
        missing = [i for i, _ in sources if i not in right_of]
        if missing:
            self.warnings.append(("qtiunmatched", "Vế trái không có vế phải đúng nên bị bỏ: "
                                  + ", ".join(missing) + "."))
        if len(found) < 2:
            raise QtiError("notenoughsubquestions", "Câu ghép nối cần ít nhất 2 cặp đúng trong "
                           f"<correctResponse>; tìm thấy {len(found)}.")
        used = set(right_of.values())
        distractors = [text for i, text in targets if i not in used]
        return payloads.matching(stem, found, distractors, shuffle=shuffle)

    def _true_false_4(self, stem, sources, targets, pairs) -> dict:
        if len(sources) != 4:
            raise QtiError("qtitruefalse4", "Câu đúng/sai 4 ý cần đúng 4 mệnh đề a–d; tìm thấy "
                           f"{len(sources)}.")
        value_of = {i: TRUE_WORDS.get(fold(html_to_text(text))) for i, text in targets}
        answer = {left: value_of.get(right) for left, right in pairs}
        if any(answer.get(i) is None for i, _ in sources):
            raise QtiError("qtitruefalse4", "Mỗi mệnh đề của câu đúng/sai 4 ý cần một đáp án "
                           "Đúng hoặc Sai trong <correctResponse>.")
        return {**payloads.base("true_false_4", stem), "statements": [
            {"id": key, "text_html": text, "answer": answer[i]}
            for key, (i, text) in zip("abcd", sources, strict=True)]}

    def _order(self, interaction: Element) -> dict:
        self._remove(interaction)
        stem = self._stem(interaction.find("prompt"))
        text_of = {i: text for i, text, _, _ in map(_choice_parts,
                                                  interaction.findall("simpleChoice"))}
        order = self._correct(interaction)
        if sorted(order) != sorted(text_of) or len(order) < 2:
            raise QtiError("qtiorder", "<correctResponse> của câu sắp xếp phải liệt kê mọi "
                           "phương án đúng một lần, theo thứ tự đúng.")
        return {**payloads.base("ordering", stem),
                "items": [{"id": str(n), "text_html": text_of[i]}
                          for n, i in enumerate(order, 1)]}

    def _essay(self, interaction: Element) -> dict:
        self._remove(interaction)
        payload = payloads.essay(self._stem(interaction.find("prompt")),
                                 reference_html=self.reference)
        for field, prefix in (("min_words", "min-words"), ("max_words", "max-words")):
            number = _class_number(interaction, prefix)
            payload[field] = int(number) if number is not None else 0
        return payload

    # -- inline interactions --

    def _short(self, interaction: Element) -> dict:
        """A lone text entry: on a line of its own it is dropped; inside a sentence it
        leaves the missing-word blank ``_____`` (as GIFT and Moodle do)."""
        parent = _parents(self.body)[interaction]
        alone = (parent is not self.body and parent.tag in ("p", "div") and len(parent) == 1
                 and not (parent.text or "").strip() and not (interaction.tail or "").strip())
        if alone:
            self._remove(interaction, drop_empty_parent=True)
        else:
            _detach(parent, interaction, BLANK)
        stem = self._stem()
        gap = self._text_gap(interaction)
        if gap["kind"] == "numeric":
            return {**payloads.base("short_numeric", stem), "answers": gap["answers"],
                    "format_2025": gap["format_2025"]}
        return {**payloads.base("short_text", stem), "answers": gap["answers"],
                "case_sensitive": gap["case_sensitive"],
                "ignore_diacritics": gap["ignore_diacritics"]}

    def _cloze(self, interactions: list[Element]) -> dict:
        gaps = []
        parents = _parents(self.body)
        for number, interaction in enumerate(interactions, 1):
            gap = (self._text_gap(interaction) if interaction.tag == "textEntryInteraction"
                   else self._dropdown_gap(interaction))
            gap_id = f"g{number}"
            gaps.append({"id": gap_id, **gap})
            _detach(parents[interaction], interaction, f"[[{gap_id}]]")
        return {**payloads.base("cloze", self._stem()), "gaps": [_gap_shape(g) for g in gaps]}

    def _text_gap(self, interaction: Element) -> dict:
        declaration = self._declaration(interaction)
        points = _class_number(interaction, "points") or Decimal(1)
        classes = _classes(interaction)
        if declaration.get("baseType", "string") in NUMERIC_BASES:
            answers = self._numeric_answers(interaction, declaration, points)
            return {"kind": "numeric", "points": decimal_string(points), "answers": answers,
                    "format_2025": "hl-format-2025" in classes}
        entries = _mapping(declaration)
        if entries:
            answers = [(key, value / points) for key, value, _ in entries]
            case_sensitive = any(sensitive for *_, sensitive in entries)
        else:
            answers = [(value, Decimal(1)) for value in self._correct(interaction)]
            case_sensitive = False
        if not answers:
            raise QtiError("noanswers", "Ô nhập câu trả lời cần đáp án trong <correctResponse> "
                           "hoặc <mapping>.")
        _check_full_mark([f for _, f in answers])
        return {"kind": "text", "points": decimal_string(points), "answers": [
            {"text": text, "fraction": _fraction(f)} for text, f in answers],
            "case_sensitive": case_sensitive,
            "ignore_diacritics": "hl-ignore-diacritics" in classes}

    def _numeric_answers(self, interaction, declaration, points) -> list[dict]:
        """From ``<equal>`` conditions in responseProcessing (value, tolerance, score), else
        from the correct response."""
        found = []
        identifier = interaction.get("responseIdentifier")
        processing = self.root.find("responseProcessing")
        for branch in (processing.iter() if processing is not None else ()):
            if branch.tag not in ("responseIf", "responseElseIf"):
                continue
            equal = branch.find("equal")
            variable = equal.find("variable") if equal is not None else None
            if variable is None or variable.get("identifier") != identifier:
                continue
            value = parse_decimal(equal.findtext("baseValue") or "")
            tolerance = parse_decimal((equal.get("tolerance") or "0").split()[0])
            scores = branch.findall("setOutcomeValue//baseValue")
            score = parse_decimal(scores[-1].text or "") if scores else Decimal(1)
            if value is None or tolerance is None or score is None:
                raise QtiError("notnumeric", "Điều kiện <equal> của ô số cần giá trị, sai số "
                               "và điểm là số.")
            if equal.get("toleranceMode", "exact") != "absolute":
                tolerance = Decimal(0)
            found.append((value, abs(tolerance), score / points))
        if not found:
            for text in self._correct(interaction):
                value = parse_decimal(text)
                if value is None:
                    raise QtiError("notnumeric", f"Đáp án '{text[:30]}' phải là một số.")
                found.append((value, Decimal(0), Decimal(1)))
        if not found:
            raise QtiError("noanswers", "Ô nhập số cần đáp án trong <correctResponse>.")
        _check_full_mark([f for *_, f in found])
        return [{"value": decimal_string(v), "tolerance": decimal_string(t),
                 "fraction": _fraction(f)} for v, t, f in found]

    def _dropdown_gap(self, interaction: Element) -> dict:
        choices = [(c.get("identifier"), html_to_text(inner_html(c)))
                   for c in interaction.findall("inlineChoice")]
        correct = set(self._correct(interaction))
        flags = [i in correct for i, _ in choices]
        if sum(flags) != 1 or len(choices) < 2:
            raise QtiError("qtidropdown", "Danh sách chọn <inlineChoiceInteraction> cần ít nhất "
                           "2 lựa chọn và đúng một lựa chọn đúng.")
        points = _class_number(interaction, "points") or Decimal(1)
        return {"kind": "dropdown", "points": decimal_string(points), "options": [
            {"id": payloads.OPTION_IDS[n], "text": text, "correct": ok}
            for n, ((_, text), ok) in enumerate(zip(choices, flags, strict=True))]}


_BLOCK_READERS = {
    "choiceInteraction": _Item._choice,
    "matchInteraction": _Item._match,
    "associateInteraction": _Item._associate,
    "orderInteraction": _Item._order,
    "extendedTextInteraction": _Item._essay,
}


def _gap_shape(gap: dict) -> dict:
    """A cloze gap in the shape the other importers give (answers and options both present,
    flags only when set)."""
    shaped = {"id": gap["id"], "kind": gap["kind"], "points": gap["points"],
              "answers": gap.get("answers", []), "options": gap.get("options", [])}
    for flag in ("case_sensitive", "ignore_diacritics", "format_2025"):
        if gap.get(flag):  # optional, false by default (docs/question-payloads.md)
            shaped[flag] = True
    return shaped


def _choice_parts(choice: Element) -> tuple[str, str, str, bool]:
    """(identifier, text_html, feedback_html, fixed) of a simpleChoice; feedbackInline
    inside it is the option's feedback."""
    choice = copy.deepcopy(choice)
    feedback = []
    for inline in choice.findall(".//feedbackInline"):
        feedback.append(inner_html(inline))
    parents = _parents(choice)
    for inline in list(choice.iter("feedbackInline")):
        _detach(parents[inline], inline)
    return (choice.get("identifier", ""), inner_html(choice), clean_html("".join(feedback)),
            choice.get("fixed") == "true")


def _is_true_false(choices) -> bool:
    words = {fold(html_to_text(text)) for _, text, _, _ in choices}
    return len(choices) == 2 and words in ({"dung", "sai"}, {"true", "false"})


def _looks_true_false_4(sources, targets) -> bool:
    words = {fold(html_to_text(text)) for _, text in targets}
    return len(sources) == 4 and len(targets) == 2 and words in ({"dung", "sai"},
                                                                 {"true", "false"})


def _mapping(declaration: Element) -> list[tuple[str, Decimal, bool]]:
    """(key, value, case sensitive) of each mapEntry; QTI's caseSensitive defaults to true."""
    out = []
    for entry in declaration.findall("mapping/mapEntry"):
        value = parse_decimal(entry.get("mappedValue", "0"))
        if value is None:
            raise QtiError("invalidgradequestion", "mappedValue của <mapEntry> phải là số.")
        out.append((nfc(entry.get("mapKey")), value,
                    entry.get("caseSensitive", "true").strip().lower() == "true"))
    return out


def _fraction(value: Decimal) -> str:
    return decimal_string(min(max(value, Decimal(0)), Decimal(1)))


def _check_full_mark(fractions: list[Decimal]) -> None:
    if not any(f >= 1 for f in fractions):
        raise QtiError("errfractionsnomax", "Cần ít nhất một đáp án được trọn điểm.")
