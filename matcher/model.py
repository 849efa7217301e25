"""TF-IDF over postings' title, role text and boilerplate; profiles scored by sparse cosine, with explanations."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import linear_kernel
from sklearn.preprocessing import normalize

from . import parallel
from .signals import RESEARCH_WEIGHT
from .text import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from .token_cache import TokenCache


@dataclass(frozen=True)
class Settings:
    """How postings become vectors; the evaluation's ablations switch parts off."""

    title_weight: float = 1.0  # the title (and team) against the role text, each first normalized
    role_weight: float = 1.0
    rest_weight: float = 0.25  # boilerplate still says what the company does, a little
    boilerplate: bool = True  # False: boilerplate counts as role text
    title_apart: bool = True  # False: the title is ordinary role text
    field_terms: bool = True  # the field vocabulary (terms kept whole, variants merged)
    learned_boilerplate: bool = True  # lines a company repeats across its postings are boilerplate (boilerplate.py)
    research_weight: float = RESEARCH_WEIGHT  # the research signal's reach (signals.py); 0 switches it off


DEFAULT_SETTINGS = Settings()
TERMS_SHOWN = 6  # terms kept to explain a score


class Counts(NamedTuple):
    """Token counts (postings x columns) of each field."""

    title: sp.csr_matrix
    role: sp.csr_matrix
    rest: sp.csr_matrix


class FieldVectorizer:
    """One vocabulary fitted over all postings; per field TF-IDF (sublinear tf, smooth idf), weighted sum."""

    def __init__(self, vocabulary: Vocabulary | None = None, settings: Settings = DEFAULT_SETTINGS):
        self.settings = settings
        vocabulary = vocabulary or load_vocabulary()
        self.vocabulary = vocabulary if settings.field_terms else Vocabulary({}, vocabulary.boilerplate)
        self._reset()

    def _reset(self) -> None:
        self.tokens: list[str] = [""]  # column 0 collects stop words and is dropped
        self._columns: dict[str, int] = {}  # token -> column
        self.idf: np.ndarray | None = None
        self._name_order = np.zeros(0, dtype=np.int64)

    def counts(self, rows: Iterable[tuple[str, str]], *, grow: bool = False, processes: int = 1,
               cache: TokenCache | None = None) -> Counts:
        """Token counts of (title, description) rows per field; grow=True adds new tokens as columns.

        With processes > 1, many rows are normalized and counted in worker processes (parallel.counted).
        With a cache, texts whose counts are kept are not tokenized again (token_cache.py).
        """
        if cache is not None:
            counts = self._merged(cache.counted(rows, processes), grow)
            order = cache.order()
            if np.array_equal(order, np.arange(len(order))):
                return counts
            rows_back = np.argsort(order, kind="stable")  # kept texts came last: rows back in their order
            return Counts(*(matrix[rows_back] for matrix in counts))
        return self._merged(parallel.counted(rows, self.vocabulary, processes), grow)

    def _merged(self, chunks: Iterable[parallel.ChunkCounts], grow: bool) -> Counts:
        """Counts from chunks over their own tokens: each chunk's tokens mapped to this vectorizer's columns.

        Counts stay 32-bit integers and each field's chunks are released as soon as the field is built:
        at 100,000 postings that is hundreds of megabytes less at the peak.
        """
        parts: list[tuple[list, list, list]] = [([], [], [np.zeros(1, dtype=np.int64)]) for _ in range(3)]
        maps: dict = {}  # numbered tokens -> columns, per counter (parallel.column_ids)
        for tokens, arrays in chunks:
            remap = parallel.column_ids(tokens, self._columns, self.tokens if grow else None, maps)
            for (indices, data, indptr), (all_indices, all_data, all_indptr) in zip(arrays, parts, strict=True):
                all_indptr.append(indptr[1:] + all_indptr[-1][-1])
                all_indices.append(remap.take(indices))
                all_data.append(data)
        fields = []
        while parts:
            field_indices, field_data, field_indptr = parts.pop(0)
            fields.append(self._matrix(_joined(field_indices, np.int32), _joined(field_data, np.int32),
                                       _joined(field_indptr, np.int64)))
        return Counts(*fields)

    def _matrix(self, indices: np.ndarray, data: np.ndarray, indptr: np.ndarray) -> sp.csr_matrix:
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(self.tokens)))
        matrix.sum_duplicates()
        return self._implied(matrix)

    def _implied(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Add each term's count to the terms it implies ("ASR" also counts as "speech"); drop column 0."""
        links = [(self._columns[source], self._columns[target])
                 for source, targets in self.vocabulary.implied.items() if source in self._columns
                 for target in targets if target in self._columns]
        if links:
            rows, cols = zip(*links, strict=True)
            width = len(self.tokens)
            spread = sp.identity(width, dtype=counts.dtype, format="csr") + sp.csr_matrix(
                (np.ones(len(links), dtype=counts.dtype), (rows, cols)), shape=(width, width))
            counts = (counts @ spread).tocsr()
        counts.data[counts.indices == 0] = 0
        counts.eliminate_zeros()
        return counts

    def fit(self, rows: Iterable[tuple[str, str]], processes: int = 1, cache: TokenCache | None = None) -> Counts:
        """Fit vocabulary and idf on all rows (one pass); returns their counts for combine()."""
        self._reset()
        counts = self.counts(rows, grow=True, processes=processes, cache=cache)
        # A posting counts once per token, whichever fields hold it; booleans keep this union small.
        present = (counts.title.astype(bool) + counts.role.astype(bool) + counts.rest.astype(bool)).tocsr()
        document_frequency = np.bincount(present.indices, minlength=len(self.tokens))
        del present
        self.idf = np.log((1 + counts.title.shape[0]) / (1 + document_frequency)) + 1.0
        return counts

    def fit_transform(self, rows: Iterable[tuple[str, str]], processes: int = 1,
                      cache: TokenCache | None = None) -> sp.csr_matrix:
        """Vectors of (title, description) rows; fits the vocabulary and idf on them."""
        return self.combine(self.fit(rows, processes, cache))

    def transform(self, rows: Iterable[tuple[str, str]], processes: int = 1) -> sp.csr_matrix:
        """Vectors of further rows with the fitted vocabulary and idf (unknown terms are dropped)."""
        self._fitted_idf()
        return self.combine(self.counts(rows, processes=processes))

    def _fitted_idf(self) -> np.ndarray:
        """The idf of the fit; a ValueError before fit()."""
        if self.idf is None:
            raise ValueError("the vectorizer is not fitted")
        return self.idf

    def combine(self, counts: Counts, settings: Settings | None = None) -> sp.csr_matrix:
        """Posting vectors: per-field TF-IDF, each normalized, weighted, summed, normalized.

        settings may differ from the vectorizer's in weights, title_apart and boilerplate (ablations reuse
        one tokenization: without boilerplate removal, role and boilerplate text are simply one field).
        """
        self._fitted_idf()
        settings = settings or self.settings
        title, role, rest = counts.title, counts.role, counts.rest
        if not settings.title_apart:
            title, role = sp.csr_matrix(title.shape), role + title
        if not settings.boilerplate:
            role, rest = role + rest, sp.csr_matrix(rest.shape)
        total = sp.csr_matrix(title.shape)
        for matrix, weight in ((title, settings.title_weight), (role, settings.role_weight),
                               (rest, settings.rest_weight)):
            if weight and matrix.nnz:
                field = self._tfidf(matrix.tocsr())
                field.data *= weight  # in place: one copy of a field at a time is enough
                total = field if not total.nnz else total + field
        return normalize(total.tocsr(), norm="l2", copy=False) if total.shape[0] else total.tocsr()

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        # Computed in place on one new array, sharing the counts' index arrays: no temporary copies.
        values = np.log(counts.data, dtype=np.float64)
        values += 1.0
        values *= self._fitted_idf().take(counts.indices)
        weighted = sp.csr_matrix((values, counts.indices, counts.indptr), shape=counts.shape)
        return normalize(weighted, norm="l2", copy=False)

    def name_order(self) -> np.ndarray:
        """Each column's place in the alphabetical order of the tokens (a tie-break that does not depend on
        the order columns were made in)."""
        if len(self._name_order) != len(self.tokens):  # tokens are set by fit() or incremental.restored()
            self._name_order = np.argsort(np.argsort(np.asarray(self.tokens, dtype=object), kind="stable"))
        return self._name_order

    def show(self, column: int) -> str:
        return self.vocabulary.show(self.tokens[column])

    def columns(self, term: str) -> list[int]:
        """The columns of a term as a user writes it ("RNN-T", "speech", "distributed systems")."""
        found = (self._columns.get(token) for token in self.vocabulary.own_tokens(term))
        return [column for column in found if column]

    def profile_vectors(self, profiles: list) -> sp.csr_matrix:
        """One row per profile: TF-IDF of its text with the postings' idf, times its term weights, normalized.

        A weighted term missing from the text counts as written once; a weight of 0 removes a term.
        """
        idf = self._fitted_idf()
        role = self.counts(("", profile.match_text) for profile in profiles).role
        rows, cols, values = [], [], []
        for row, profile in enumerate(profiles):
            start, end = role.indptr[row], role.indptr[row + 1]
            vector = {int(c): (1.0 + math.log(n)) * idf[c] for c, n in
                      zip(role.indices[start:end], role.data[start:end], strict=True)}
            for term, weight in (profile.weights or {}).items():
                for column in self.columns(term):
                    vector[column] = vector.get(column, idf[column]) * weight
            for column, value in vector.items():
                if value:
                    rows.append(row)
                    cols.append(column)
                    values.append(value)
        matrix = sp.csr_matrix((values, (rows, cols)), shape=(len(profiles), len(self.tokens)))
        return normalize(matrix, norm="l2", copy=False)


def _joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    """One array of the chunks (emptied as they are copied, so memory is not held twice for long)."""
    joined: np.ndarray = np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)
    arrays.clear()
    return joined


def scores(postings: sp.csr_matrix, profiles: sp.csr_matrix) -> np.ndarray:
    """Cosine of every posting with every profile: a dense (postings x profiles) array."""
    return linear_kernel(postings, profiles, dense_output=True)
