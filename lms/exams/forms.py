"""Teacher forms for tests (Flask-WTF, CSRF on every POST). Times are typed as dd/mm/yyyy HH:MM
in Vietnam time (UTC+7) and stored as naive UTC."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from lms.core.errors import DomainError
from lms.exams import logic
from lms.i18n import parse_local, vn_date

WHEN_LABELS = {"during": _l("Trong khi làm"), "after_submit": _l("Ngay sau khi nộp"),
               "after_close": _l("Sau khi đóng bài"), "never": _l("Không bao giờ")}
REVIEW_LABELS = {"responses": _l("Bài làm của học sinh"), "correctness": _l("Đúng/sai từng câu"),
                 "score": _l("Điểm"), "correct_answers": _l("Đáp án đúng"),
                 "feedback": _l("Nhận xét, lời giải")}
TIME_HINT = _l("dd/mm/yyyy HH:MM, giờ Việt Nam")


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def vn_time(form, field) -> None:
    """dd/mm/yyyy HH:MM or empty."""
    try:
        field.parsed = parse_local(field.data, field.name)
    except ValueError:
        raise ValidationError(_l("Hãy nhập thời điểm dạng dd/mm/yyyy HH:MM, ví dụ 01/12/2026 "
                                 "07:30.")) from None
    except DomainError as error:
        raise ValidationError(str(error.message)) from None


class NewExamForm(FlaskForm):
    title = StringField(_l("Tên bài kiểm tra"), validators=[DataRequired(), Length(max=300)])


class SettingsForm(FlaskForm):
    open_at = StringField(_l("Mở lúc"), validators=[vn_time], description=TIME_HINT)
    close_at = StringField(_l("Đóng lúc"), validators=[vn_time], description=TIME_HINT)
    time_limit_minutes = IntegerField(_l("Thời gian làm bài (phút, để trống: không giới hạn)"),
                                      validators=[Optional(), NumberRange(0, 24 * 60)])
    attempts = IntegerField(_l("Số lượt làm (0: không giới hạn)"),
                            validators=[Optional(), NumberRange(0, 100)])
    grading_method = SelectField(_l("Cách lấy điểm"), choices=options([
        ("highest", _l("Lượt cao nhất")), ("last", _l("Lượt cuối")),
        ("first", _l("Lượt đầu")), ("average", _l("Trung bình các lượt"))]))
    shuffle_questions = BooleanField(_l("Trộn thứ tự câu hỏi (trong từng phần)"))
    shuffle_options = BooleanField(_l("Trộn thứ tự phương án"))
    navigation = SelectField(_l("Cách đi qua các câu"), choices=options([
        ("free", _l("Tự do (quay lại được)")), ("sequential", _l("Lần lượt (không quay lại)"))]))
    mode = SelectField(_l("Chế độ"), choices=options([
        ("test", _l("Kiểm tra")), ("practice", _l("Luyện tập (xem kết quả từng câu ngay)"))]))
    late_mode = SelectField(_l("Khi hết giờ"), choices=options([
        ("auto_submit", _l("Tự động nộp")), ("grace", _l("Cho thêm thời gian ân hạn")),
        ("not_counted", _l("Nhận bài nhưng không tính điểm nếu nộp muộn"))]))
    grace_seconds = IntegerField(_l("Thời gian ân hạn (giây)"),
                                 validators=[Optional(), NumberRange(0, 3600)])
    rounding = SelectField(_l("Làm tròn điểm (thang 10)"),
                           choices=options([(r, r.replace(".", ",")) for r in logic.ROUNDINGS]))
    access_code = StringField(_l("Mã truy cập mới (để trống: giữ nguyên)"),
                              validators=[Optional(), Length(max=64)])
    remove_access_code = BooleanField(_l("Bỏ mã truy cập"))
    review_responses = SelectField(REVIEW_LABELS["responses"], choices=options(WHEN_LABELS.items()))
    review_correctness = SelectField(REVIEW_LABELS["correctness"],
                                     choices=options(WHEN_LABELS.items()))
    review_score = SelectField(REVIEW_LABELS["score"], choices=options(WHEN_LABELS.items()))
    review_correct_answers = SelectField(REVIEW_LABELS["correct_answers"],
                                         choices=options(WHEN_LABELS.items()))
    review_feedback = SelectField(REVIEW_LABELS["feedback"], choices=options(WHEN_LABELS.items()))

    def review_fields(self) -> list:
        return [self[f"review_{item}"] for item in logic.REVIEW_ITEMS]

    def fill(self, settings: dict) -> None:
        """Show the stored settings (times in Vietnam time)."""
        _fill_window(self, settings)
        for name in ("grading_method", "shuffle_questions", "shuffle_options"):
            self[name].data = settings[name]
        self.navigation.data = logic.setting(settings, "navigation")
        self.mode.data = logic.setting(settings, "mode")
        self.late_mode.data = settings["late"]["mode"]
        self.grace_seconds.data = settings["late"].get("grace_s", 0)
        self.rounding.data = str(settings["rounding"])
        for item in logic.REVIEW_ITEMS:
            self[f"review_{item}"].data = settings["review"].get(item, "never")

    def settings(self) -> dict:
        """The stored form of what was typed (services.normalise_settings checks the rest)."""
        raw = {**_window_settings(self),
               "grading_method": self.grading_method.data,
               "shuffle_questions": self.shuffle_questions.data,
               "shuffle_options": self.shuffle_options.data,
               "navigation": self.navigation.data, "mode": self.mode.data,
               "late": {"mode": self.late_mode.data, "grace_s": self.grace_seconds.data or 0},
               "rounding": self.rounding.data,
               "review": {item: self[f"review_{item}"].data for item in logic.REVIEW_ITEMS}}
        if self.remove_access_code.data:
            raw["access_code"] = None
        elif self.access_code.data and self.access_code.data.strip():
            raw["access_code"] = self.access_code.data
        return raw


class MatrixWindowForm(FlaskForm):
    """Time limit, window and attempts on the matrix builder: the settings form's own fields
    (same labels, limits and messages), so a test built from a matrix needs no second stop
    in Cài đặt. CSRF is checked by the app for the whole builder form."""

    class Meta:
        csrf = False

    time_limit_minutes = SettingsForm.time_limit_minutes
    open_at = SettingsForm.open_at
    close_at = SettingsForm.close_at
    attempts = SettingsForm.attempts

    def fill(self, settings: dict) -> None:
        _fill_window(self, settings)

    def settings(self) -> dict:
        return _window_settings(self)


class OverrideForm(FlaskForm):
    extra_time_minutes = IntegerField(_l("Thêm giờ (phút)"),
                                      validators=[Optional(), NumberRange(0, 24 * 60)])
    opens_at = StringField(_l("Mở lúc"), validators=[vn_time], description=TIME_HINT)
    closes_at = StringField(_l("Đóng lúc"), validators=[vn_time], description=TIME_HINT)
    extra_attempts = IntegerField(_l("Thêm lượt"), validators=[Optional(), NumberRange(0, 100)])

    def fill(self, override: dict) -> None:
        self.extra_time_minutes.data = override["extra_time_minutes"]
        self.opens_at.data = vn_date(logic.stored_time(override["opens_at"]))
        self.closes_at.data = vn_date(logic.stored_time(override["closes_at"]))
        self.extra_attempts.data = override["extra_attempts"]

    def values(self) -> dict:
        return {"extra_time_minutes": self.extra_time_minutes.data,
                "opens_at": self.opens_at.parsed, "closes_at": self.closes_at.parsed,
                "extra_attempts": self.extra_attempts.data}


def _fill_window(form, settings: dict) -> None:
    """Window, time limit and attempts of stored settings into the form (Vietnam time)."""
    form.open_at.data = vn_date(logic.stored_time(settings["open_at"]))
    form.close_at.data = vn_date(logic.stored_time(settings["close_at"]))
    limit = settings["time_limit_s"]
    form.time_limit_minutes.data = limit // 60 if limit else None
    form.attempts.data = settings["attempts_allowed"]


def _window_settings(form) -> dict:
    """The stored form of the typed window, time limit (empty: none) and attempts (empty or
    0: unlimited); normalise_settings checks the window's order."""
    return {"open_at": _iso(form.open_at.parsed), "close_at": _iso(form.close_at.parsed),
            "time_limit_s": (form.time_limit_minutes.data or 0) * 60 or None,
            "attempts_allowed": form.attempts.data or 0}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
