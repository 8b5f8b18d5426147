"""Questions, their types and versions, import/export formats, search and item statistics.

Usable without HTTP. Other packages use only the names exported here.
"""

from question_bank.search import SearchError, SearchIndex, SearchResult, vietnamese_analyzer
from question_bank.text import fold, nfc

__all__ = ["SearchError", "SearchIndex", "SearchResult", "fold", "nfc", "vietnamese_analyzer"]
