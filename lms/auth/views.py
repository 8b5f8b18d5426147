"""Log in, log out, change password."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from lms.auth import services
from lms.auth.current import SESSION_KEY, client_address, policy
from lms.auth.decorators import login_required
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import SessionKind
from lms.core.errors import DomainError
from lms.core.safe_redirect import safe_next
from lms.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    try:
        user = services.authenticate(policy(), form.username.data, form.password.data,
                                     client_address())
    except DomainError as error:
        flash(str(error.message), "error")
        return render_template("auth/login.html", form=form), error.status
    services.end_session(session.get(SESSION_KEY))
    session.clear()  # a fresh session id at every login (no fixation)
    g.pop("csrf_token", None)  # the cached CSRF token belonged to the cleared session
    session[SESSION_KEY] = services.start_session(
        user, SessionKind.BROWSER, client_address(), request.user_agent.string)
    session.permanent = True
    db.session.commit()
    return redirect(safe_next(form.next.data, url_for("core.index")))


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
            services.change_password(policy(), g.user, form.current.data, form.new.data)
        except DomainError as error:
            flash(str(error.message), "error")
            return render_template("auth/change_password.html", form=form), 400
        session[SESSION_KEY] = services.start_session(
            g.user, SessionKind.BROWSER, client_address(), request.user_agent.string)
        db.session.commit()
        flash(_("Đã đổi mật khẩu."), "success")
        return redirect(url_for("core.index"))
    return render_template("auth/change_password.html", form=form)
