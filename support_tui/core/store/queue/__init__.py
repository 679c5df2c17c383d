"""The turn queue: customers' messages waiting in ``turn_jobs`` for a worker.

- ``jobs``: its typed values and constants (``TurnJob``, leases, attempts, the give-up reply).
- ``turn_queue``: the queue's half of ``SQLSupportStore``, written once for both databases;
  ``job_claims`` (SKIP LOCKED vs BEGIN IMMEDIATE) and ``worker_presence`` (advisory lock vs the
  process) are the parts that differ by dialect, one each.
"""
