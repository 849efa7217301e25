"""Duplicates grouped: one lab's postings of the same title and near-identical text are one row in ranked lists.

A role posted in several cities is several postings (each its own URL and lifecycle) but one choice for
the reader. After every match run the open postings that share lab, company and title are compared by the
words of their text; those whose word sets overlap at least SAME_TEXT (Jaccard) are one group, led by its
first posting in id order. `posting_groups` holds every member of a group of two or more with its lead
and the group's size; ranked lists (`jobs`, datasette's ranked_matches) show the lead only, with
"+N locations".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

import sqlite_utils

from .connection import execute_in, rows_in, write_transaction

SAME_TEXT = 0.9  # Jaccard of the word sets: city names, dates and a sentence may differ, not the role
_WORD = re.compile(r"\w+")
OPEN = "(status != 'closed' OR status IS NULL)"


def words(text: str) -> frozenset[str]:
    """The distinct lower-cased words of a text."""
    return frozenset(_WORD.findall((text or "").lower()))


def similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two word sets are near-identical (Jaccard >= SAME_TEXT; two empty texts are)."""
    if a is b or (not a and not b):
        return True
    smaller, larger = sorted((len(a), len(b)))
    if smaller < SAME_TEXT * larger:  # the intersection is at most the smaller set, the union at least the larger
        return False
    shared = len(a & b)
    return shared >= SAME_TEXT * (len(a) + len(b) - shared)


def near_duplicate_groups(rows: Iterable[tuple[str, str, str]]) -> list[list[str]]:
    """Groups (two or more ids, in the order given) of (id, key, text) rows with the same key and similar text."""
    by_key: dict[str, list[tuple[str, frozenset[str], list[str]]]] = {}
    # A text met before under its key joins its twin's cluster, unread: the same words find the same first
    # similar cluster (clusters made since come after it). A role posted in many places is mostly such twins.
    twins: dict[tuple[str, bytes], list[str]] = {}
    for posting_id, key, text in rows:
        digest = hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=16).digest()
        members = twins.get((key, digest))
        if members is None:
            members = _cluster(by_key.setdefault(key, []), posting_id, words(text))
            twins[(key, digest)] = members
        else:
            members.append(posting_id)
    return [members for clusters in by_key.values() for _, _, members in clusters if len(members) > 1]


def _cluster(clusters: list[tuple[str, frozenset[str], list[str]]], posting_id: str, bag: frozenset[str]) -> list[str]:
    """The members of the first cluster whose first posting's words are similar, posting_id added (else of a new one)."""
    for _, first_words, members in clusters:
        if similar(first_words, bag):
            members.append(posting_id)
            return members
    clusters.append((posting_id, bag, [posting_id]))
    return clusters[-1][2]


_KEY = "lab || char(31) || coalesce(company, '') || char(31) || lower(trim(title))"


def candidate_rows(db: sqlite_utils.Database, keys: Iterable[str] | None = None) -> Iterator[tuple[str, str, str]]:
    """(id, lab/company/title key, title + description) of the open postings whose title recurs in their lab
    (with the keys given, else all)."""
    # Recurring keys first, from the short columns alone: only their postings' texts are read.
    sql = f"""
        SELECT id, {_KEY} AS k, title || char(10) || coalesce(description, '') AS text FROM postings
        WHERE {OPEN} AND {_KEY} IN (SELECT {_KEY} FROM postings WHERE {OPEN}{{within}} GROUP BY 1 HAVING count(*) > 1)
        ORDER BY id"""
    if keys is None:
        yield from db.execute(sql.format(within=""))
        return
    for row in rows_in(db, sql.format(within=f" AND {_KEY} IN ({{ids}})"), sorted(set(keys))):
        yield row["id"], row["k"], row["text"]


def refresh_groups(db: sqlite_utils.Database, changed: Iterable[str] | None = None) -> int:
    """Recompute posting_groups from the open postings (in the caller's transaction); returns the groups formed.

    With `changed` (ids of postings new, changed or closed since the last refresh), only the groups of their
    lab/company/title keys are recomputed: groups never span two keys, so the table ends as a full refresh
    leaves it."""
    if changed is None:
        db.execute("DELETE FROM posting_groups")
        groups = near_duplicate_groups(candidate_rows(db))
    else:
        keys = [row["k"] for row in rows_in(db, f"SELECT DISTINCT {_KEY} AS k FROM postings WHERE id IN ({{ids}})",
                                            sorted(set(changed)))]
        if not keys:
            return 0
        execute_in(db, f"DELETE FROM posting_groups WHERE posting_id IN (SELECT id FROM postings WHERE {_KEY} IN "
                       "({ids}))", keys)
        groups = near_duplicate_groups(candidate_rows(db, keys))
    rows = [{"posting_id": member, "lead_id": members[0], "size": len(members)}
            for members in groups for member in members]
    if rows:
        db.table("posting_groups").insert_all(rows, pk="posting_id", batch_size=300)
    return len(groups)


def regroup(db: sqlite_utils.Database) -> int:
    """refresh_groups in a transaction of its own."""
    with write_transaction(db):
        return refresh_groups(db)


# SQL pieces for ranked lists: join `g` for a posting's group, keep leads only, say how many more places.
GROUP_JOIN = "LEFT JOIN posting_groups g ON g.posting_id = p.id"
LEADS_ONLY = "(g.lead_id IS NULL OR g.lead_id = p.id)"
MORE_PLACES = ("CASE WHEN g.size > 1 THEN ' +' || (g.size - 1) || CASE WHEN g.size = 2 THEN ' location' "
               "ELSE ' locations' END ELSE '' END")
