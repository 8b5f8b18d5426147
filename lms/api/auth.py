"""Tokens and the current user: ``POST /api/v1/auth/token``, ``GET /api/v1/me``."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from lms.api import require_user
from lms.auth import services
from lms.auth.current import bearer_secret, client_address, policy
from lms.auth.models import SessionKind
from lms.core.models import utcnow
from lms.extensions import db

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="Đăng nhập và tài khoản")


class Credentials(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True)


class ScopeSchema(Schema):
    role = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.String()
    unit_kind = fields.String()
    class_id = fields.Integer(allow_none=True)
    class_name = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    language = fields.String()
    roles = fields.List(fields.String())
    scopes = fields.List(fields.Nested(ScopeSchema))


@blp.post("/auth/token")
@blp.arguments(Credentials)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Sai tên đăng nhập hoặc mật khẩu")
@blp.alt_response(429, description="Quá nhiều lần đăng nhập sai")
def create_token(credentials):
    """Exchange a username and password for a Bearer token."""
    user = services.authenticate(policy(), credentials["username"], credentials["password"],
                                 client_address())
    token = services.start_session(user, SessionKind.API, client_address(),
                                   request.user_agent.string)
    db.session.commit()
    return {"token": token}


@blp.delete("/auth/token")
@blp.response(204)
def revoke_token():
    """Revoke the Bearer token used for this request."""
    require_user()
    services.end_session(bearer_secret())
    db.session.commit()


class HeartbeatSchema(Schema):
    server_time = fields.String(metadata={"description": "UTC, ISO 8601, for clock drift"})
    user_id = fields.Integer()


@blp.get("/heartbeat")
@blp.response(200, HeartbeatSchema)
def heartbeat():
    """The lightest authenticated call: proves the token works and gives the server's clock."""
    user = require_user()
    return {"server_time": utcnow().isoformat() + "Z", "user_id": user.id}


@blp.get("/me")
@blp.response(200, MeSchema)
def me():
    """The acting user with their roles and scopes in the organisation tree."""
    user = require_user()
    scopes = [{
        "role": m.role.value, "unit_id": m.unit_id, "unit_name": m.unit.name,
        "unit_kind": m.unit.kind.value, "class_id": m.class_id,
        "class_name": m.school_class.name if m.school_class else None,
        "subject": m.subject.code if m.subject else None,
    } for m in user.memberships]
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "email": user.email, "language": user.language,
            "roles": sorted({s["role"] for s in scopes}), "scopes": scopes}
