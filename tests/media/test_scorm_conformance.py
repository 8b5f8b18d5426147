"""SCORM packages against public conformance material: what is accepted, refused and warned.

- ADL's SCORM 2004 4th Edition conformance test suite: the 189 LMS test content package
  manifests (Apache-2.0, copied unchanged into ``fixtures/adl_scorm2004_cts``; see its
  SOURCES.md). The suite ships each package with the files its manifest lists; the packages are
  built here from each manifest with stand-in bytes for those files.
- The shared ``scorm-invalid`` manifests (elearning-module-parser's tests, Apache-2.0), read from
  ``HOCLIEU_SHARED_FIXTURES``.

Also: a package zipped inside its folder, and what the message says when no manifest is found.
"""

import io
import posixpath
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from defusedxml.ElementTree import fromstring

from media import PackageError, read_package
from tests.media.zipbuild import build_zip
from tests.question_bank.fixtures import fixture_bytes

ADL = Path(__file__).parent / "fixtures" / "adl_scorm2004_cts"
ADL_PACKAGES = sorted(p.name.removesuffix(".imsmanifest.xml")
                      for p in ADL.glob("*.imsmanifest.xml"))
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
#: The files every one of the suite's packages carries beside its SCO pages.
ADL_SUPPORT = ["common/About.js", "common/BrowserDetect.js", "common/EmulationCode.js",
               "common/LMSTest.jar", "common/lmsrtefunctions.js",
               "includes/LMSTestContentPackages_style.css"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _folder(base: str | None) -> str:
    base = (base or "").strip()
    return base if not base or base.endswith("/") else base + "/"


def listed_files(manifest: bytes, scos_only: bool = False) -> set[str]:
    """The package paths a manifest names — each resource's ``href`` and ``<file href>``s
    under their ``xml:base`` folders — as the suite's build puts them in the zip. With
    ``scos_only``, only the pages of resources that items launch."""
    root = fromstring(manifest)
    launched = {(item.get("identifierref") or "").strip() for item in root.iter()
                if _local(item.tag) == "item"}
    resources = next(e for e in root if _local(e.tag) == "resources")
    base = urljoin(_folder(root.get(XML_BASE)), _folder(resources.get(XML_BASE)))
    paths = set()
    for resource in (e for e in resources if _local(e.tag) == "resource"):
        if scos_only and resource.get("identifier").strip() not in launched:
            continue
        own = urljoin(base, _folder(resource.get(XML_BASE)))
        hrefs = [resource.get("href")] if scos_only else [
            resource.get("href"), *(f.get("href") for f in resource if _local(f.tag) == "file")]
        paths |= {posixpath.normpath(unquote(urlsplit(urljoin(own, h.strip())).path))
                  for h in hrefs if h}
    return paths


def stand_in(path: str) -> bytes:
    """Bytes for a listed file: a page, or a real (tiny) jar for the suite's applet."""
    if path.endswith(".jar"):
        return build_zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})
    return f"<html><body>{path}</body></html>".encode()


def adl_package(name: str, scos_only: bool = False, folder: str = "") -> bytes:
    manifest = (ADL / f"{name}.imsmanifest.xml").read_bytes()
    files = {f"{folder}imsmanifest.xml": manifest}
    files.update({f"{folder}{path}": stand_in(path)
                  for path in sorted(listed_files(manifest, scos_only))})
    if folder:  # what macOS's "Compress" adds beside the folder
        files[f"__MACOSX/{folder}._imsmanifest.xml"] = b"\x00\x05\x16\x07"
    return build_zip(files)


def outcome(data: bytes) -> str:
    """"accepted", "warned" (accepted, with files missing) or "refused"."""
    try:
        _, manifest = read_package(io.BytesIO(data))
    except PackageError:
        return "refused"
    return "warned" if manifest.missing_files else "accepted"


def test_the_suite_is_all_here():
    assert len(ADL_PACKAGES) == 189


def test_every_adl_conformance_package_is_accepted():
    """Before identifiers were trimmed, CM-07e, OB-02a and OB-02b were refused: the suite
    writes ``identifier = "   SEQ01     "`` and refers to ``SEQ01``."""
    counts = Counter(outcome(adl_package(name)) for name in ADL_PACKAGES)
    assert counts == {"accepted": 189}


@pytest.mark.parametrize(("name", "first"), [
    ("LMSTestPackage_CM-07e", ("activity_1", "resources/SequencingTest.htm?tc=CM-07e&act=1")),
    ("LMSTestPackage_OB-02a", ("activity_1", "resources/SequencingTest.htm?tc=OB-02a&act=1")),
    ("LMSTestPackage_OB-02b", ("activity_1", "resources/SequencingTest.htm?tc=OB-02b&act=1")),
    ("LMSTestPackage_CM-08", ("activity_1", "resources/SequencingTest.htm?tc=CM-08&act=1")),
])
def test_padded_identifiers_match_after_trimming(name, first):
    _, manifest = read_package(io.BytesIO(adl_package(name)))
    entry = manifest.launchable[0]
    assert (entry.identifier, entry.launch) == first
    assert manifest.organization == manifest.organization.strip()


def test_adl_packages_zipped_inside_their_folder_are_accepted():
    counts = Counter()
    for name in ADL_PACKAGES:
        data = adl_package(name, folder=f"{name}/")
        counts[outcome(data)] += 1
        _, manifest = read_package(io.BytesIO(data))
        assert manifest.root == f"{name}/"
    assert counts == {"accepted": 189}


def test_adl_packages_without_their_support_files_are_warned_with_the_list():
    """Only the SCO pages: every package lists the suite's scripts, stylesheet and applet."""
    counts = Counter()
    for name in ADL_PACKAGES:
        data = adl_package(name, scos_only=True)
        counts[outcome(data)] += 1
    assert counts == {"warned": 189}
    _, manifest = read_package(io.BytesIO(adl_package("LMSTestPackage_CM-01", scos_only=True)))
    assert list(manifest.missing_files) == ADL_SUPPORT


#: The shared invalid manifests, each zipped with the pages its test names: (zip content
#: besides the manifest, expected outcome, refusal code or missing files).
SHARED = {
    "MinimalValid_SCORM20043rdEdition": ({"index.html": b"<p>"}, "accepted", None),
    "InvalidFileReferences_SCORM12": ({"content/nonexistent.html": b"<p>"}, "warned",
                                      ("content/nonexistent.css", "content/nonexistent.js",
                                       "content/nonexistent_asset.html")),
    "ItemWithNonExistentResourceId_SCORM12": ({"content/item2.html": b"<p>"}, "refused",
                                              "unknown_resource"),
    "MissingLaunchUrl_SCORM12": ({}, "refused", "launch_missing"),
    "MissingRequiredFields_SCORM12": ({}, "refused", "manifest_invalid"),
    "MalformedXml_SCORM12": ({}, "refused", "xml_malformed"),
    "InvalidMissingOrgIdentifier_SCORM20043rdEdition": ({"index.html": b"<p>"}, "refused",
                                                        "manifest_invalid"),
}


@pytest.mark.parametrize("name", SHARED)
def test_shared_manifests_accepted_refused_or_warned(name):
    manifest = fixture_bytes(f"scorm-invalid/{name}.imsmanifest.xml")
    extra, expected, detail = SHARED[name]
    data = build_zip({"imsmanifest.xml": manifest, **extra})
    assert outcome(data) == expected
    if expected == "refused":
        with pytest.raises(PackageError) as caught:
            read_package(io.BytesIO(data))
        assert caught.value.code == detail
    elif expected == "warned":
        assert read_package(io.BytesIO(data))[1].missing_files == detail


def test_shared_manifests_counts():
    counts = Counter()
    for name, (extra, _, _) in SHARED.items():
        manifest = fixture_bytes(f"scorm-invalid/{name}.imsmanifest.xml")
        counts[outcome(build_zip({"imsmanifest.xml": manifest, **extra}))] += 1
    assert counts == {"accepted": 1, "warned": 1, "refused": 5}


# --- where the manifest is -------------------------------------------------------------------

MINIMAL = b"""<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">
  <organizations default="o"><organization identifier="o"><title>Bai</title>
    <item identifier="i" identifierref="r"><title>Muc</title></item></organization>
  </organizations>
  <resources><resource identifier="r" type="webcontent" href="index.html">
    <file href="index.html"/><file href="img/a.png"/></resource></resources>
</manifest>"""


def refusal(files: dict[str, bytes]) -> PackageError:
    with pytest.raises(PackageError) as caught:
        read_package(io.BytesIO(build_zip(files)))
    return caught.value


def test_package_inside_one_folder_reads_from_that_folder():
    data = build_zip({"Bài 1/imsmanifest.xml": MINIMAL, "Bài 1/index.html": b"<p>",
                      "Bài 1/img/a.png": b"\x89PNG", "__MACOSX/Bài 1/._index.html": b"",
                      "Bài 1/.DS_Store": b"", ".DS_Store": b""})
    inspection, manifest = read_package(io.BytesIO(data))
    assert manifest.root == "Bài 1/"
    assert manifest.launchable[0].launch == "index.html" and manifest.missing_files == ()
    assert "Bài 1/index.html" in inspection.files


def test_manifest_beside_other_top_level_files_is_refused_with_where_it_is():
    error = refusal({"Bai/imsmanifest.xml": MINIMAL, "Bai/index.html": b"<p>",
                     "readme.txt": b"x"})
    assert error.code == "manifest_missing"
    assert "«Bai/imsmanifest.xml»" in error.message
    assert "Hãy nén chính các tệp bên trong thư mục «Bai»" in error.message


def test_manifest_two_folders_down_is_refused_with_where_it_is():
    error = refusal({"a/b/imsmanifest.xml": MINIMAL, "a/b/index.html": b"<p>"})
    assert error.code == "manifest_missing" and "«a/b/imsmanifest.xml»" in error.message


def test_manifest_with_the_wrong_letter_case_is_named():
    error = refusal({"IMSManifest.xml": MINIMAL, "index.html": b"<p>"})
    assert error.code == "manifest_missing" and "«IMSManifest.xml»" in error.message


def test_zip_without_any_manifest_says_it_is_not_scorm():
    error = refusal({"index.html": b"<p>"})
    assert error.code == "manifest_missing" and "không phải gói SCORM" in error.message


def test_missing_listed_files_are_warned_and_external_references_are_not_files():
    xml = MINIMAL.replace(b'<file href="img/a.png"/>',
                          b'<file href=" img/a.png "/><file href="http://cdn.example/x.js"/>')
    _, manifest = read_package(io.BytesIO(build_zip({"imsmanifest.xml": xml,
                                                     "index.html": b"<p>"})))
    assert manifest.missing_files == ("img/a.png",)
