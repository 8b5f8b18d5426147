"""The permission rules, decided from memberships in the tree (one place: lms.auth.permissions)."""

import pytest

from lms.auth.permissions import can
from lms.org.models import Membership, Role


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
