"""No request may crash (security.md 41): ids past 64 bits, JSON nested thousands deep,
numbers no float holds, bad media keys, a question without a known type — each is a 4xx,
and the OpenAPI document that the fuzzing in CI reads is valid and bounds every integer."""

import io
import json
import re

import pytest
from openapi_spec_validator import validate as validate_openapi
from werkzeug.routing import IntegerConverter

from lms.core.ids import MAX_ID, BoundedIntConverter, IdConverter, parse_int
from lms.core.jsonlimits import exceeds_depth
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import bank_questions, bearer, published_exam
from tests.question_bank.payloads import RAW

#: Past what a 64-bit column holds, and past what ``int()`` parses (4,300 digits).
HUGE_IDS = (str(2**63), str(2**64), "9" * 5000)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _error(reply) -> dict:
    return reply.get_json()["error"]


# ---------------------------------------------------------------- ids in URLs


def test_every_integer_in_a_url_rule_is_bounded_and_every_id_uses_the_id_converter(app):
    """A walk over ``app.url_map``: ``<int:…>`` and ``<id:…>`` both stop at 2**63 − 1, and
    every numeric argument named like an id uses ``<id:…>``."""
    id_rules, unbounded, plain_ids = 0, [], []
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter) and not (
                    isinstance(converter, BoundedIntConverter) and converter.max <= MAX_ID):
                unbounded.append(f"{rule.rule} {name}")
            numeric = isinstance(converter, IntegerConverter)   # task/upload ids are strings
            if name.endswith("_id") and numeric and not isinstance(converter, IdConverter):
                plain_ids.append(f"{rule.rule} {name}")
            id_rules += isinstance(converter, IdConverter)
    assert unbounded == [] and plain_ids == []
    assert id_rules > 100      # the walk saw the routes (117 id arguments when written)


def _url_with(rule, value: str) -> str:
    """The rule's path with every integer argument set to ``value`` (others to "x")."""
    def fill(match):
        converter = rule._converters[match.group(2)]
        return value if isinstance(converter, IntegerConverter) else "x"
    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def test_every_route_with_an_id_past_64_bits_is_404(app, client, org):
    """Every rule with an id, every method, with 2**63, 2**64 and a 5,000-digit number, as a
    signed-in teacher (cookie) and with a Bearer token: not found, never 500."""
    headers = bearer(client, "teacherx")
    login(client, "teacherx")
    checked = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IdConverter) for c in rule._converters.values()):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in HUGE_IDS:
                url = _url_with(rule, value)
                for extra in ({}, {"headers": headers}):
                    reply = client.open(url, method=method, json={}, **extra)
                    # 405 where another method's rule has the same path (Werkzeug checks the
                    # method before the converter): a client error all the same
                    assert reply.status_code in (404, 405), (method, url[:120],
                                                             reply.status_code)
                checked.append((method, rule.rule))
    assert len(checked) > 300


def test_real_ids_still_reach_the_views(client, org):
    """The positive control of the walk above: the same routes with ids that exist."""
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    assert client.get(f"/api/v1/exams/{exam.id}", headers=teacher).status_code == 200
    padded = "0" * 5000 + str(exam.id)        # leading zeros do not count against int()
    assert client.get(f"/api/v1/exams/{padded}", headers=teacher).status_code == 200
    start = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                        headers=bearer(client, "hsa"))
    assert start.status_code == 200
    attempt_id = start.get_json()["attempt_id"]
    saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/1",
                       json={"response": None, "seq": 1}, headers=bearer(client, "hsa"))
    assert saved.status_code == 200
    login(client, "teacherx")
    assert client.get(f"/teacher/exams/{exam.id}/settings").status_code == 200


@pytest.mark.parametrize("field,body", [
    ("question_ids", {"title": "x", "question_ids": [2**63]}),
    ("question_ids", {"title": "x", "question_ids": [2**64]}),
    ("question_ids", {"title": "x", "question_ids": [0]}),
    ("assign", {"title": "x", "question_ids": [1], "assign": {"class_ids": [2**63]}}),
])
def test_ids_past_64_bits_in_json_bodies_are_400_naming_the_field(client, org, field, body):
    reply = client.post("/api/v1/exams", json=body, headers=bearer(client, "teacherx"))
    assert reply.status_code == 400
    assert field in _error(reply)["details"]["fields"]["json"]


def test_a_real_id_in_the_same_body_is_taken(client, org):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    reply = client.post("/api/v1/exams", headers=bearer(client, "teacherx"),
                        json={"title": "x", "question_ids": [bank[0].id],
                              "assign": {"class_ids": [org.class_x.id]}})
    assert reply.status_code == 201, reply.get_json()


def test_numbers_typed_into_forms_are_plain_bounded_digits():
    assert parse_int(" 12 ") == 12 and parse_int("0") == 0 and parse_int(str(MAX_ID)) == MAX_ID
    assert parse_int("0" * 5000 + "7") == 7
    for text in ("²", "٣", "-1", "1.5", "", None, str(MAX_ID + 1), "9" * 5000, "0x10"):
        assert parse_int(text) is None, text


@pytest.mark.parametrize("huge", ["9" * 30, "9" * 5000, "²"])
def test_numbers_typed_into_forms_and_queries_are_4xx_or_ignored(client, org, huge):
    teacher = bearer(client, "teacherx")
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    made = client.post("/api/v1/exams", json={"title": "x", "question_ids": [bank[0].id]},
                       headers=teacher).get_json()["id"]
    assert client.get(f"/api/v1/lessons?subject={huge}", headers=teacher).status_code == 400
    login(client, "teacherx")
    page = f"/teacher/exams/{made}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    added = client.post(f"{page}/questions/add", data={"csrf_token": token, "question_id": huge})
    assert added.status_code == 400
    assert client.get(f"/lessons/library?grade={huge}").status_code in (200, 400)
    login(client, "admin1")
    assert client.get(f"/admin/users?page={huge}").status_code == 200
    login(client, "teacherx")                      # the positive control: a real id is added
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    added = client.post(f"{page}/questions/add", data={"csrf_token": token,
                                                       "question_id": str(bank[1].id)})
    assert added.status_code == 302


# ---------------------------------------------------------------- JSON bodies


def test_depth_is_counted_outside_strings_only():
    assert not exceeds_depth(b"[" * 3 + b"]" * 3, 3)
    assert exceeds_depth(b"[" * 4 + b"]" * 4, 3)
    assert exceeds_depth('{"a": {"b": {"c": {"d": 1}}}}', 3)
    assert not exceeds_depth('{"a": {"b": {"c": 1}}}', 3)
    # brackets inside strings (cloze markers, escaped quotes) nest nothing
    assert not exceeds_depth(json.dumps({"text": "[[g1]] [[[[[[[[{{{{", "q": '\\"[[[['}), 2)
    assert not exceeds_depth(b"[1, 2][3][4][5][6]", 1)


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/exams"])
def test_json_nested_thousands_deep_is_400_before_parsing(client, org, path):
    """The unauthenticated token endpoint too: the depth is checked before ``json.loads``."""
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, '{"title": ' + deep + "}"):
        reply = client.post(path, data=body, content_type="application/json",
                            headers=bearer(client, "teacherx") if "exams" in path else {})
        assert reply.status_code == 400
        assert _error(reply)["code"] == "json_too_deep"


def test_the_depth_limit_is_a_setting(app, client, org, monkeypatch):
    """JSON_MAX_DEPTH decides: a body one level deeper is refused, one at the limit is read
    (and then judged on its content, as every body is)."""
    monkeypatch.setitem(app.config, "JSON_MAX_DEPTH", 3)
    headers = bearer(client, "teacherx")
    exam = published_exam(org)
    deeper = {"events": [{"kind": "focus_lost", "at": "2026-12-01T07:00:00Z",
                          "detail": {"a": {"b": 1}}}]}
    reply = client.post(f"/api/v1/attempts/{10**6}/events", json=deeper, headers=headers)
    assert (reply.status_code, _error(reply)["code"]) == (400, "json_too_deep")
    at_limit = client.patch(f"/api/v1/exams/{exam.id}/settings", headers=headers,
                            json={"review": {"score": "never"}})
    assert at_limit.status_code == 200, at_limit.get_json()


@pytest.mark.parametrize("raw", [
    '{"username": 1E+999999, "password": "x"}',
    '{"username": NaN, "password": "x"}',
    '{"username": -Infinity, "password": "x"}',
    '{"username": ' + "1" * 5000 + ', "password": "x"}',
])
def test_numbers_no_float_or_parser_holds_are_400(client, org, raw):
    reply = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    assert reply.status_code == 400
    assert _error(reply)["details"]["fields"] == {"json": ["Invalid JSON body."]}


def test_the_same_endpoint_takes_ordinary_numbers_and_json(client, org):
    reply = client.post("/api/v1/auth/token", data='{"username": "teacherx", '
                        '"password": "secret-pass"}', content_type="application/json")
    assert reply.status_code == 201
    autosave_path = client.post("/api/v1/auth/token", data='{"username": 1.5, "password": "x"}',
                                content_type="application/json")
    assert autosave_path.status_code == 400
    assert "username" in _error(autosave_path)["details"]["fields"]["json"]


def test_a_deep_body_on_the_autosave_fast_path_is_400(client, org):
    """``PUT …/answers`` reads its common body with ``request.get_json`` (not the schema)."""
    exam = published_exam(org)
    student = bearer(client, "hsa")
    attempt = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=student)
    url = f"/api/v1/attempts/{attempt.get_json()['attempt_id']}/answers/1"
    deep = '{"seq": 1, "response": ' + "[" * 5000 + "]" * 5000 + "}"
    reply = client.put(url, data=deep, content_type="application/json", headers=student)
    assert (reply.status_code, _error(reply)["code"]) == (400, "json_too_deep")
    assert client.put(url, json={"seq": 1, "response": None}, headers=student).status_code == 200


def test_json_inside_form_fields_is_bounded_too(client, org):
    """Lesson metadata and the question editor's payload carry JSON inside a form."""
    teacher = bearer(client, "teacherx")
    deep = "[" * 50_000 + "]" * 50_000
    reply = client.post("/api/v1/lessons", headers=teacher, content_type="multipart/form-data",
                        data={"kind": "authored", "metadata": deep})
    assert (reply.status_code, _error(reply)["code"]) == (400, "json_too_deep")
    made = client.post("/api/v1/lessons", headers=teacher, content_type="multipart/form-data",
                       data={"kind": "authored", "metadata": json.dumps({"title": "Bài 1"})})
    assert made.status_code == 201, made.get_json()
    login(client, "teacherx")
    token = csrf_token_from(client.get("/questions/new").get_data(as_text=True))
    form = {"csrf_token": token, "subject": "TOAN", "grade": "10"}
    refused = client.post("/questions/new", data={**form, "payload": deep})
    assert refused.status_code in (200, 400)
    taken = client.post("/questions/new", data={**form, "payload": json.dumps(RAW["essay"])})
    assert taken.status_code == 302


# ---------------------------------------------------------------- media keys and questions


@pytest.mark.parametrize("key", ["questions/%00bad", "questions/", "questions/" + "a" * 600,
                                 "questions/A.PNG", "questions/a b.png", "questions/ab"])
def test_bad_question_media_keys_are_404(client, org, key):
    login(client, "teacherx")
    assert client.get(f"/media/{key}").status_code == 404


def test_a_stored_question_image_is_served(client, org):
    """The positive control: an uploaded image comes back through the same route. Its key
    ``questions/<2 chars>/<32 chars>/<name>`` makes the parts before the name folders, which
    are no file: 404 too."""
    login(client, "teacherx")
    token = csrf_token_from(client.get("/questions/new").get_data(as_text=True))
    reply = client.post("/questions/media", data={"file": (io.BytesIO(PNG), "a.png")},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert reply.status_code == 201, reply.get_data(as_text=True)[:300]
    url = reply.get_json()["url"]
    assert client.get(url).status_code == 200
    folder = url.rsplit("/", 1)[0]
    assert client.get(folder).status_code == 404
    assert client.get(folder.rsplit("/", 1)[0]).status_code == 404


@pytest.mark.parametrize("payload", [{}, {"type": "nope"}, {"type": 5}, {"type": None}])
def test_a_question_without_a_known_type_is_400(client, org, payload):
    reply = client.post("/api/v1/questions", headers=bearer(client, "teacherx"),
                        json={"subject": "TOAN", "grade": 10, "payload": payload})
    assert reply.status_code == 400
    error = _error(reply)
    assert error["code"] == "invalid_payload" and error["details"]["problems"][0]["path"] == "type"


def test_a_question_with_its_type_is_created(client, org):
    reply = client.post("/api/v1/questions", headers=bearer(client, "teacherx"),
                        json={"subject": "TOAN", "grade": 10, "payload": dict(RAW["essay"])})
    assert reply.status_code == 201, reply.get_json()


# ---------------------------------------------------------------- the OpenAPI document


def _spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_the_openapi_document_is_valid(client):
    spec = _spec(client)
    validate_openapi(spec)
    assert len(spec["paths"]) > 50


def _inputs(spec: dict):
    """Every schema a client sends: path/query parameters and request bodies, resolved."""
    schemas = spec["components"]["schemas"]

    def walk(schema, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(schemas[name], (*seen, name))
            return
        yield schema
        for sub in (*schema.get("properties", {}).values(), schema.get("items"),
                    schema.get("additionalProperties")):
            if isinstance(sub, dict) and sub:
                yield from walk(sub, seen)

    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])       # the path's own (ids in the path)
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in (*shared, *operation.get("parameters", [])):
                for schema in walk(parameter["schema"]):
                    yield f"{method.upper()} {path} {parameter['name']}", schema
            for media in operation.get("requestBody", {}).get("content", {}).values():
                for schema in walk(media["schema"]):
                    yield f"{method.upper()} {path} body", schema


def test_every_integer_a_client_sends_is_bounded_in_the_document(client):
    """So the fuzzer (and a client reading the document) knows every integer's range, and
    the server checks it before any query."""
    integers = [(where, schema) for where, schema in _inputs(_spec(client))
                if "integer" in (schema.get("type") if isinstance(schema.get("type"), list)
                                 else [schema.get("type")])]
    unbounded = [where for where, schema in integers if "enum" not in schema and (
        not isinstance(schema.get("maximum"), int) or schema["maximum"] > MAX_ID)]
    assert unbounded == []
    assert len(integers) > 40
