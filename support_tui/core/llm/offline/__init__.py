"""The deterministic offline support model, served to LiteLLM as the ``offline/...`` custom provider."""

from .provider import PROVIDER, OfflineAnswer, OfflineSupportModel, decide, register_offline_provider

__all__ = ["PROVIDER", "OfflineAnswer", "OfflineSupportModel", "decide", "register_offline_provider"]
