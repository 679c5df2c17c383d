"""The model layer: LiteLLM calls with a fallback chain that always ends in the offline model."""

import logging
import os
import warnings

import support_tui.core.offline_env  # noqa: F401  (sets LiteLLM's environment before it loads)

import litellm

litellm.suppress_debug_info = True
litellm.set_verbose = False
if not os.environ.get("LITELLM_LOG"):
    # LiteLLM's own handler writes to stderr, which would draw over a running console.
    for _name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(_name).setLevel(logging.CRITICAL + 1)
# Pydantic warns about LiteLLM's own types on their first use, mid-call, on stderr.
warnings.filterwarnings("ignore", message=r".*`ReadOnly` qualifier", category=UserWarning)

from support_tui.core.llm.chain import available_models, model_chain  # noqa: E402
from support_tui.core.llm.client import (  # noqa: E402
    ModelChainExhausted,
    ModelClient,
    ModelFailure,
    ModelReply,
    ReplyDone,
    TextDelta,
    ToolCallRequest,
)
from support_tui.core.llm.offline import register_offline_provider  # noqa: E402
from support_tui.core.llm.redact import redact_pii  # noqa: E402

register_offline_provider()

__all__ = [
    "ModelChainExhausted",
    "ModelClient",
    "ModelFailure",
    "ModelReply",
    "ReplyDone",
    "TextDelta",
    "ToolCallRequest",
    "available_models",
    "model_chain",
    "redact_pii",
]

# Priced at zero in LiteLLM's own table: an unknown model sends LiteLLM's logging through a
# slow search of its price list on every call (about 5 ms a call, measured).
litellm.register_model(
    {
        "offline/support-agent": {
            "litellm_provider": "offline",
            "mode": "chat",
            "input_cost_per_token": 0.0,
            "output_cost_per_token": 0.0,
            "max_tokens": 8192,
            "max_input_tokens": 128000,
            "max_output_tokens": 8192,
            "supports_function_calling": True,
        }
    }
)
