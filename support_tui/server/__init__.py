"""The customer channel: an HTTP API and a web chat over the engine, and the workers that answer queued turns.

- ``api``: the Starlette app (``create_app``): conversations, messages, a live stream, ``/chat``.
- ``tokens``: signed, conversation-scoped, expiring tokens for customers.
- ``config``: the channel's settings (API keys, the signing secret, limits) from config.toml and the environment.
- ``feed``: one watcher of the store's changes that wakes each conversation's live streams.
- ``worker``: ``TurnWorker``, which claims queued turns and runs them on the engine.

The channel reaches the engine and the store only through their Protocols (``SupportEngine``,
``SupportStore``); the command line (``support-tui serve``, ``support-tui worker``) wires the real ones.
"""
