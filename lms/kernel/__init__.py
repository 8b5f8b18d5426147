"""The kernel: what every package may import, and nothing else.

The database object with its naming convention and enum columns, and the Vietnamese text
rules (NFC, folding for search keys, dictionary order, clean names). It imports no area of
``lms`` and no web extension, so ``question_bank`` and ``media`` can rest on it.
"""

from lms.kernel.db import NAMING, db, db_enum
from lms.kernel.text import clean_name, collation_key, fold, nfc, strip_diacritics

__all__ = ["NAMING", "clean_name", "collation_key", "db", "db_enum", "fold", "nfc",
           "strip_diacritics"]
