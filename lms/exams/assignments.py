"""Giving a test out and taking it back: classes, units and groups (nhóm) in one call, the
list of an exam's assignments with how many students each reaches, the students a teacher
may pick for a group, and unassigning (bỏ giao).

Unassigning keeps every attempt already made: ``attempt.assignment_id`` is SET NULL, and
results, reports and exports list attempts by exam, not by assignment. Pre-generated attempts
nobody started are deleted with the assignment. While a student of it has an attempt in
progress the removal is refused (409 ``open_attempts``, saying how many) unless the teacher
asks to collect those papers first (``close_open``: they are finished now, with their saved
answers, as a submit would). Same conventions as ``services``: the acting user first,
permissions checked here, flush only.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from lms.auth.models import User
from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError
from lms.core.models import utcnow
from lms.exams import audience, manage, services
from lms.exams.models import Attempt, AttemptState, Exam, ExamAssignment, ExamAssignmentMember
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass, Unit


def assign(actor, exam: Exam, class_ids=(), unit_ids=(), groups=()) -> list[ExamAssignment]:
    """Assign to classes, units and groups (``{"name", "student_ids"}``) at once; a class or
    unit already assigned is kept, not doubled. Returns the assignments made."""
    require(actor, "exam.manage", exam)
    before = {a.id for a in exam.assignments}
    if class_ids:
        manage.assign_classes(actor, exam, list(class_ids))
    for unit_id in dict.fromkeys(unit_ids):
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise DomainError(_l("Đơn vị mã %(id)s không tồn tại.", id=unit_id),
                              code="unknown_unit")
        audience.assign_to_unit(actor, exam, unit)
        db.session.expire(exam, ["assignments"])
    for group in groups:
        audience.assign_to_group(actor, exam, group.get("name"), group.get("student_ids") or [])
        db.session.expire(exam, ["assignments"])
    return [a for a in sorted(exam.assignments, key=lambda a: a.id) if a.id not in before]


# ---------------------------------------------------------------- listing


def _class_sizes(class_ids: list[int]) -> dict[int, int]:
    if not class_ids:
        return {}
    return dict(db.session.execute(
        select(Membership.class_id, func.count(func.distinct(Membership.user_id)))
        .where(Membership.class_id.in_(class_ids), Membership.role == Role.STUDENT)
        .group_by(Membership.class_id)).all())


def _unit_size(unit: Unit) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Membership.user_id)))
        .join(SchoolClass, SchoolClass.id == Membership.class_id)
        .join(Unit, Unit.id == SchoolClass.school_id)
        .where(Membership.role == Role.STUDENT, Unit.path.startswith(unit.path))) or 0


def labels(exam: Exam) -> dict[int, str]:
    """Assignment id → what it names: the class, the unit or the group."""
    assignments = list(exam.assignments)
    classes = dict(db.session.execute(select(SchoolClass.id, SchoolClass.name).where(
        SchoolClass.id.in_([a.class_id for a in assignments if a.class_id]))).all())
    return {a.id: classes[a.class_id] if a.kind == "class"
            else db.session.get(Unit, a.unit_id).name if a.kind == "unit" else a.name
            for a in assignments}


def assignment_rows(exam: Exam) -> list[dict]:
    """Each assignment, oldest first: kind, label (class, unit or group name), how many
    students it reaches (whether or not another assignment of theirs wins), how many attempts
    under it are in progress and, for a group, its members' ids."""
    assignments = sorted(exam.assignments, key=lambda a: a.id)
    names = labels(exam)
    sizes = _class_sizes([a.class_id for a in assignments if a.class_id])
    members = audience.members_of(assignments)
    running = dict(db.session.execute(
        select(Attempt.assignment_id, func.count()).where(
            Attempt.exam_id == exam.id, Attempt.state == AttemptState.IN_PROGRESS)
        .group_by(Attempt.assignment_id)).all())
    rows = []
    for a in assignments:
        row = {"assignment": a, "id": a.id, "kind": a.kind, "class_id": a.class_id,
               "unit_id": a.unit_id, "name": a.name, "label": names[a.id],
               "in_progress": running.get(a.id, 0)}
        if a.kind == "class":
            row["students"] = sizes.get(a.class_id, 0)
        elif a.kind == "unit":
            row["students"] = _unit_size(db.session.get(Unit, a.unit_id))
        else:
            row.update(students=len(members[a.id]), student_ids=members[a.id])
        rows.append(row)
    return rows


def assignment_view(row: dict) -> dict:
    """One row of ``assignment_rows`` as the API returns it."""
    a = row["assignment"]
    view = {k: row[k] for k in ("id", "kind", "class_id", "unit_id", "name", "label",
                                "students", "in_progress")}
    view["student_ids"] = row.get("student_ids")
    view["group_override"] = manage.override_of(a, None)
    view["overrides"] = {uid: manage.override_of(a, int(uid)) for uid in sorted(a.overrides or {})}
    return view


def assignable_students(actor) -> list[tuple[SchoolClass, list[User]]]:
    """The students of every class the actor may assign to, by class then in class-list
    order (``User.list_key``): the choice offered when making a group (one query after the
    classes)."""
    classes = manage.assignable_classes(actor)
    by_class: dict[int, list[User]] = {c.id: [] for c in classes}
    if classes:
        for class_id, user in db.session.execute(
                select(Membership.class_id, User).join(User, User.id == Membership.user_id)
                .where(Membership.class_id.in_(list(by_class)), Membership.role == Role.STUDENT,
                       User.active.is_(True))):
            by_class[class_id].append(user)
    return [(c, sorted(by_class[c.id], key=lambda user: user.list_key)) for c in classes]


# ---------------------------------------------------------------- unassigning


def _lock_for_removal(assignment: ExamAssignment) -> None:
    """Wait for starts in flight, and keep new ones out until this transaction ends:
    ``FOR UPDATE`` conflicts with the key-share lock PostgreSQL takes for an attempt's
    foreign key; the no-op UPDATE takes SQLite's write lock. A start that loses fails its
    foreign key check and answers "try again" (then 404)."""
    db.session.execute(select(ExamAssignment.id).where(ExamAssignment.id == assignment.id)
                       .with_for_update())
    db.session.execute(update(ExamAssignment).where(ExamAssignment.id == assignment.id)
                       .values(created_at=ExamAssignment.created_at)
                       .execution_options(synchronize_session=False))


def _take_back(assignment: ExamAssignment, user_ids, close_open: bool) -> dict:
    """For the students ``user_ids`` (None: everyone) of an assignment being removed: close
    overdue attempts (and, with ``close_open``, running ones), delete pending ones; 409
    ``open_attempts`` while any still runs. Returns ``{"closed", "pending_removed"}``."""
    mine = [Attempt.assignment_id == assignment.id]
    if user_ids is not None:
        mine.append(Attempt.user_id.in_(list(user_ids)))
    now = utcnow()
    closed = 0
    for attempt in db.session.scalars(select(Attempt).where(
            *mine, Attempt.state == AttemptState.IN_PROGRESS)):
        if services.close_if_overdue(attempt, now) or (close_open and services.finish(attempt,
                                                                                        now)):
            closed += 1
    pending = db.session.execute(delete(Attempt).where(*mine, Attempt.state == AttemptState.PENDING)
                                 .execution_options(synchronize_session=False)).rowcount
    running = db.session.scalar(select(func.count()).select_from(Attempt).where(
        *mine, Attempt.state == AttemptState.IN_PROGRESS)) or 0
    if running:
        raise Conflict(_l("Còn %(n)d học sinh đang làm bài theo lượt giao này. Hãy đợi các em "
                          "nộp bài (hoặc hết giờ), hoặc chọn thu bài rồi bỏ giao.", n=running),
                       details={"open_attempts": running}, code="open_attempts")
    return {"closed": closed, "pending_removed": pending}


def set_members(actor, exam: Exam, assignment: ExamAssignment, student_ids,
                close_open: bool = False) -> dict:
    """A group's new member list (same checks as making it: ``audience.group_students``).
    Students taken out are handled as an unassign is, for them only (``_take_back``); their
    finished attempts are kept, detached from the group like an unassigned class's. Returns
    ``{"assignment_id", "students", "added", "removed", "closed", "pending_removed"}``."""
    require(actor, "exam.manage", exam)
    if assignment.kind != "group":
        raise DomainError(_l("Chỉ sửa được danh sách học sinh của một nhóm."), code="not_a_group")
    ids = audience.group_students(actor, student_ids)
    _lock_for_removal(assignment)
    current = set(audience.members_of([assignment])[assignment.id])
    removed, added = current - set(ids), [i for i in ids if i not in current]
    report = {"closed": 0, "pending_removed": 0}
    if removed:
        report = _take_back(assignment, removed, close_open)
        db.session.execute(update(Attempt).where(
            Attempt.assignment_id == assignment.id, Attempt.user_id.in_(list(removed)))
            .values(assignment_id=None).execution_options(synchronize_session=False))
        db.session.execute(delete(ExamAssignmentMember).where(
            ExamAssignmentMember.assignment_id == assignment.id,
            ExamAssignmentMember.user_id.in_(list(removed))))
    db.session.add_all(ExamAssignmentMember(assignment_id=assignment.id, user_id=user_id)
                       for user_id in added)
    db.session.flush()
    return {"assignment_id": assignment.id, "students": len(ids), "added": len(added),
            "removed": len(removed), **report}


def unassign(actor, exam: Exam, assignment: ExamAssignment, close_open: bool = False) -> dict:
    """Take the test back from a class, unit or group (see the module docstring): attempts
    past their deadline are closed as the sweep would; still-running ones → 409
    ``open_attempts`` unless ``close_open`` finishes them now. Returns what happened."""
    require(actor, "exam.manage", exam)
    _lock_for_removal(assignment)
    taken = _take_back(assignment, None, close_open)
    kept = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.assignment_id == assignment.id)) or 0
    report = {"assignment_id": assignment.id, "kind": assignment.kind, "attempts_kept": kept,
              **taken}
    db.session.delete(assignment)
    db.session.flush()
    db.session.expire(exam, ["assignments"])
    return report
