"""A SelectorGroupChat (planner, coder, critic) with AutoGen's default system messages, routed by BROKE.

AutoGen never puts an agent's own name on the wire, so each agent's model client says who it is
with one header: default_headers={"X-Broke-Role": name}. The bridge recognises the team's
speaker-selection calls (role "selector") and keeps each team run as one session, so running the
same task twice gives two sessions. After each run the script rates what one role did, by role,
without handling any route id: POST {base_url}/feedback {"role": ..., "last": n, "score": ...}.

Run: BROKE_BASE_URL=http://127.0.0.1:8787/autogen/v1 python examples/autogen/selector_team.py
"""

import asyncio
import json
import os
import urllib.request

from broke_env import BASE_URL, model_info  # noqa: E402, I001  (before autogen: it sets the environment)

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_agentchat.conditions import MaxMessageTermination  # noqa: E402
from autogen_agentchat.teams import SelectorGroupChat  # noqa: E402
from autogen_ext.models.openai import OpenAIChatCompletionClient  # noqa: E402

MAX_TOKENS = int(os.environ.get("BROKE_MAX_TOKENS", "16"))
TURNS = int(os.environ.get("BROKE_TURNS", "3"))
RUNS = int(os.environ.get("BROKE_RUNS", "2"))
# Scores by role for each run's turns, e.g. "planner:1,coder:0,critic:1" (your judge goes here).
RATE = dict((r, float(s)) for r, s in (p.split(":") for p in os.environ.get("BROKE_RATE", "").split(",") if p))
# A fixed speaker order (e.g. "planner,coder,critic") instead of the model's choice: the test bed's
# random-weight models cannot name a speaker, and AutoGen warns when selection fails.
TURN_ORDER = [n for n in os.environ.get("BROKE_TURN_ORDER", "").split(",") if n]
NAMES = ["planner", "coder", "critic"]
TASK = os.environ.get(
    "BROKE_TASK",
    "Write a Python function that reverses a string, with unit tests for empty and unicode input.",
)


def client(role: str | None = None) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="broke-auto",
        base_url=BASE_URL,
        api_key=os.environ["OPENAI_API_KEY"],
        model_info=model_info("broke-auto"),
        max_tokens=MAX_TOKENS,
        temperature=0.0,
        max_retries=0,
        # The one line that tells BROKE which agent is calling.
        **({"default_headers": {"X-Broke-Role": role}} if role else {}),
    )


def rate(role: str, score: float, last: int) -> list[str]:
    """Feedback by selection: the last `last` routes of `role`; answers with the route ids rated."""
    body = json.dumps({"role": role, "last": last, "score": score}).encode()
    req = urllib.request.Request(
        f"{BASE_URL}/feedback", data=body, method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)["route_ids"]


def scripted_selector(messages):
    speakers = [m.source for m in messages if m.source in NAMES]
    return TURN_ORDER[len(speakers) % len(TURN_ORDER)]


async def main() -> None:
    agents = [AssistantAgent(name, model_client=client(name)) for name in NAMES]
    team = SelectorGroupChat(
        agents,
        model_client=client(),
        termination_condition=MaxMessageTermination(1 + TURNS),
        **({"selector_func": scripted_selector} if TURN_ORDER else {}),
    )
    runs = []
    for _ in range(RUNS):
        await team.reset()
        result = await team.run(task=TASK)
        sources = [m.source for m in result.messages]
        rated = []
        for role, score in RATE.items():
            if sources.count(role):
                rated += rate(role, score, sources.count(role))
        runs.append({"sources": sources, "rated": rated})
    print(json.dumps({"ok": True, "runs": runs}))


if __name__ == "__main__":
    asyncio.run(main())
