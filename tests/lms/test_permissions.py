"""The permission rules, decided from memberships in the tree (one place: lms.auth.permissions)."""

import pytest

from lms.auth.permissions import can, covers, province_paths, require
from lms.core.errors import Forbidden
from lms.lessons.models import Lesson, LessonKind, LessonState
from lms.org.models import Membership, Role, SchoolLevel, UnitKind
from lms.org.services import add_unit
from tests.factories import UserFactory, member


def who(org, name):
    return getattr(org, name)


@pytest.mark.parametrize(("actor", "action", "target", "allowed"), [
    ("admin", "unit.manage", "school_y", True),
    ("leader_x", "unit.manage", "school_x", False),
    ("leader_x", "school.manage_people", "school_x", True),
    ("leader_x", "school.manage_people", "school_y", False),
    ("teacher_x", "school.manage_people", "school_x", False),
    ("teacher_x", "class.view", "class_x", True),
    ("teacher_x", "class.view", "class_y", False),
    ("student_a", "class.view", "class_x", True),
    ("student_a", "class.view", "class_y", False),
    ("teacher_x", "user.reset_password", "student_a", True),
    ("teacher_x", "user.reset_password", "student_y", False),
    ("teacher_y", "user.reset_password", "student_a", False),
    ("leader_x", "user.reset_password", "teacher_x", True),
    ("leader_x", "user.reset_password", "student_y", False),
    ("leader_x", "user.reset_password", "admin", False),
    ("student_a", "user.reset_password", "student_b", False),
    ("admin", "user.reset_password", "leader_x", True),
    ("admin", "user.reset_password", "reviewer", False),
    ("reviewer", "admin.access", None, False),
    ("leader_x", "admin.access", None, True),
])
def test_rule_table(org, actor, action, target, allowed):
    assert can(who(org, actor), action, who(org, target) if target else None) is allowed


def test_nobody_resets_their_own_password_through_the_reset_rule(org):
    assert not can(org.admin, "user.reset_password", org.admin)


def test_unknown_action_fails_loudly(org):
    with pytest.raises(KeyError):
        can(org.admin, "unit.destroy_everything", org.dept)


def test_grant_rules(org):
    grant_admin = Membership(role=Role.ADMIN, unit=org.school_x, user_id=org.teacher_x.id)
    grant_teacher = Membership(role=Role.TEACHER, unit=org.school_x, user_id=org.student_b.id)
    assert not can(org.leader_x, "membership.grant", grant_admin)
    assert can(org.leader_x, "membership.grant", grant_teacher)
    assert can(org.admin, "membership.grant", grant_admin)
    assert not can(org.teacher_x, "membership.grant", grant_teacher)


def test_inactive_user_can_do_nothing(org):
    org.admin.active = False
    assert not can(org.admin, "unit.manage", org.school_x)


# The rows below were added for mutants that survived the mutation pass (docs/decisions.md,
# "Mutation pass"): each pairs a refusal with the rightful user's success.


@pytest.mark.parametrize(("actor", "action", "target", "allowed"), [
    ("leader_x", "class.view", "class_x", True),
    ("leader_x", "class.view", "class_y", False),
    ("leader_x", "class.manage", "class_x", True),
    ("admin", "class.manage", "class_y", True),
    ("teacher_x", "class.manage", "class_x", False),
    ("leader_x", "class.manage", "class_y", False),
    ("admin", "user.view", "reviewer", True),       # over the unit, though not allowed to reset
    ("teacher_x", "user.view", "reviewer", False),
    ("leader_x", "exam.assign_to_student", "student_a", True),
    ("leader_x", "exam.assign_to_student", "teacher_x", False),   # not a student
])
def test_rule_table_leaders_classes_and_viewing(org, actor, action, target, allowed):
    assert can(who(org, actor), action, who(org, target)) is allowed


def test_a_homeroom_teacher_acts_for_their_class_only(org):
    homeroom = member(UserFactory(username="gvcn"), Role.HOMEROOM_TEACHER, org.school_x,
                      org.class_x)
    assert can(homeroom, "user.reset_password", org.student_a)
    assert not can(homeroom, "user.reset_password", org.student_y)
    for action in ("class.view", "exam.assign_to_class"):
        assert can(homeroom, action, org.class_x)
        assert not can(homeroom, action, org.class_y)


def test_an_admin_is_managed_only_from_strictly_above(org):
    school_admin = member(UserFactory(username="admin-x"), Role.ADMIN, org.school_x)
    peer = member(UserFactory(username="admin-2"), Role.ADMIN, org.dept)
    for action in ("user.manage", "user.reset_password"):
        assert can(org.admin, action, school_admin)          # department above the school
        assert not can(peer, action, org.admin)               # the same unit is not above
        assert not can(school_admin, action, org.admin)       # below
        assert not can(org.leader_x, action, school_admin)    # a leader never manages an admin
    assert not can(org.admin, "user.manage", org.admin)       # nor does anyone manage oneself


def test_accounts_without_a_role_are_for_admins(org):
    roleless = UserFactory(username="chua-co-vai-tro")
    for action in ("user.manage", "user.view"):
        assert can(org.admin, action, roleless)
        assert not can(org.leader_x, action, roleless)
        assert not can(org.teacher_x, action, roleless)


def test_nobody_revokes_their_own_role_or_one_they_could_not_grant(org):
    own = next(m for m in org.admin.memberships if m.role == Role.ADMIN)
    leaders = next(m for m in org.leader_x.memberships)
    other_school = next(m for m in org.teacher_y.memberships)
    assert can(org.admin, "membership.revoke", leaders)
    assert not can(org.admin, "membership.revoke", own)
    assert can(org.leader_x, "membership.revoke", next(m for m in org.teacher_x.memberships))
    assert not can(org.leader_x, "membership.revoke", other_school)


def test_no_unit_is_covered_by_nobody(org):
    assert covers(org.admin, org.school_y, Role.ADMIN)
    assert not covers(org.admin, None, Role.ADMIN)


def test_province_paths_follow_the_department_above_each_membership(org):
    """Published authored lessons are open to the province (lesson.view): a member's province is
    the department above each of their units; an admin's own unit; else their tree's root."""
    ministry = add_unit(UnitKind.MINISTRY, "Bộ GD&ĐT", None)
    dept2 = add_unit(UnitKind.DEPARTMENT, "Sở GD&ĐT Hai", ministry)
    school_z = add_unit(UnitKind.SCHOOL, "Trường THPT Z", dept2,
                        school_level=SchoolLevel.UPPER_SECONDARY)
    assert province_paths(org.teacher_x) == [org.dept.path]
    assert province_paths(org.teacher_y) == [org.dept.path]               # via the district
    assert province_paths(member(UserFactory(username="gv-z"), Role.TEACHER,
                                 school_z)) == [dept2.path]               # not the ministry
    assert province_paths(member(UserFactory(username="bo"), Role.UNIT_REVIEWER,
                                 ministry)) == [ministry.path]            # no department
    both = member(member(UserFactory(username="hai-noi"), Role.ADMIN, org.school_x),
                  Role.TEACHER, school_z)
    assert province_paths(both) == sorted([org.school_x.path, dept2.path])


def _lesson(org, kind=LessonKind.VIDEO, state=LessonState.READY, school=None) -> Lesson:
    return Lesson(kind=kind, state=state, title="Bài 1", owner_id=org.teacher_x.id,
                  school_id=(school or org.school_x).id)


def test_an_uploaded_lesson_is_open_to_its_school_and_admins_once_ready(org):
    ready = _lesson(org)
    assert can(org.teacher_x, "lesson.view", ready)                     # the owner
    assert can(org.student_a, "lesson.view", ready)                     # the school
    assert can(org.admin, "lesson.view", ready)                         # an admin above it
    assert not can(org.student_y, "lesson.view", ready)                 # another school
    for state in (LessonState.PROCESSING, LessonState.FAILED):
        not_ready = _lesson(org, state=state)
        assert can(org.teacher_x, "lesson.view", not_ready)
        assert not can(org.student_a, "lesson.view", not_ready)
        assert not can(org.admin, "lesson.view", not_ready)


def test_a_refusal_says_why_and_the_rightful_user_passes(org):
    require(org.admin, "unit.manage", org.school_x)
    with pytest.raises(Forbidden) as refused:
        require(org.leader_x, "unit.manage", org.school_x)
    assert str(refused.value.message) == "Bạn không có quyền thực hiện thao tác này."


def test_staff_and_reviewers_build_tests_students_do_not(org):
    for name in ("teacher_x", "leader_x", "reviewer"):
        assert can(who(org, name), "exam.create")
    assert not can(org.student_a, "exam.create")
    assert not can(org.admin, "exam.create")
