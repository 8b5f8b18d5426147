"""Organisation services that the admin pages call: tree moves, school years, grants."""

from datetime import date

import pytest

from lms.core.errors import DomainError, Forbidden
from lms.org.models import Role, SchoolLevel, UnitKind
from lms.org.services import (
    add_class,
    add_school_year,
    create_unit,
    edit_unit,
    grant_membership,
)


def _edit(actor, unit, **changes):
    fields = {"kind": unit.kind, "name": unit.name, "parent": unit.parent,
              "external_code": unit.external_code, "school_level": unit.school_level,
              "valid_from": unit.valid_from, "valid_to": unit.valid_to, **changes}
    return edit_unit(actor, unit, **fields)


def test_a_unit_cannot_move_inside_itself_or_break_its_childrens_shape(org):
    with pytest.raises(DomainError, match="bên trong chính nó"):
        _edit(org.admin, org.dept, parent=org.district)
    with pytest.raises(DomainError, match="Đơn vị con"):
        _edit(org.admin, org.district, kind=UnitKind.SCHOOL,  # its school cannot sit under it
              school_level=SchoolLevel.PRIMARY)


def test_moving_a_unit_rewrites_the_paths_below_it(org, db):
    commune = _edit(org.admin, org.district, kind=UnitKind.COMMUNE)
    assert commune.kind == UnitKind.COMMUNE
    school = _edit(org.admin, org.school_x, parent=org.district)
    assert school.path == f"{org.district.path}{school.id}/"
    assert org.district.contains(school)


def test_school_year_rules(org):
    with pytest.raises(DomainError, match="2025-2026"):
        add_school_year(org.admin, "2025-2027", date(2025, 9, 5), date(2026, 5, 31))
    with pytest.raises(Forbidden):
        add_school_year(org.leader_x, "2030-2031", date(2030, 9, 5), date(2031, 5, 31))


def test_grants_check_scope_and_rule(org):
    with pytest.raises(DomainError, match="lớp"):
        grant_membership(org.leader_x, org.student_b, Role.STUDENT, org.school_x, None)
    with pytest.raises(DomainError, match="lớp của trường"):
        grant_membership(org.admin, org.student_b, Role.TEACHER, org.school_x, org.class_y)
    with pytest.raises(Forbidden):
        grant_membership(org.leader_x, org.student_b, Role.TEACHER, org.school_y, org.class_y)
    with pytest.raises(Forbidden):
        grant_membership(org.leader_x, org.leader_x, Role.ADMIN, org.school_x)
    assert grant_membership(org.admin, org.leader_x, Role.UNIT_REVIEWER, org.district).role == \
        Role.UNIT_REVIEWER


def test_a_class_grade_must_be_taught_by_the_school(org):
    year = org.class_x.school_year
    with pytest.raises(DomainError, match="không dạy khối 6"):
        add_class(org.leader_x, org.school_x, year, "6A", 6)
    with pytest.raises(DomainError, match="đã có"):
        add_class(org.leader_x, org.school_x, year, "10a1", 10)
    with pytest.raises(Forbidden):
        add_class(org.leader_x, org.school_y, year, "8A2", 8)


def test_a_closed_unit_takes_no_new_units_classes_or_roles(org):
    org.school_x.valid_to = org.district.valid_to = date(2020, 1, 1)
    with pytest.raises(DomainError, match="không còn hiệu lực"):
        add_class(org.admin, org.school_x, org.class_x.school_year, "10A5", 10)
    with pytest.raises(DomainError, match="không còn hiệu lực"):
        grant_membership(org.admin, org.student_b, Role.TEACHER, org.school_x, org.class_x)
    with pytest.raises(DomainError, match="không còn hiệu lực"):
        create_unit(org.admin, UnitKind.SCHOOL, "Trường mới", org.district,
                    school_level=SchoolLevel.PRIMARY)
