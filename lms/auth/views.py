"""Log in, log out, change password."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from lms.auth import services
from lms.auth.current import DEVICE_COOKIE, SESSION_KEY, client_address, policy
from lms.auth.decorators import login_required
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import SessionKind
from lms.core.errors import DomainError
from lms.core.errors_views import retry_after_header
from lms.core.safe_redirect import safe_next
from lms.kernel import db

bp = Blueprint("auth", __name__)


def _form_error(template: str, form, error: DomainError):
    """The form again with the broken rule shown; a throttled attempt says when to retry."""
    flash(str(error.message), "error")
    return render_template(template, form=form), error.status, retry_after_header(error)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    try:
        done = services.authenticate(policy(), form.username.data, form.password.data,
                                     client_address(), request.cookies.get(DEVICE_COOKIE))
    except DomainError as error:
        return _form_error("auth/login.html", form, error)
    services.end_session(session.get(SESSION_KEY))
    session.clear()  # a fresh session id at every login (no fixation)
    g.pop("csrf_token", None)  # the cached CSRF token belonged to the cleared session
    session[SESSION_KEY] = services.start_session(
        done.user, SessionKind.BROWSER, client_address(), request.user_agent.string)
    session.permanent = True
    db.session.commit()
    response = redirect(safe_next(form.next.data, url_for("core.index")))
    _remember_device(response, done.device_token)
    return response


def _remember_device(response, token: str) -> None:
    """Keep the device token where only the login form receives it."""
    response.set_cookie(DEVICE_COOKIE, token, max_age=policy().device_days * 86400,
                        path=url_for("auth.login"), httponly=True, samesite="Lax",
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))


@bp.post("/logout")
def logout():
    services.end_session(session.get(SESSION_KEY))
    db.session.commit()
    session.clear()
    g.pop("csrf_token", None)
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(policy(), g.user, form.current.data, form.new.data,
                                     client_address())
        except DomainError as error:
            return _form_error("auth/change_password.html", form, error)
        session[SESSION_KEY] = services.start_session(
            g.user, SessionKind.BROWSER, client_address(), request.user_agent.string)
        db.session.commit()
        flash(_("Đã đổi mật khẩu."), "success")
        return redirect(url_for("core.index"))
    return render_template("auth/change_password.html", form=form)
