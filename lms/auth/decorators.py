"""View guards. They only check that someone is logged in; rules live in permissions."""

from functools import wraps

from flask import g, redirect, request, url_for


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if g.user.must_change_password and request.endpoint not in {"auth.change_password"}:
            return redirect(url_for("auth.change_password"))
        return view(*args, **kwargs)

    return wrapped
