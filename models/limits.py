"""Limits on what a client may send: sizes, integer ranges, JSON depth (the numbers only).

The API's parameter constraints, its request schemas, the input guard and ingest all read them
here; `ocr_service.limits` has the checks that apply them.
"""

from __future__ import annotations

# PostgreSQL INTEGER (int4) holds record versions and page numbers; a larger number is bad input,
# not a database overflow.
MAX_INT32 = 2**31 - 1
MAX_PAGE_NUMBER = 100_000  # far above Settings.max_pages; keeps OFFSET/LIMIT arithmetic small
MAX_LIST_PAGE = 1_000_000  # `page` of a paginated list
MAX_ID_LEN = 64  # ledger and record ids are 32 hex digits
MAX_QUERY_TEXT = 200  # filters (commune, register, status, format…)
MAX_FORM_TEXT = 1_000  # upload form fields; BookMeta then applies each column's own width
MAX_PASSWORD_LEN = 200  # as the login form accepts; argon2 hashes any length, slowly
MAX_NOTE_LEN = 4_000  # a clerk's note on a field
MAX_FIELDS_PER_EDIT = 200  # more than any register has
MAX_JSON_BODY = 1024**2  # a JSON request body (uploads have their own limit)
MAX_JSON_DEPTH = 32  # arrays/objects inside each other, in bodies and layout files
MAX_TARGET_LEN = 8_192  # path plus query string
