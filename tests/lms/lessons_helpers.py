"""SCORM packages built by the tests: SCOs that call Initialize, set status and score,
commit and finish (as an authoring tool's output would)."""

import io

from tests.media.zipbuild import build_zip

SCO_12 = b"""<!doctype html><html><head><meta charset="utf-8"><title>SCO</title>
<script>
function findAPI(w){for(var i=0;i<10&&w;i++){
  if(w.API)return w.API;if(w.parent===w)break;w=w.parent}return null}
var api=findAPI(window);
if(api){api.LMSInitialize("");api.LMSSetValue("cmi.core.lesson_status","passed");
api.LMSSetValue("cmi.core.score.raw","80");api.LMSCommit("");api.LMSFinish("");}
</script></head><body><p>B\xc3\xa0i h\xe1\xbb\x8dc</p></body></html>"""

MANIFEST_12 = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.lesson" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="org1">
    <organization identifier="org1">
      <title>Ph\xc6\xb0\xc6\xa1ng tr\xc3\xacnh b\xe1\xba\xadc hai</title>
      <item identifier="item1" identifierref="res1"><title>B\xc3\xa0i 1</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="Content/index.html">
      <file href="Content/index.html"/>
    </resource>
  </resources>
</manifest>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="&xxe;"/>"""


def scorm_12_zip() -> bytes:
    return build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                      "Content/style.css": b"body{font-family:sans-serif}"})


def upload(client, token, kind, data: bytes, filename: str, title="Bài giảng thử"):
    return client.post("/api/v1/lessons", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "title": title,
                             "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")

MANIFEST_2004 = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.lesson2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1"><title>Bai 2004</title>
      <item identifier="item1" identifierref="res1"><title>Muc 1</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormType="sco"
      href="Content/index.html">
      <file href="Content/index.html"/>
    </resource>
  </resources>
</manifest>"""
