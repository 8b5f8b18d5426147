"""imsmanifest.xml parsing: shared invalid fixtures, both SCORM versions, hostile XML (case 23)."""

import io

import pytest

from media import PackageError, add_parameters, extract_zip, parse_manifest, read_package
from tests.media.zipbuild import build_zip
from tests.question_bank.fixtures import fixture_bytes


def fixture(name: str) -> bytes:
    return fixture_bytes(f"scorm-invalid/{name}.imsmanifest.xml")


def rejected(xml: bytes, files=None) -> PackageError:
    with pytest.raises(PackageError) as caught:
        parse_manifest(xml, files)
    return caught.value


@pytest.mark.parametrize(("name", "code", "fragment"), [
    ("MissingRequiredFields_SCORM12", "manifest_invalid", "missing required <title> element"),
    ("MissingLaunchUrl_SCORM12", "launch_missing", "missing required launch URL"),
    ("MalformedXml_SCORM12", "xml_malformed", "dòng 27, cột 7"),
    ("ItemWithNonExistentResourceId_SCORM12", "unknown_resource",
     "mục «item_1» tham chiếu tài nguyên «non_existent_resource»"),
    ("InvalidMissingOrgIdentifier_SCORM20043rdEdition", "manifest_invalid",
     "<organization> thiếu thuộc tính bắt buộc identifier"),
])
def test_invalid_fixture_rejected_with_specific_message(name, code, fragment):
    error = rejected(fixture(name))
    assert (error.code, fragment in error.message) == (code, True), error.message


def test_missing_launch_file_rejected_against_package_listing():
    xml = fixture("InvalidFileReferences_SCORM12")
    assert parse_manifest(xml).launchable[0].launch == "content/nonexistent.html"
    error = rejected(xml, files={"imsmanifest.xml", "content/other.html"})
    assert error.code == "launch_file_missing"
    assert "content/nonexistent.html" in error.message
    hinted = rejected(xml, files={"imsmanifest.xml", "Content/NonExistent.html"})
    assert "Gói có «Content/NonExistent.html» (khác chữ hoa/thường)" in hinted.message


def test_minimal_valid_2004_package_reads_from_a_built_zip():
    data = build_zip({"imsmanifest.xml": fixture("MinimalValid_SCORM20043rdEdition"),
                      "index.html": b"<html></html>"})
    inspection, manifest = read_package(io.BytesIO(data))
    assert (manifest.version, manifest.title, manifest.organization) == \
        ("2004", "Minimal Course", "org1")
    assert [(e.identifier, e.title, e.launch) for e in manifest.launchable] == \
        [("item1", "Launch", "index.html")]
    assert inspection.files == {"imsmanifest.xml", "index.html"}


MULTI_SCO_12 = """<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" xml:base="pkg/">
  <organizations default="o2">
    <organization identifier="o1"><title>Not default</title>
      <item identifier="x" identifierref="r1"><title>X</title></item></organization>
    <organization identifier="o2"><title>Phân số</title>
      <item identifier="ch1"><title>Chương 1</title>
        <item identifier="s1" identifierref="r1" parameters="?lesson=1">
          <title>Bài 1</title><adlcp:masteryscore>80</adlcp:masteryscore>
          <adlcp:datafromlms>start=1</adlcp:datafromlms></item>
        <item identifier="s2" identifierref="r2" parameters="b=2"><title>Bài 2</title></item>
      </item>
      <item identifier="a1" identifierref="r3" isvisible="false">
        <title>Phụ lục</title></item>
    </organization>
  </organizations>
  <resources xml:base="res">
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" xml:base="one/"
      href="index.html"><file href="index.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco"
      href="two/start.html?a=1#top">
      <file href="two/start.html"/><file href="two/gone.js"/></resource>
    <resource identifier="r3" type="webcontent" adlcp:scormtype="asset" href="doc%20a.pdf"/>
  </resources>
</manifest>""".encode()


def test_scorm12_several_scos_give_an_ordered_table_of_contents():
    files = {"pkg/res/one/index.html", "pkg/res/two/start.html", "pkg/res/doc a.pdf"}
    manifest = parse_manifest(MULTI_SCO_12, files)
    assert manifest.version == "1.2" and manifest.title == "Phân số"
    assert [(e.identifier, e.depth, e.launch, e.kind) for e in manifest.toc] == [
        ("ch1", 0, None, None),
        ("s1", 1, "pkg/res/one/index.html?lesson=1", "sco"),
        ("s2", 1, "pkg/res/two/start.html?a=1&b=2#top", "sco"),
        ("a1", 0, "pkg/res/doc%20a.pdf", "asset"),
    ]
    first = manifest.toc[1]
    assert (first.mastery_score, first.data_from_lms) == (80.0, "start=1")
    assert manifest.toc[3].visible is False
    assert manifest.missing_files == ("pkg/res/two/gone.js",)


SCORM_2004 = b"""<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="i1" identifierref="r1" parameters="#p2"><title>One</title>
      <adlcp:completionThreshold>0.75</adlcp:completionThreshold>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective satisfiedByMeasure="true">
          <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
        </imsss:primaryObjective></imsss:objectives></imsss:sequencing></item>
    <item identifier="i2" identifierref="r2"><title>Two</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormType="asset" href="b.html"/>
  </resources>
</manifest>"""


def test_scorm2004_spelling_thresholds_and_fragment_parameters():
    manifest = parse_manifest(SCORM_2004, {"a.html", "b.html"})
    assert manifest.version == "2004"
    one, two = manifest.launchable
    assert (one.launch, one.kind, one.mastery_score, one.completion_threshold) == \
        ("a.html#p2", "sco", 0.6, 0.75)
    assert (two.kind, two.mastery_score) == ("asset", None)


@pytest.mark.parametrize(("href", "params", "expected"), [
    ("a.html", "?x=1", "a.html?x=1"),
    ("a.html?y=2", "&x=1", "a.html?y=2&x=1"),
    ("a.html#f", "x=1", "a.html?x=1#f"),
    ("a.html#f", "#g", "a.html#f"),
    ("a.html", None, "a.html"),
])
def test_parameters_join(href, params, expected):
    assert add_parameters(href, params) == expected


def test_launch_outside_package_rejected():
    xml = SCORM_2004.replace(b'href="a.html"', b'href="../../etc/passwd"')
    assert rejected(xml).code == "launch_outside"


def test_missing_organizations_rejected():
    xml = SCORM_2004.split(b"<organizations")[0] + b"<resources/></manifest>"
    error = rejected(xml)
    assert error.code == "manifest_invalid" and "<organizations>" in error.message


def test_unknown_default_organization_rejected():
    error = rejected(SCORM_2004.replace(b'default="o"', b'default="nope"'))
    assert "«nope»" in error.message


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="&xxe;"/>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<manifest identifier="&lol3;"/>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_refused(xml):
    error = rejected(xml)
    assert error.code == "xml_forbidden" and "DOCTYPE" in error.message


def test_xxe_manifest_inside_a_package_refused():
    data = build_zip({"imsmanifest.xml": XXE, "index.html": b""})
    with pytest.raises(PackageError) as caught:
        read_package(io.BytesIO(data))
    assert caught.value.code == "xml_forbidden"


def test_built_scorm12_package_reads_then_extracts(tmp_path):
    files = {"pkg/res/one/index.html": b"<html>1</html>", "pkg/res/two/start.html": b"2",
             "pkg/res/doc a.pdf": b"%PDF-1.4", "pkg/res/two/gone.js": b""}
    data = build_zip({"imsmanifest.xml": MULTI_SCO_12, **files})
    inspection, manifest = read_package(io.BytesIO(data))
    assert manifest.missing_files == ()
    extract_zip(io.BytesIO(data), tmp_path / "pkg")
    launch = manifest.launchable[0].launch.split("?")[0]
    assert (tmp_path / "pkg" / launch).read_bytes() == b"<html>1</html>"


def test_hostile_entry_refused_before_the_manifest_is_read():
    data = build_zip({"imsmanifest.xml": b"<not xml", "../../evil.html": b"x"})
    with pytest.raises(PackageError) as caught:
        read_package(io.BytesIO(data))
    assert caught.value.code == "unsafe_path"


def test_deeply_nested_items_rejected_not_crashing():
    nested = b"<item identifier='i'><title>t</title>" * 5000 + b"</item>" * 5000
    xml = SCORM_2004.replace(b"<item identifier=\"i2\"", nested + b"<item identifier=\"i2\"")
    error = rejected(xml)
    assert error.code == "manifest_invalid" and "32" in error.message
