"""Environment defaults that keep heavy imports offline and quiet; applied before they load."""

import os

_DEFAULTS = {
    # LiteLLM otherwise fetches a price list from the internet at import time.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # Models load by path; a hub lookup would hang offline.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # LanceDB's Rust logger writes WARN lines to stderr, over a running screen.
    "LANCEDB_LOG": "error",
}

for _key, _value in _DEFAULTS.items():
    os.environ.setdefault(_key, _value)
