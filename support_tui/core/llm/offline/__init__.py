"""The deterministic offline support model, served to LiteLLM as the ``offline/...`` custom provider."""

from .provider import PROVIDER, OfflineAnswer, OfflineSupportModel, bring_skill, decide, register_offline_provider

__all__ = ["PROVIDER", "OfflineAnswer", "OfflineSupportModel", "bring_skill", "decide", "register_offline_provider"]
