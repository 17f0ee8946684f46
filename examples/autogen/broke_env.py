"""What every AutoGen example here shares: an offline environment, the bridge's base URL and the
model_info the bridge advertises. Import it before autogen (it sets the environment AutoGen reads).
"""

import json
import os
import urllib.request

for key, value in {
    "OTEL_SDK_DISABLED": "true",
    "AUTOGEN_TELEMETRY": "false",
    "HF_HUB_OFFLINE": "1",
    "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "sk-dummy-offline"),
}.items():
    os.environ.setdefault(key, value)

BASE_URL = os.environ.get("BROKE_BASE_URL", "http://127.0.0.1:8787/autogen/v1")


def model_info(model: str) -> dict:
    """The bridge's AutoGen-shaped capabilities for `model` (its /v1/models entry), so nothing is guessed."""
    with urllib.request.urlopen(f"{BASE_URL}/models/{model}", timeout=10) as res:
        return json.load(res)["model_info"]
