"""The JSON API contract: token auth, /me, error envelope, OpenAPI document."""

from tests.conftest import api_token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_then_me_with_roles_and_scopes(client, org):
    me = client.get("/api/v1/me", headers=bearer(api_token(client, "leaderx"))).get_json()
    assert me["username"] == "leaderx"
    assert me["roles"] == ["school_leader"]
    assert me["scopes"] == [{"role": "school_leader", "unit_id": org.school_x.id,
                             "unit_name": "Trường THPT X", "unit_kind": "school",
                             "class_id": None, "class_name": None, "subject": None}]


def test_errors_use_one_envelope(client, org):
    cases = [
        (client.get("/api/v1/me"), 401, "unauthorized"),
        (client.get("/api/v1/me", headers=bearer("forged")), 401, "unauthorized"),
        (client.post("/api/v1/auth/token", json={"username": "hsa"}), 400, "validation_error"),
        (client.post("/api/v1/auth/token", json={"username": "hsa", "password": "x"}), 401,
         "bad_credentials"),
        (client.get("/api/v1/no-such-thing"), 404, "not_found"),
        (client.get("/api/v1/tasks/abc", headers=bearer(api_token(client, "hsa"))), 404,
         "not_found"),
    ]
    for response, status, code in cases:
        body = response.get_json()
        assert response.status_code == status, body
        assert set(body) == {"error"}
        assert body["error"]["code"] == code
        assert body["error"]["message"]
        assert isinstance(body["error"]["details"], dict)
    fields = cases[2][0].get_json()["error"]["details"]["fields"]
    assert "password" in fields["json"]


def test_revoked_token_stops_working(client, org):
    token = api_token(client, "hsa")
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_openapi_document_is_generated_from_code(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"]
    assert "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_html_errors_are_pages_not_json(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Không tìm thấy" in response.get_data(as_text=True)
