"""Keep CrewAI fully offline and quiet: no telemetry, no tracing, no model cost-map fetch.

Imported before crewai so the variables are in place when crewai reads them.
"""

import os

for key, value in {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_TRACKING": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_TESTING": "true",
    "OTEL_SDK_DISABLED": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_OFFLINE": "1",
    "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", "/nonexistent-offline"),
    "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "sk-dummy-offline"),
}.items():
    os.environ.setdefault(key, value)
