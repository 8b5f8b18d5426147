"""School pages: classes of a school, a class roster, roster import."""

from flask import Blueprint, abort, g, render_template
from sqlalchemy import select

from lms.auth.decorators import login_required
from lms.auth.models import User
from lms.auth.permissions import require
from lms.extensions import db
from lms.org.models import Membership, Role, SchoolClass, Unit, UnitKind

bp = Blueprint("org", __name__, url_prefix="/schools")


def _school_or_404(school_id: int) -> Unit:
    school = db.session.get(Unit, school_id)
    if school is None or school.kind != UnitKind.SCHOOL:
        abort(404)
    return school


@bp.get("/<int:school_id>/classes")
@login_required
def school_classes(school_id: int):
    school = _school_or_404(school_id)
    require(g.user, "school.manage_people", school)
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    return render_template("org/school_classes.html", school=school, classes=classes)


@bp.get("/classes/<int:class_id>")
@login_required
def class_detail(class_id: int):
    school_class = db.get_or_404(SchoolClass, class_id)
    require(g.user, "class.view", school_class)
    students = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == class_id, Membership.role == Role.STUDENT)
        .order_by(User.name_key)).all()
    return render_template("org/class_detail.html", school_class=school_class, students=students)


@bp.get("/<int:school_id>/roster")
@login_required
def roster_upload(school_id: int):
    school = _school_or_404(school_id)
    require(g.user, "school.manage_people", school)
    return render_template("org/roster_upload.html", school=school)
