"""The English catalogue is complete: every message the code uses is translated, unflagged,
and keeps the placeholders of its Vietnamese original.

Extraction uses lms/babel.cfg and the keywords of `make translations-update`, so a string
added to the code without `make translations-update` and a translation fails here.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

LMS = Path(__file__).resolve().parents[2] / "lms"
ENGLISH_PO = LMS / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


@pytest.fixture(scope="module")
def catalogue():
    with ENGLISH_PO.open("rb") as handle:
        return read_po(handle, locale="en")


def _extracted_ids() -> set[str]:
    """Every msgid (singular form) that `pybabel extract -F lms/babel.cfg` finds in lms."""
    with (LMS / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(LMS / "babel.cfg"))
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(LMS), method_map, options_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {msgid for msgid in found if msgid}


def _forms(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _entries(catalogue):
    return [m for m in catalogue if m.id]


def test_every_entry_is_translated_and_not_fuzzy(catalogue):
    """No empty msgstr (each plural form included) and no fuzzy flag."""
    empty = [m.id for m in _entries(catalogue) if not all(_forms(m.string))]
    fuzzy = [m.id for m in _entries(catalogue) if m.fuzzy]
    assert not empty, f"untranslated in {ENGLISH_PO.name}: {empty}"
    assert not fuzzy, f"fuzzy in {ENGLISH_PO.name}: {fuzzy}"


def test_every_extracted_message_is_in_the_catalogue(catalogue):
    """A string marked for translation in lms but absent from messages.po is shown in
    Vietnamese to English users: run `make translations-update` and translate it."""
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _entries(catalogue)}
    missing = sorted(_extracted_ids() - known)
    assert not missing, f"run `make translations-update` and translate: {missing}"


def test_translations_keep_the_placeholders(catalogue):
    """Each translated form uses exactly the %(name)s placeholders of its msgid, otherwise
    rendering raises KeyError or drops a value."""
    wrong = []
    for message in _entries(catalogue):
        expected = set().union(*(PLACEHOLDER.findall(i) for i in _forms(message.id)))
        for form in _forms(message.string):
            if form and set(PLACEHOLDER.findall(form)) != expected:
                wrong.append((message.id, form))
    assert not wrong, f"placeholders differ from the msgid: {wrong}"
