"""Full-text search over a Whoosh index, accent-insensitive for Vietnamese.

"phuong trinh bac hai" finds "phương trình bậc hai"; "ĐƯỜNG" typed with U+00D0 finds
"đường". Text is NFC-normalised before tokenising (so decomposed input stays one word), then
lower-cased and folded with :func:`lms.kernel.text.fold` (diacritics removed, đ→d).

A :class:`SearchIndex` whose path is empty is switched off: writes do nothing and searches
return nothing, so callers need no ``if`` (HOCLIEU_SEARCH_INDEX_PATH=""). At scale the index
folder is a shared volume written by a single-concurrency Celery queue; Whoosh locks writers.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import fields as wf
from whoosh import index
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.qparser import AndGroup, FieldsPlugin, MultifieldParser
from whoosh.query import And, ConstantScoreQuery, Every, Or, Term

from lms.kernel.text import fold, nfc


def _unseeded_random_name(size: int = 28) -> str:
    return "".join(_SYSTEM_RANDOM.choice(_NAME_CHARS) for _ in range(size))


def _use_unseeded_segment_names() -> None:
    """Whoosh names segments and temp files with the *global* ``random`` module.

    Anything that seeds it (Hypothesis does, for every example) makes two writers draw the same
    "random" segment name, and the second commit fails on an existing file. Names come from
    the operating system's generator instead.
    """
    import whoosh.codec.base
    import whoosh.filedb.compound
    import whoosh.filedb.filestore
    import whoosh.multiproc
    import whoosh.util
    import whoosh.writing

    for module in (whoosh.util, whoosh.codec.base, whoosh.filedb.filestore,
                   whoosh.filedb.compound, whoosh.writing, whoosh.multiproc):
        module.random_name = _unseeded_random_name


_SYSTEM_RANDOM = random.SystemRandom()
_NAME_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"
_use_unseeded_segment_names()

#: Field kinds a caller may declare: analysed text, one exact value, several exact values
#: (a list), a number. ``keyword``, ``tags`` and ``numeric`` fields can be filtered and
#: faceted; ``keyword`` and ``numeric`` can be sorted on.
KINDS = ("text", "keyword", "tags", "numeric")
WRITE_TIMEOUT_SECONDS = 30


class SearchError(Exception):
    """A misdeclared schema, an unknown field in a query, or an index that cannot be opened."""


class NfcTokenizer(RegexTokenizer):
    """Word tokenizer that first applies :func:`nfc` (composed form, eth read as Đ)."""

    def __call__(self, value, **kwargs):
        return super().__call__(nfc(value), **kwargs)


class FoldFilter(Filter):
    """Lower case without diacritics, through the same rule as every other search key."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


def vietnamese_analyzer():
    """Tokens for Vietnamese text: NFC words, lower-cased and folded; no stop words."""
    return NfcTokenizer() | FoldFilter()


@dataclass
class SearchResult:
    """One page of matches: ids in rank order, the total count and facet counts."""

    ids: list[str] = field(default_factory=list)
    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def build_schema(schema_fields: Mapping[str, str]) -> wf.Schema:
    """A Whoosh schema with a unique stored ``id`` plus the declared fields."""
    schema = wf.Schema(id=wf.ID(unique=True, stored=True))
    for name, kind in schema_fields.items():
        if name == "id" or kind not in KINDS:
            raise SearchError(f"Trường tìm kiếm {name!r}: loại {kind!r} không hợp lệ "
                              f"(cần một trong {', '.join(KINDS)}; 'id' đã có sẵn).")
        schema.add(name, _field(kind))
    return schema


def _field(kind: str) -> wf.FieldType:
    if kind == "text":
        return wf.TEXT(analyzer=vietnamese_analyzer(), phrase=True)
    if kind == "keyword":
        return wf.ID(stored=True, sortable=True)
    if kind == "tags":
        return wf.KEYWORD(stored=True, commas=True, scorable=False)
    return wf.NUMERIC(numtype=int, bits=64, stored=True, sortable=True, signed=True)


class SearchIndex:
    """A Whoosh index at ``path`` with the declared fields; off when ``path`` is empty."""

    def __init__(self, path: str | Path | None, schema_fields: Mapping[str, str]):
        self.kinds = dict(schema_fields)
        self.schema = build_schema(self.kinds)
        self.path = Path(path) if path else None
        self._index = None
        self._local = threading.local()
        self._facets = _FacetValues(self.kinds)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def _open(self):
        """Open the index, creating it on first use; a schema change needs :meth:`clear`."""
        if self._index is None:
            self.path.mkdir(parents=True, exist_ok=True)
            if index.exists_in(str(self.path)):
                self._index = index.open_dir(str(self.path))
                if set(self._index.schema.names()) != set(self.schema.names()):
                    raise SearchError(f"Chỉ mục {self.path} có trường "
                                      f"{sorted(self._index.schema.names())}, mong đợi "
                                      f"{sorted(self.schema.names())}: cần dựng lại chỉ mục.")
            else:
                self._index = index.create_in(str(self.path), self.schema)
        return self._index

    def _searcher(self):
        """This thread's searcher, kept open between queries (its segments' files and caches
        stay loaded) and refreshed when a writer has committed since. One per thread: a
        Whoosh searcher reads through shared file positions."""
        current = getattr(self._local, "searcher", None)
        if current is not None and current.up_to_date():
            return current
        if current is not None:
            # Not Whoosh's refresh(): it reuses segment readers whose deletions are stale.
            current.close()
        current = self._local.searcher = self._open().searcher()
        return current

    def clear(self) -> None:
        """Drop every document (and adopt the declared schema) before a full rebuild."""
        if self.enabled:
            self.path.mkdir(parents=True, exist_ok=True)
            self._index = index.create_in(str(self.path), self.schema)
            self._local = threading.local()  # no thread keeps a searcher of the old index

    def update(self, documents: Iterable[Mapping]) -> int:
        """Add or replace documents by ``id`` in one commit; returns how many were written."""
        if not self.enabled:
            return 0
        count = 0
        with self._open().writer(timeout=WRITE_TIMEOUT_SECONDS) as writer:
            for document in documents:
                writer.update_document(**self._prepare(document))
                count += 1
        return count

    def add(self, document: Mapping) -> None:
        """Index one document (replacing an earlier one with the same ``id``)."""
        self.update([document])

    def delete(self, ids: Iterable) -> None:
        """Remove documents by id; unknown ids are ignored."""
        if not self.enabled:
            return
        with self._open().writer(timeout=WRITE_TIMEOUT_SECONDS) as writer:
            for doc_id in ids:
                writer.delete_by_term("id", str(doc_id))

    def _prepare(self, document: Mapping) -> dict:
        """Values as Whoosh wants them: NFC text, str keywords, comma-joined tags, int numbers."""
        if document.get("id") in (None, ""):
            raise SearchError(f"Tài liệu cần chỉ mục không có 'id': {dict(document)!r}")
        prepared = {"id": str(document["id"])}
        for name, value in document.items():
            if name == "id" or value is None:
                continue
            prepared[name] = self._value(name, value)
        return prepared

    def _value(self, name: str, value):
        kind = self._kind(name)
        if kind == "text":
            return nfc(value)
        if kind == "keyword":
            return nfc(str(value))
        if kind == "tags":
            return ",".join(nfc(str(v)).replace(",", " ") for v in value)
        return int(value)

    def _kind(self, name: str) -> str:
        try:
            return self.kinds[name]
        except KeyError:
            raise SearchError(f"Trường {name!r} không có trong chỉ mục "
                              f"(có: {', '.join(sorted(self.kinds))}).") from None

    def search(self, query: str = "", filters: Mapping | None = None,
               facets: Iterable[str] = (), sort: str | None = None, page: int = 1,
               per_page: int = 20) -> SearchResult:
        """Documents matching every word of ``query`` (all documents if empty) and every filter.

        ``filters`` maps a field to a value or a list of accepted values. ``facets`` names
        fields whose value counts over all matches are returned. ``sort`` is a field name,
        ``-name`` for descending; without it, best matches come first.
        """
        if not self.enabled:
            return SearchResult()
        page, per_page = max(1, int(page)), max(1, int(per_page))
        facet_names = list(facets)
        for name in facet_names:
            self._facet_kind(name)
        searcher = self._searcher()
        matching = self._parse(searcher.schema, query)
        restriction = self._filter(filters or {})
        if restriction is not None:
            # Filters join the query as zero-score clauses, so the matchers skip through the
            # filter postings instead of building a document set per query.
            restriction = ConstantScoreQuery(restriction, 0.0)
            matching = restriction if isinstance(matching, Every) \
                else And([matching, restriction])
        results = searcher.search(matching, limit=page * per_page, **self._sorting(sort))
        hits = results[(page - 1) * per_page: page * per_page]
        if results.has_exact_length():
            docnums, total = None, len(results)
        else:
            docnums = list(searcher.docs_for_query(matching))
            total = len(docnums)
        counts = {}
        if facet_names:
            if docnums is None:
                docnums = list(searcher.docs_for_query(matching))
            counts = self._facets.counts(searcher, facet_names, docnums)
        return SearchResult(ids=[hit["id"] for hit in hits], total=total, facets=counts)

    def _parse(self, schema, query: str):
        """Every word must match (phrases in quotes); ``field:`` syntax is not offered."""
        text_fields = [name for name, kind in self.kinds.items() if kind == "text"]
        if not query or not query.strip() or not text_fields:
            return Every()
        parser = MultifieldParser(text_fields, schema, group=AndGroup)
        parser.remove_plugin_class(FieldsPlugin)
        return parser.parse(nfc(query))

    def _filter(self, filters: Mapping):
        clauses = []
        for name, wanted in filters.items():
            if self._facet_kind(name) == "text":
                raise SearchError(f"Không lọc được theo trường văn bản {name!r}.")
            values = wanted if isinstance(wanted, list | tuple | set | frozenset) else [wanted]
            clauses.append(Or([Term(name, self._term(name, v)) for v in values]))
        return And(clauses) if clauses else None

    def _term(self, name: str, value):
        return int(value) if self.kinds[name] == "numeric" else nfc(str(value))

    def _facet_kind(self, name: str) -> str:
        kind = self._kind(name)
        if kind == "text":
            raise SearchError(f"Trường văn bản {name!r} không dùng để lọc hay đếm nhóm.")
        return kind

    def _sorting(self, sort: str | None) -> dict:
        if not sort:
            return {}
        name = sort.lstrip("-")
        if self._facet_kind(name) == "tags":
            raise SearchError(f"Không sắp xếp được theo trường nhiều giá trị {name!r}.")
        return {"sortedby": name, "reverse": sort.startswith("-")}


class _FacetValues:
    """Each document's facet values, per segment and field, read once from the index.

    Segments never change once written, so the table of a segment is built the first time a
    query needs it and reused until the segment is merged away; counting the facets of a query
    is then one look-up per matching document and field instead of Whoosh re-reading its
    columns for every query."""

    def __init__(self, kinds: Mapping[str, str]):
        self.kinds = kinds
        self._tables: dict[tuple[str, str], list] = {}

    def counts(self, searcher, names: list[str], docnums: list[int]) -> dict[str, dict]:
        leaves = [(reader, offset) for reader, offset in searcher.reader().leaf_readers()
                  if reader.doc_count_all()]
        live = {self._segment_id(reader) for reader, _ in leaves}
        for key in [key for key in list(self._tables) if key[0] not in live]:
            self._tables.pop(key, None)  # merged away (other threads may be here too)
        docnums = sorted(docnums)
        counters = {name: Counter() for name in names}
        for reader, offset in leaves:
            low = bisect.bisect_left(docnums, offset)
            high = bisect.bisect_left(docnums, offset + reader.doc_count_all())
            local = [docnum - offset for docnum in docnums[low:high]]
            if not local:
                continue
            for name in names:
                values = map(self._table(reader, name).__getitem__, local)
                if self.kinds[name] == "tags":
                    counters[name].update(value for group in values for value in group)
                else:
                    counters[name].update(values)
        return {name: {value: count for value, count in counter.items()
                       if value not in (None, "")}
                for name, counter in counters.items()}

    @staticmethod
    def _segment_id(reader) -> str:
        return reader.segment().segment_id()

    def _table(self, reader, name: str) -> list:
        key = (self._segment_id(reader), name)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = self._read(reader, name)
        return table

    def _read(self, reader, name: str) -> list:
        size = reader.doc_count_all()
        if self.kinds[name] != "tags":
            if not reader.has_column(name):
                return [None] * size
            return list(reader.column_reader(name))
        table: list[tuple] = [()] * size
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            for docnum in reader.postings(name, term).all_ids():
                table[docnum] += (value,)
        return table
