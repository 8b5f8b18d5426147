"""One valid, validated payload of every question type, for tests."""

from question_bank import validate_payload


def options(correct: str, ids: str = "abcd") -> list[dict]:
    return [{"id": i, "text_html": f"Phương án {i.upper()}", "correct": i in correct,
             "feedback_html": f"Nhận xét {i}"} for i in ids]


RAW = {
    "single_choice": {"type": "single_choice", "text_html": "Thủ đô của Việt Nam?",
                      "options": options("b")},
    "multiple_response": {"type": "multiple_response", "text_html": "Chọn số nguyên tố",
                          "options": options("abc", "abcde")},
    "true_false": {"type": "true_false", "text_html": "2 là số nguyên tố", "answer": True,
                   "feedback_true_html": "Đúng rồi", "feedback_false_html": "Sai rồi"},
    "true_false_4": {"type": "true_false_4", "text_html": "Cho hàm số y = x²",
                     "statements": [{"id": k, "text_html": f"Ý {k}", "answer": v}
                                    for k, v in zip("abcd", (True, False, True, False),
                                                    strict=True)]},
    "short_text": {"type": "short_text", "text_html": "Thủ đô của Việt Nam?",
                   "answers": [{"text": "Hà Nội", "fraction": "1"},
                               {"text": "Thành phố Hà Nội", "fraction": "1"},
                               {"text": "Hà*", "fraction": "0.5"}]},
    "short_numeric": {"type": "short_numeric", "text_html": "Tính 55 : 2",
                      "answers": [{"value": "27.5", "tolerance": "0", "fraction": "1"}],
                      "format_2025": True},
    "matching": {"type": "matching", "text_html": "Ghép nước với thủ đô",
                 "pairs": [{"id": "1", "left_html": "Việt Nam", "right_html": "Hà Nội"},
                           {"id": "2", "left_html": "Lào", "right_html": "Viêng Chăn"},
                           {"id": "3", "left_html": "Thái Lan", "right_html": "Băng Cốc"}],
                 "distractors": ["Phnôm Pênh"]},
    "ordering": {"type": "ordering", "text_html": "Sắp xếp theo thời gian",
                 "items": [{"id": k, "text_html": t} for k, t in
                           (("a", "Nhà Lý"), ("b", "Nhà Trần"), ("c", "Nhà Lê"),
                            ("d", "Nhà Nguyễn"))]},
    "cloze": {"type": "cloze", "text_html": "Thủ đô [[g1]], số [[g2]], chọn [[g3]]",
              "gaps": [{"id": "g1", "kind": "text", "points": "1",
                        "answers": [{"text": "Hà Nội", "fraction": "1"}],
                        "ignore_diacritics": True},
                       {"id": "g2", "kind": "numeric", "points": "2",
                        "answers": [{"value": "3.14", "tolerance": "0.01", "fraction": "1"}]},
                       {"id": "g3", "kind": "dropdown", "points": "1",
                        "options": [{"id": "a", "text": "đúng", "correct": True},
                                    {"id": "b", "text": "sai", "correct": False}]}]},
    "essay": {"type": "essay", "text_html": "Phân tích bài thơ", "min_words": 100,
              "max_words": 500, "rubric": [{"criterion": "Bố cục", "points": "2"}],
              "reference_html": "Bài mẫu"},
    "description": {"type": "description", "text_html": "Đọc đoạn văn sau"},
}
RAW["stimulus"] = {"type": "stimulus", "text_html": "Đọc đoạn văn và trả lời",
                   "media": [{"kind": "image", "key": "q/1.png"}],
                   "children": [RAW["single_choice"], RAW["true_false_4"]]}


def payload(type_name: str, **changes) -> dict:
    """A validated payload of ``type_name`` with top-level fields replaced."""
    return validate_payload({**RAW[type_name], **changes})
