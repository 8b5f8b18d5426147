"""Administration pages for units, users, school years and the curriculum."""

from flask import Blueprint, g, render_template
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.models import User
from lms.auth.permissions import managed_units, require
from lms.curriculum.models import CognitiveScale, Subject
from lms.extensions import db
from lms.org.models import SchoolYear, Unit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _guard():
    require(g.user, "admin.access")


@bp.get("/")
def index():
    return render_template("admin/index.html")


@bp.get("/units")
def units():
    roots = managed_units(g.user)
    rows = []
    for root in roots:
        rows.extend(db.session.scalars(select(Unit).where(Unit.path.startswith(root.path))
                                       .order_by(Unit.path)))
    return render_template("admin/units.html", units=rows)


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.name_key).limit(100)).all()
    return render_template("admin/users.html", users=rows)


@bp.get("/school-years")
def school_years():
    rows = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    return render_template("admin/school_years.html", years=rows)


@bp.get("/curriculum")
def curriculum():
    subjects = db.session.scalars(select(Subject).order_by(Subject.position)).all()
    scales = db.session.scalars(select(CognitiveScale)).all()
    return render_template("admin/curriculum.html", subjects=subjects, scales=scales)
