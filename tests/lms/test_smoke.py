from tests.conftest import api_token, login


def test_login_then_dashboard_and_api_me(client, org):
    response = login(client, "hsa", follow=True)
    assert response.status_code == 200
    assert "Nguyễn Văn Á" in response.get_data(as_text=True)
    token = api_token(client, "teacherx")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["roles"] == ["teacher"]
    assert me["scopes"][0]["class_name"] == "10A1"
