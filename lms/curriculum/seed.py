"""Reference data of the 2018 general-education programme (Chương trình GDPT 2018).

Codes are stable ASCII and never change; names are editable by admins afterwards, so seeding
only inserts what is missing.
"""

from sqlalchemy import select

from lms.curriculum.models import CognitiveLevel, CognitiveScale, Subject
from lms.kernel import db


def _grades(first: int, last: int) -> str:
    return ",".join(str(g) for g in range(first, last + 1))


#: (code, name, first grade, last grade, comment-only under Thông tư 22/2021)
SUBJECTS = [
    ("TOAN", "Toán", 1, 12, False),
    ("TIENGVIET", "Tiếng Việt", 1, 5, False),
    ("NGUVAN", "Ngữ văn", 6, 12, False),
    ("TIENGANH", "Tiếng Anh", 1, 12, False),
    ("DAODUC", "Đạo đức", 1, 5, False),
    ("TNXH", "Tự nhiên và Xã hội", 1, 3, False),
    ("KHOAHOC", "Khoa học", 4, 5, False),
    ("LSDL", "Lịch sử và Địa lí", 4, 9, False),
    ("KHTN", "Khoa học tự nhiên", 6, 9, False),
    ("GDCD", "Giáo dục công dân", 6, 9, False),
    ("GDKTPL", "Giáo dục kinh tế và pháp luật", 10, 12, False),
    ("LICHSU", "Lịch sử", 10, 12, False),
    ("DIALI", "Địa lí", 10, 12, False),
    ("VATLI", "Vật lí", 10, 12, False),
    ("HOAHOC", "Hóa học", 10, 12, False),
    ("SINHHOC", "Sinh học", 10, 12, False),
    ("TINHOC", "Tin học", 3, 12, False),
    ("CONGNGHE", "Công nghệ", 3, 12, False),
    ("GDQPAN", "Giáo dục quốc phòng và an ninh", 10, 12, False),
    ("GDTC", "Giáo dục thể chất", 1, 12, True),
    ("AMNHAC", "Âm nhạc", 1, 12, True),
    ("MITHUAT", "Mĩ thuật", 1, 12, True),
    ("HDTN", "Hoạt động trải nghiệm, hướng nghiệp", 1, 12, True),
    ("GDDP", "Nội dung giáo dục của địa phương", 1, 12, True),
]

#: (scale code, scale name, [(level code, level name)])
SCALES = [
    ("4LEVEL", "4 mức độ (mặc định)",
     [("NB", "Nhận biết"), ("TH", "Thông hiểu"), ("VD", "Vận dụng"), ("VDC", "Vận dụng cao")]),
    ("3LEVEL", "3 mức độ (Chương trình GDPT 2018)",
     [("BIET", "Biết"), ("HIEU", "Hiểu"), ("VD", "Vận dụng")]),
]


def seed_curriculum() -> int:
    """Insert missing subjects and cognitive scales; returns how many rows were added."""
    added = 0
    have = set(db.session.scalars(select(Subject.code)))
    for position, (code, name, first, last, comment_only) in enumerate(SUBJECTS):
        if code not in have:
            db.session.add(Subject(code=code, name=name, grades_csv=_grades(first, last),
                                   comment_only=comment_only, position=position))
            added += 1
    scales = {s.code: s for s in db.session.scalars(select(CognitiveScale))}
    for code, name, levels in SCALES:
        if code in scales:
            continue
        scale = CognitiveScale(code=code, name=name)
        scale.levels = [CognitiveLevel(code=c, name=n, rank=i + 1)
                        for i, (c, n) in enumerate(levels)]
        db.session.add(scale)
        added += 1 + len(levels)
    db.session.flush()
    return added
