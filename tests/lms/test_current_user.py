"""Who is acting: one query for the session and its user; memberships only when needed."""

from sqlalchemy import event, update

from lms.auth.models import User
from tests.conftest import api_token, login


def _count_queries(db, action) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_heartbeat_costs_one_query_and_me_two(client, org, db):
    token = api_token(client, "teacherx")
    headers = {"Authorization": f"Bearer {token}"}
    responses = []
    beat = _count_queries(db, lambda: responses.append(client.get("/api/v1/heartbeat",
                                                                  headers=headers)))
    me = _count_queries(db, lambda: responses.append(client.get("/api/v1/me", headers=headers)))
    assert responses[0].get_json()["user_id"] == org.teacher_x.id
    assert responses[0].get_json()["server_time"].endswith("Z")
    assert responses[1].get_json()["scopes"][0]["class_name"] == "10A1"
    assert (beat, me) == (1, 2)


def test_session_rules_still_apply(client, org, db):
    """A browser cookie secret is no Bearer token; a deactivated user's token stops working."""
    assert login(client, "teacherx").status_code == 302
    with client.session_transaction() as browser:
        secret = browser["sid"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401

    token = api_token(client, "teacherx")
    db.session.execute(update(User).where(User.username == "teacherx").values(active=False))
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_only_the_bearer_scheme_carries_a_token(client, org):
    """RFC 6750: ``Bearer`` (any case) then one or more spaces; the same secret under another
    scheme, or no secret, is not a login."""
    token = api_token(client, "teacherx")
    for header in (f"Bearer {token}", f"bearer {token}", f"Bearer  {token}"):
        assert client.get("/api/v1/heartbeat",
                          headers={"Authorization": header}).status_code == 200, header
    for header in (f"Basic {token}", f"Token {token}", token, "Bearer ", "Bearer"):
        assert client.get("/api/v1/heartbeat",
                          headers={"Authorization": header}).status_code == 401, header
