"""Administration of the curriculum: subjects and the chapter/topic tree per subject and grade."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.admin.blueprint import bp
from lms.admin.forms import RenameForm, SubjectForm, TopicForm
from lms.auth.permissions import can, require
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.curriculum import services
from lms.curriculum.models import CognitiveScale, Subject, Topic
from lms.kernel import db
from lms.org.forms import ConfirmForm


@bp.get("/curriculum")
def curriculum():
    subjects = db.session.scalars(select(Subject).order_by(Subject.position, Subject.id)).all()
    scales = db.session.scalars(select(CognitiveScale)).all()
    return render_template("admin/curriculum.html", subjects=subjects, scales=scales,
                           can_edit=can(g.user, "curriculum.manage"))


@bp.route("/curriculum/subjects/<id:subject_id>", methods=["GET", "POST"])
def subject_edit(subject_id: int):
    subject = db.get_or_404(Subject, subject_id)
    require(g.user, "curriculum.manage")
    form = SubjectForm(data={"name": subject.name, "grades": subject.grades_csv})
    if form.validate_on_submit():
        grades = [int(part) for part in form.grades.data.split(",")]
        try:
            services.edit_subject(g.user, subject, form.name.data, grades)
            db.session.commit()
            flash(_("Đã lưu môn %(name)s.", name=subject.name), "success")
            return redirect(url_for("admin.curriculum"))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("admin/subject_form.html", form=form, subject=subject)


def _topic_form(subject: Subject, grade: int) -> tuple[TopicForm, list[Topic]]:
    chapters = services.topic_tree(subject, grade)
    form = TopicForm()
    form.parent.choices = [(0, _("— (tạo chương mới)"))] + [(c.id, c.name) for c in chapters]
    return form, chapters


@bp.route("/curriculum/subjects/<id:subject_id>/grades/<int:grade>", methods=["GET", "POST"])
def topics(subject_id: int, grade: int):
    subject = db.get_or_404(Subject, subject_id)
    if grade not in subject.grades:
        abort(404)
    require(g.user, "curriculum.manage")
    form, chapters = _topic_form(subject, grade)
    if form.validate_on_submit():
        parent = db.session.get(Topic, form.parent.data) if form.parent.data else None
        try:
            services.add_topic(g.user, subject, grade, form.name.data, parent)
            db.session.commit()
            return redirect(url_for("admin.topics", subject_id=subject.id, grade=grade))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("admin/topics.html", subject=subject, grade=grade, form=form,
                           chapters=chapters, rename=RenameForm(), action_form=ConfirmForm())


def _back(topic: Topic):
    return redirect(url_for("admin.topics", subject_id=topic.subject_id, grade=topic.grade))


@bp.post("/curriculum/topics/<id:topic_id>/rename")
def topic_rename(topic_id: int):
    topic = db.get_or_404(Topic, topic_id)
    require(g.user, "curriculum.manage")
    form = RenameForm()
    if form.validate_on_submit():
        services.rename_topic(g.user, topic, form.name.data)
        db.session.commit()
    return _back(topic)


@bp.post("/curriculum/topics/<id:topic_id>/move/<any(up, down):direction>")
def topic_move(topic_id: int, direction: str):
    topic = db.get_or_404(Topic, topic_id)
    require(g.user, "curriculum.manage")
    services.move_topic(g.user, topic, -1 if direction == "up" else 1)
    db.session.commit()
    return _back(topic)


@bp.post("/curriculum/topics/<id:topic_id>/delete")
def topic_delete(topic_id: int):
    topic = db.get_or_404(Topic, topic_id)
    require(g.user, "curriculum.manage")
    try:
        services.delete_topic(g.user, topic)
        db.session.commit()
    except DomainError as error:
        flash_or_raise(error)
    return _back(topic)
