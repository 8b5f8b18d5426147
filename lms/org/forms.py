"""Forms for classes and roster import (Flask-WTF: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from lms.org.roster import MAX_BYTES


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Tệp danh sách (.xlsx hoặc .csv)"), validators=[
        FileRequired(_l("Hãy chọn một tệp.")),
        FileAllowed(["xlsx", "csv"], _l("Chỉ nhận tệp Excel .xlsx hoặc .csv.")),
        FileSize(MAX_BYTES, message=_l("Tệp quá lớn: tối đa 5 MB."))],
        render_kw={"accept": ".xlsx,.csv"})
    school_year = SelectField(_l("Năm học"), coerce=int)


class ClassForm(FlaskForm):
    name = StringField(_l("Tên lớp"), validators=[DataRequired(), Length(max=40)])
    grade = SelectField(_l("Khối"), coerce=int)
    school_year = SelectField(_l("Năm học"), coerce=int)


class ConfirmForm(FlaskForm):
    """A bare POST (CSRF only): confirm an import, deactivate, reset a password."""
