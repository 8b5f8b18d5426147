"""The administration blueprint; every page under /admin needs the ``admin.access`` rule."""

from flask import Blueprint, g

from lms.auth.decorators import login_required
from lms.auth.permissions import can, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _guard():
    require(g.user, "admin.access")


@bp.context_processor
def _helpers():
    """Templates ask the same rules to decide which buttons to show."""
    return {"can": can}
