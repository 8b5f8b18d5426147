"""What a printed paper's key says for each question, and how lists are shown without giving
the answer away (matching's right column and ordering's items sorted by text)."""

from __future__ import annotations

from .markup import decimal_string, html_to_text

LETTERS = "ABCDEFGH"


def option_ids(payload: dict, order: list[str] | None) -> list[str]:
    """Option ids in the order shown (an order naming unknown ids is ignored)."""
    stored = [o["id"] for o in payload.get("options", [])]
    if order and sorted(order) == sorted(stored):
        return list(order)
    return stored


def numeric_text(value: str) -> str:
    """A 2025 short answer as written on the sheet: decimal comma, at most 4 characters when
    a shorter writing exists (-0,25 → -,25)."""
    text = decimal_string(value).replace(".", ",")
    if len(text) > 4 and text.startswith(("0,", "-0,")):
        text = text.replace("0,", ",", 1)
    return text


def answer_text(payload: dict, order: list[str] | None = None) -> str:
    """The key of one question as printed: "C", "A, C", "ĐSĐS", "27,5", …; "" for essays."""
    kind = payload["type"]
    if kind in ("single_choice", "multiple_response"):
        ids = option_ids(payload, order)
        correct = {o["id"] for o in payload["options"] if o["correct"]}
        return ", ".join(LETTERS[i] for i, oid in enumerate(ids) if oid in correct)
    if kind == "true_false":
        return "A" if payload["answer"] else "B"
    if kind == "true_false_4":
        return "".join("Đ" if s["answer"] else "S" for s in payload["statements"])
    if kind == "short_numeric":
        best = next(a for a in payload["answers"] if a.get("fraction", "1") in ("1", 1))
        return numeric_text(best["value"])
    if kind == "short_text":
        return next(a["text"] for a in payload["answers"] if str(a.get("fraction", "1")) == "1")
    return _other_answer(payload)


def _other_answer(payload: dict) -> str:
    kind = payload["type"]
    if kind == "matching":
        rights = right_column(payload)
        return "; ".join(f"{n} → {letter(rights.index(p['right_html']))}"
                         for n, p in enumerate(payload["pairs"], 1))
    if kind == "ordering":
        shown = sorted_items(payload["items"])
        return " → ".join(letter(shown.index(item)) for item in payload["items"])
    if kind == "cloze":
        return "; ".join(f"({n}) {_gap_answer(gap)}" for n, gap in enumerate(payload["gaps"], 1))
    if kind == "stimulus":
        answers = [(n, answer_text(child)) for n, child in enumerate(payload["children"], 1)]
        return "; ".join(f"ý {n} → {a}" for n, a in answers if a)
    return ""


def _gap_answer(gap: dict) -> str:
    if gap["kind"] == "dropdown":
        return next(o["text"] for o in gap["options"] if o["correct"])
    if gap["kind"] == "numeric":
        return decimal_string(gap["answers"][0]["value"]).replace(".", ",")
    return gap["answers"][0]["text"]


def letter(index: int) -> str:
    """a, b, c … for the index (numbers past z)."""
    return "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else str(index + 1)


def right_column(payload: dict) -> list[str]:
    """Matching's right side, listed by text (never in the answer order)."""
    rights = {p["right_html"] for p in payload["pairs"]} | set(payload.get("distractors", []))
    return sorted(rights, key=lambda r: html_to_text(r).casefold())


def sorted_items(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda i: (html_to_text(i["text_html"]).casefold(), i["id"]))
