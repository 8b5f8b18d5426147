"""Administration forms. Only the fields declared here are ever read from a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import TextInput

from lms.org.models import Role, SchoolLevel, UnitKind

DATE = "%d/%m/%Y"
KIND_LABELS = {
    UnitKind.MINISTRY: _l("Bộ"), UnitKind.DEPARTMENT: _l("Sở GD&ĐT"),
    UnitKind.DISTRICT_OFFICE: _l("Phòng GD&ĐT"), UnitKind.COMMUNE: _l("Đơn vị cấp xã"),
    UnitKind.SCHOOL: _l("Trường học"),
}
LEVEL_LABELS = {
    SchoolLevel.PRESCHOOL: _l("Mầm non"), SchoolLevel.PRIMARY: _l("Tiểu học"),
    SchoolLevel.LOWER_SECONDARY: _l("THCS"), SchoolLevel.UPPER_SECONDARY: _l("THPT"),
    SchoolLevel.MULTI_LEVEL: _l("Liên cấp"), SchoolLevel.CONTINUING: _l("GDTX"),
}
ROLE_LABELS = {
    Role.STUDENT: _l("Học sinh"), Role.PARENT: _l("Phụ huynh"), Role.TEACHER: _l("Giáo viên"),
    Role.HOMEROOM_TEACHER: _l("Giáo viên chủ nhiệm"), Role.SCHOOL_LEADER: _l("Ban giám hiệu"),
    Role.UNIT_REVIEWER: _l("Người duyệt cấp phòng/xã"),
    Role.DEPARTMENT_REVIEWER: _l("Người duyệt cấp sở"), Role.ADMIN: _l("Quản trị"),
}
_DATE_MSG = _l("Ngày cần có dạng dd/mm/yyyy.")


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


#: A text box, not the browser's date picker: that one shows and sends the browser's format.
_DATE_BOX = {"widget": TextInput(),
             "render_kw": {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}}


class VnDateField(DateField):
    """A dd/mm/yyyy date typed as text, with a Vietnamese message when it does not parse."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_DATE_MSG)) from error


def _dd_mm_yyyy(label, required: bool = False):
    check = DataRequired(_DATE_MSG) if required else Optional()
    return VnDateField(label, format=DATE, validators=[check], **_DATE_BOX)


class UnitForm(FlaskForm):
    kind = SelectField(_l("Loại đơn vị"), choices=options(KIND_LABELS.items()),
                       default=UnitKind.SCHOOL.value)
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Trực thuộc"), coerce=int)
    external_code = StringField(_l("Mã đơn vị (CSDL ngành)"), validators=[Length(max=64)])
    school_level = SelectField(_l("Cấp học (chỉ với trường)"),
                               choices=options([("", "—"), *LEVEL_LABELS.items()]))
    valid_from = _dd_mm_yyyy(_l("Hiệu lực từ ngày"))
    valid_to = _dd_mm_yyyy(_l("Hiệu lực đến ngày"))


class CloseUnitForm(FlaskForm):
    on = _dd_mm_yyyy(_l("Đóng từ ngày"), required=True)


class SchoolYearForm(FlaskForm):
    name = StringField(_l("Năm học"), validators=[
        DataRequired(), Regexp(r"^\d{4}-\d{4}$", message=_l("Tên năm học cần có dạng 2025-2026."))],
        render_kw={"placeholder": "2025-2026"})
    starts_on = _dd_mm_yyyy(_l("Ngày bắt đầu"), required=True)
    ends_on = _dd_mm_yyyy(_l("Ngày kết thúc"), required=True)


class GrantForm(FlaskForm):
    role = SelectField(_l("Vai trò"), choices=options(ROLE_LABELS.items()))
    unit = SelectField(_l("Đơn vị"), coerce=int)
    school_class = SelectField(_l("Lớp (với học sinh, giáo viên)"), coerce=int)


class SubjectForm(FlaskForm):
    name = StringField(_l("Tên môn"), validators=[DataRequired(), Length(max=120)])
    grades = StringField(_l("Các khối (ví dụ 10,11,12)"), validators=[
        DataRequired(), Regexp(r"^\s*\d{1,2}(\s*,\s*\d{1,2})*\s*$",
                               message=_l("Nhập các khối cách nhau bởi dấu phẩy."))])


class TopicForm(FlaskForm):
    name = StringField(_l("Tên"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Thuộc chương"), coerce=int)


class RenameForm(FlaskForm):
    name = StringField(_l("Tên mới"), validators=[DataRequired(), Length(max=200)])
