"""SCORM 1.2 / 2004 packages: read ``imsmanifest.xml`` safely and build a table of contents.

The manifest is parsed with defusedxml and any DTD, entity or external reference is refused.
Element and attribute names are matched by local name, so the namespace variants of SCORM 1.2
(``imscp_rootv1p1p2``) and 2004 (``imscp_v1p1``) and both ``adlcp:scormtype`` spellings work.
Every refusal is a :class:`~media.archive.PackageError` whose message names the problem.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from media.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    PackageError,
    ZipInspection,
    inspect_zip,
    open_zip,
)

MANIFEST = "imsmanifest.xml"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32  #: nesting of <item>s; real courses use 2 or 3
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_NS_2004 = ("imscp_v1p1", "adlcp_v1p3", "imsss", "adlseq", "adlnav")
_NS_12 = ("imscp_rootv1p1p2", "adlcp_rootv1p2")
_JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class TocEntry:
    """One row of the table of contents; ``launch`` is None for a chapter heading."""

    identifier: str
    title: str
    depth: int
    launch: str | None = None
    kind: str | None = None  #: "sco" (talks to the runtime API) or "asset"
    resource: str | None = None
    visible: bool = True
    mastery_score: float | None = None  #: 1.2 masteryscore (0-100) or 2004 minNormalizedMeasure
    completion_threshold: float | None = None  #: 2004 only, 0..1
    data_from_lms: str | None = None  #: becomes cmi.launch_data


@dataclass(frozen=True)
class ScormManifest:
    """What the player needs from a manifest."""

    version: str  #: "1.2" or "2004"
    identifier: str
    title: str
    organization: str
    toc: tuple[TocEntry, ...]
    missing_files: tuple[str, ...] = ()  #: listed files absent from the package (a warning)
    #: where the package starts inside the zip: "" or one top-level folder ("Course/")
    root: str = ""

    @property
    def launchable(self) -> tuple[TocEntry, ...]:
        """Entries with something to open, in order; the first is the default launch."""
        return tuple(e for e in self.toc if e.launch)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    """Children by local name, case-insensitive (``datafromlms`` / ``dataFromLMS``)."""
    return [child for child in element if _local(child.tag).lower() == name.lower()]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _attr(element: Element, name: str) -> str | None:
    """An attribute by local name, case-insensitive (``scormtype`` / ``scormType``)."""
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower():
            return value.strip()
    return None


def _value(element: Element, name: str) -> str | None:
    """An attribute without surrounding whitespace (None when absent or blank).

    Identifiers, references, hrefs and bases are compared trimmed: ADL's conformance packages
    write ``identifier = "   SEQ01     "`` and expect it to match ``identifierref="SEQ01"``,
    and a URL's surrounding spaces are dropped by browsers anyway.
    """
    value = element.get(name)
    if value is None:
        return None
    return value.strip() or None


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return " ".join(element.text.split()) or None


def _invalid(code: str, problem: str) -> PackageError:
    return PackageError(code, f"{MANIFEST}: {problem}")


def parse_xml(xml_bytes: bytes) -> Element:
    """Parse with defusedxml: DTDs, entities and external references are refused."""
    try:
        return fromstring(xml_bytes, forbid_dtd=True)
    except DTDForbidden as exc:
        raise _invalid("xml_forbidden", "có khai báo DTD (<!DOCTYPE>), không được phép "
                       "vì có thể dùng để tấn công (XXE, bom thực thể).") from exc
    except EntitiesForbidden as exc:
        raise _invalid("xml_forbidden", f"khai báo thực thể (entity) «{exc.name}», "
                       "không được phép.") from exc
    except ExternalReferenceForbidden as exc:
        raise _invalid("xml_forbidden", "tham chiếu tới tài nguyên bên ngoài, "
                       "không được phép.") from exc
    except ParseError as exc:
        line, column = exc.position
        raise _invalid("xml_malformed", f"XML không hợp lệ ở dòng {line}, cột {column + 1} "
                       f"({_parse_reason(exc)}).") from exc


def _parse_reason(exc: ParseError) -> str:
    return str(exc).split(":")[0]


def detect_version(root: Element) -> str:
    """"2004" or "1.2", from ``<schemaversion>`` first, else from the namespaces used."""
    metadata = _child(root, "metadata")
    declared = _text(_child(metadata, "schemaversion")) if metadata is not None else None
    if declared:
        return "1.2" if declared.startswith("1.2") else "2004"
    namespaces = {tag.split("}")[0] for tag in _all_names(root) if tag.startswith("{")}
    if any(ns.endswith(tuple(_NS_2004)) for ns in namespaces):
        return "2004"
    return "1.2"


def _all_names(root: Element):
    for element in root.iter():
        yield element.tag
        yield from element.attrib


def _join_base(*parts: str | None) -> str:
    """Join ``xml:base`` values (each one a folder) and an href, as relative URLs."""
    url = ""
    for part in parts:
        if not part:
            continue
        url = urljoin(url, part)
    return url


def _as_folder(base: str | None) -> str | None:
    if base and not base.endswith("/"):
        return base + "/"
    return base


def add_parameters(href: str, parameters: str | None) -> str:
    """Append an item's ``parameters`` to a launch URL (SCORM CAM rules).

    A leading ``?`` or ``&`` is dropped; a ``#fragment`` is added only if the URL has none;
    otherwise the parameters join the query with ``&`` (or start it with ``?``).
    """
    if not parameters:
        return href
    params = parameters.lstrip("?&")
    scheme, netloc, path, query, fragment = urlsplit(href)
    if params.startswith("#"):
        fragment = fragment or params[1:]
    elif params:
        query = f"{query}&{params}" if query else params
    return urlunsplit((scheme, netloc, path, query, fragment))


def _package_path(url: str) -> str | None:
    """The file inside the package a relative URL points at; None if it leaves the package."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or parts.path.startswith("/"):
        return None
    path = posixpath.normpath(unquote(parts.path))
    if path.startswith("../") or path in ("..", "."):
        return None
    return path


@dataclass(frozen=True)
class _Resource:
    identifier: str
    href: str | None
    kind: str
    files: tuple[str, ...]


def _resources(root: Element) -> dict[str, _Resource]:
    block = _child(root, "resources")
    if block is None:
        raise _invalid("manifest_invalid", "thiếu phần <resources>.")
    base = _join_base(_as_folder(_value(root, _XML_BASE)),
                      _as_folder(_value(block, _XML_BASE)))
    found = {}
    for element in _children(block, "resource"):
        resource = _resource(element, base)
        found[resource.identifier] = resource
    return found


def _resource(element: Element, base: str) -> _Resource:
    identifier = _value(element, "identifier")
    if not identifier:
        raise _invalid("manifest_invalid", "một <resource> thiếu thuộc tính identifier.")
    own = _join_base(base, _as_folder(_value(element, _XML_BASE)))
    href = _value(element, "href")
    files = tuple(_join_base(own, _value(f, "href")) for f in _children(element, "file")
                  if _value(f, "href"))
    kind = (_attr(element, "scormtype") or "asset").lower()
    return _Resource(identifier, _join_base(own, href) if href else None, kind, files)


def _organization(root: Element) -> Element:
    block = _child(root, "organizations")
    organizations = _children(block, "organization") if block is not None else []
    if not organizations:
        raise _invalid("manifest_invalid", "thiếu phần <organizations> hoặc không có "
                       "<organization> nào (không có mục lục để mở).")
    for org in organizations:
        if not _value(org, "identifier"):
            raise _invalid("manifest_invalid", "một <organization> thiếu thuộc tính "
                           "bắt buộc identifier.")
    default = _value(block, "default")
    if not default:
        return organizations[0]
    for org in organizations:
        if _value(org, "identifier") == default:
            return org
    raise _invalid("manifest_invalid", f"tổ chức mặc định «{default}» (organizations/@default) "
                   "không tồn tại.")


def _required_title(element: Element, what: str) -> str:
    title = _text(_child(element, "title"))
    if not title:
        raise _invalid("manifest_invalid", f"{what} thiếu phần tử bắt buộc <title> "
                       "(missing required <title> element).")
    return title


def _number(element: Element | None, attribute: str | None = None) -> float | None:
    raw = element.get(attribute) if element is not None and attribute else _text(element)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise _invalid("manifest_invalid", f"giá trị số không hợp lệ «{raw}».") from exc


def _mastery(item: Element) -> float | None:
    score = _number(_child(item, "masteryscore"))
    if score is not None:
        return score
    sequencing = _child(item, "sequencing")
    objectives = _child(sequencing, "objectives") if sequencing is not None else None
    primary = _child(objectives, "primaryObjective") if objectives is not None else None
    if primary is None:
        return None
    return _number(_child(primary, "minNormalizedMeasure"))


def _threshold(item: Element) -> float | None:
    element = _child(item, "completionThreshold")
    if element is None:
        return None
    if element.get("minProgressMeasure") is not None:  # 2004 4th edition
        return _number(element, "minProgressMeasure")
    return _number(element)


class _TocBuilder:
    """Walks the items of one organization depth-first, in document order."""

    def __init__(self, resources: dict[str, _Resource]):
        self.resources = resources
        self.entries: list[TocEntry] = []

    def walk(self, parent: Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _invalid("manifest_invalid", f"mục lục lồng sâu quá {MAX_DEPTH} cấp.")
        for item in _children(parent, "item"):
            self.entries.append(self.entry(item, depth))
            self.walk(item, depth + 1)

    def entry(self, item: Element, depth: int) -> TocEntry:
        identifier = _value(item, "identifier")
        if not identifier:
            raise _invalid("manifest_invalid", "một <item> thiếu thuộc tính identifier.")
        title = _required_title(item, f"Mục «{identifier}»")
        visible = (_value(item, "isvisible") or "true").lower() != "false"
        ref = _value(item, "identifierref")
        common = {"identifier": identifier, "title": title, "depth": depth, "visible": visible}
        if not ref:
            return TocEntry(**common)
        resource = self.resource(identifier, ref)
        return TocEntry(**common, launch=add_parameters(resource.href, _value(item, "parameters")),
                        kind="sco" if resource.kind == "sco" else "asset", resource=ref,
                        mastery_score=_mastery(item), completion_threshold=_threshold(item),
                        data_from_lms=_text(_child(item, "dataFromLMS")))

    def resource(self, item: str, ref: str) -> _Resource:
        resource = self.resources.get(ref)
        if resource is None:
            raise _invalid("unknown_resource", f"mục «{item}» tham chiếu tài nguyên «{ref}» "
                           "không có trong <resources>.")
        if not resource.href:
            raise _invalid("launch_missing", f"tài nguyên «{ref}» (mục «{item}») thiếu đường "
                           "dẫn khởi chạy href (missing required launch URL).")
        return resource


def parse_manifest(xml_bytes: bytes, files: frozenset[str] | set[str] | None = None
                   ) -> ScormManifest:
    """Parse a manifest; with ``files`` (the package listing) also check every launch file."""
    root = parse_xml(xml_bytes)
    if _local(root.tag) != "manifest":
        raise _invalid("manifest_invalid", f"phần tử gốc là <{_local(root.tag)}>, "
                       "không phải <manifest>.")
    resources = _resources(root)
    org = _organization(root)
    title = _required_title(org, f"Tổ chức «{_value(org, 'identifier')}»")
    builder = _TocBuilder(resources)
    builder.walk(org, 0)
    manifest = ScormManifest(
        version=detect_version(root), identifier=_value(root, "identifier") or "",
        title=title, organization=_value(org, "identifier"), toc=tuple(builder.entries),
    )
    return _checked(manifest, resources, files)


def _checked(manifest: ScormManifest, resources: dict[str, _Resource],
             files: frozenset[str] | set[str] | None) -> ScormManifest:
    if not manifest.launchable:
        raise _invalid("launch_missing", "không có mục nào để khởi chạy (không <item> nào "
                       "tham chiếu một tài nguyên).")
    for entry in manifest.launchable:
        _check_launch(entry, files)
    if files is None:
        return manifest
    return replace(manifest, missing_files=_missing_files(resources, files))


def _missing_files(resources: dict[str, _Resource], files: frozenset[str] | set[str]
                   ) -> tuple[str, ...]:
    """Package paths the manifest lists (``<file href>``, resource ``href``) that the zip lacks.
    References that leave the package (``http://…``) are not files of it."""
    listed = (ref for r in resources.values() for ref in (r.href, *r.files) if ref)
    paths = {_package_path(ref) for ref in listed} - {None}
    return tuple(sorted(p for p in paths if p not in files))


def _check_launch(entry: TocEntry, files: frozenset[str] | set[str] | None) -> None:
    path = _package_path(entry.launch)
    if path is None:
        raise _invalid("launch_outside", f"đường dẫn khởi chạy «{entry.launch}» của mục "
                       f"«{entry.identifier}» nằm ngoài gói.")
    if files is not None and path not in files:
        raise _invalid("launch_file_missing", f"tệp khởi chạy «{path}» của mục "
                       f"«{entry.identifier}» không có trong gói.{_case_hint(path, files)}")


def _case_hint(path: str, files: frozenset[str] | set[str]) -> str:
    """Packages made on Windows often differ only in letter case; say so."""
    same = [f for f in files if f.casefold() == path.casefold()]
    return f" Gói có «{same[0]}» (khác chữ hoa/thường)." if same else ""


def _is_junk(path: str) -> bool:
    """What zip tools add beside the content: macOS resource forks, Finder/Explorer caches."""
    parts = path.split("/")
    return parts[0] == "__MACOSX" or parts[-1] in _JUNK_NAMES


def package_root(files: frozenset[str] | set[str]) -> str:
    """Where the package starts: "" when ``imsmanifest.xml`` is at the root of the zip, or
    ``"Folder/"`` when the whole package sits in one top-level folder (the folder was zipped
    rather than its content; ``__MACOSX/`` and ``.DS_Store`` beside it do not count)."""
    if MANIFEST in files:
        return ""
    tops = {path.split("/", 1)[0] for path in files if not _is_junk(path)}
    if len(tops) == 1:
        top = tops.pop()
        if f"{top}/{MANIFEST}" in files:
            return f"{top}/"
    raise PackageError("manifest_missing", _no_manifest_message(files))


def _no_manifest_message(files: frozenset[str] | set[str]) -> str:
    found = sorted((f for f in files if f.rsplit("/", 1)[-1].casefold() == MANIFEST
                    and not _is_junk(f)), key=lambda f: (f.count("/"), f))
    if not found:
        return (f"Gói không có tệp {MANIFEST} — đây không phải gói SCORM (hãy xuất lại bài "
                "giảng từ phần mềm soạn thảo theo dạng SCORM 1.2 hoặc SCORM 2004).")
    if "/" not in found[0]:
        return (f"Tệp kê khai phải tên đúng là «{MANIFEST}» (chữ thường); gói có "
                f"«{found[0]}».")
    folder = found[0].rsplit("/", 1)[0]
    return (f"Tệp {MANIFEST} phải nằm ở thư mục gốc của tệp .zip, hoặc trong một thư mục duy "
            f"nhất chứa toàn bộ gói; gói này có «{found[0]}» cùng các tệp khác bên ngoài thư mục "
            f"đó. Hãy nén chính các tệp bên trong thư mục «{folder}».")


def read_package(source, limits: ArchiveLimits = DEFAULT_LIMITS
                 ) -> tuple[ZipInspection, ScormManifest]:
    """Inspect a SCORM zip (every entry), find where the package starts (:func:`package_root`)
    and parse its ``imsmanifest.xml`` against the files below that point."""
    with open_zip(source) as zf:
        inspection = inspect_zip(zf, limits)
        root = package_root(inspection.files)
        with zf.open(root + MANIFEST) as fh:
            xml_bytes = fh.read(MAX_MANIFEST_BYTES + 1)
    if len(xml_bytes) > MAX_MANIFEST_BYTES:
        raise PackageError("manifest_invalid", f"{MANIFEST} lớn quá {MAX_MANIFEST_BYTES} byte.")
    files = frozenset(f[len(root):] for f in inspection.files if f.startswith(root))
    return inspection, replace(parse_manifest(xml_bytes, files), root=root)
