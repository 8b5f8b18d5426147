"""Tokens, the current user and password changes (``/api/v1/auth/token``, ``/api/v1/me``,
``/api/v1/account/password``), and clearing another user's login delays."""

from flask import g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.auth import services, throttle_services
from lms.auth.current import bearer_secret, client_address, policy
from lms.auth.models import SessionKind, User
from lms.auth.permissions import require
from lms.core.models import utcnow
from lms.kernel import db

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="Đăng nhập và tài khoản")


class Credentials(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=200))
    device_token = fields.String(load_default=None, load_only=True,
                                 validate=validate.Length(max=4096), metadata={
                                     "description": "The device_token of an earlier login "
                                                    "from this device, if any"})


class TokenSchema(Schema):
    token = fields.String(required=True)
    device_token = fields.String(metadata={
        "description": "Keep it and send it with the next login: a known device is not "
                       "slowed down by other people's wrong guesses at this account"})
    must_change_password = fields.Boolean(metadata={
        "description": "When true, every call but POST /account/password, GET /me and "
                       "DELETE /auth/token answers 403 password_change_required"})


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
    must_change_password = fields.Boolean()
    roles = fields.List(fields.String())
    scopes = fields.List(fields.Nested(ScopeSchema))


class PasswordChangeSchema(Schema):
    current = fields.String(required=True, load_only=True,
                            validate=validate.Length(min=1, max=200))
    new = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class ThrottleSchema(Schema):
    failures = fields.Integer(metadata={"description": "Failed logins still counted"})
    blocked_until = fields.DateTime(allow_none=True, metadata={
        "description": "UTC; logins from devices the account does not know wait until then"})


@blp.post("/auth/token")
@blp.arguments(Credentials)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Sai tên đăng nhập hoặc mật khẩu")
@blp.alt_response(429, description="Quá nhiều lần đăng nhập sai: chờ Retry-After giây")
def create_token(credentials):
    """Exchange a username and password for a Bearer token (throttled like the login form)."""
    done = services.authenticate(policy(), credentials["username"], credentials["password"],
                                 client_address(), credentials["device_token"])
    token = services.start_session(done.user, SessionKind.API, client_address(),
                                   request.user_agent.string)
    db.session.commit()
    return {"token": token, "device_token": done.device_token,
            "must_change_password": done.user.must_change_password}


@blp.post("/account/password")
@blp.arguments(PasswordChangeSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(400, description="Mật khẩu hiện tại sai hoặc mật khẩu mới quá ngắn")
@blp.alt_response(429, description="Quá nhiều lần nhập sai mật khẩu hiện tại")
def change_password(body):
    """Change one's own password. Every session and token of the account ends; the answer
    carries a new token."""
    user = require_user()
    services.change_password(policy(), user, body["current"], body["new"], client_address())
    token = services.start_session(user, SessionKind.API, client_address(),
                                   request.user_agent.string)
    db.session.commit()
    return {"token": token, "must_change_password": False}


def _throttled_user(user_id: int) -> User:
    """The account whose login delays the caller may see and clear (404, then 403)."""
    target = db.get_or_404(User, user_id)
    require(require_user(), "user.clear_login_throttle", target)
    return target


@blp.get("/users/<id:user_id>/login-throttle")
@blp.response(200, ThrottleSchema)
def login_throttle(user_id):
    """An account's login delays, for whoever may reset its password."""
    target = _throttled_user(user_id)
    state = throttle_services.account_states(policy().limits, [target]).get(target.id)
    return {"failures": state.failures if state else 0,
            "blocked_until": state.blocked_until if state else None}


@blp.delete("/users/<id:user_id>/login-throttle")
@blp.response(204)
def clear_login_throttle(user_id):
    """Clear an account's login delays (the account's and its devices'); logged."""
    target = _throttled_user(user_id)
    throttle_services.clear_login_throttle(g.user, target)
    db.session.commit()


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
            "must_change_password": user.must_change_password,
            "roles": sorted({s["role"] for s in scopes}), "scopes": scopes}
