"""The support records: their typed values and the one store that keeps them.

- ``values``: what crosses the ``SupportStore`` Protocol (``ConversationInfo``, ``StoredMessage``, ``TurnRecord`` ...).
- ``support_store``: ``SQLSupportStore``, the Protocol's one implementation, on SQLite and PostgreSQL alike;
  ``change_feed``, ``turn_order`` and ``explicit_ids`` are the parts of it that differ by dialect, one each.
- ``metric_queries`` / ``metric_readers``: the reads metrics make (the exporter's thread included).
- ``migrations``: the records' Alembic revisions (component ``support``); ``release_schema``: the steps the
  release before Alembic applied, which the baseline revision completes in place.
"""
