"""The learner's data: one SQLite file of events, and the tables derived from them.

This package is the only place in mlpath with SQL (a test checks): ``db`` opens the file and
runs transactions, ``migrations`` keeps the schema, ``events`` is the event log and its
rules, and one module a kind of record (``topics``, ``entries``, ``registers`` for settings,
breaks and followed roadmaps, ``projects``, ``changes`` for undo, ``legacy`` for data from
before events had ids) offers typed functions. Core modules keep the rules a learner sees.
"""

from mlpath.store.db import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Store,
    StoreReadOnlyError,
    connect_read_only,
    copy_to,
    count_records,
    facts,
    fsync_path,
    identify,
    inspect,
    remove_stale_temp_files,
    schema_version,
    stale_temp_files,
    utc_now,
    verify,
)

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "Store",
    "StoreReadOnlyError",
    "connect_read_only",
    "copy_to",
    "count_records",
    "facts",
    "fsync_path",
    "identify",
    "inspect",
    "remove_stale_temp_files",
    "schema_version",
    "stale_temp_files",
    "utc_now",
    "verify",
]
