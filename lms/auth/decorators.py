"""View guards. They only check that someone is logged in; rules live in permissions, and an
account that must change its password is held by ``lms.auth.current.password_change_gate``."""

from functools import wraps

from flask import g, redirect, request, url_for


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
