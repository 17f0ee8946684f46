"""A round-robin AutoGen team (planner → coder → critic) routed by BROKE.

Each agent has its own model client pointed at the BROKE AutoGen bridge. The bridge reads the
agent's identity from its system message and message names, and keeps the whole group chat as
one session. model_info is read from the bridge's /v1/models entry, so nothing is guessed.
Run: BROKE_BASE_URL=http://127.0.0.1:8787/autogen/v1 python examples/autogen/team.py
"""

import asyncio
import json
import os

from broke_env import BASE_URL, model_info  # noqa: E402, I001  (before autogen: it sets the environment)

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_agentchat.conditions import MaxMessageTermination  # noqa: E402
from autogen_agentchat.teams import RoundRobinGroupChat  # noqa: E402
from autogen_ext.models.openai import OpenAIChatCompletionClient  # noqa: E402

MAX_TOKENS = int(os.environ.get("BROKE_MAX_TOKENS", "16"))
ROUNDS = int(os.environ.get("BROKE_ROUNDS", "2"))


def client(stream: bool = False) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(
        model="broke-auto",
        base_url=BASE_URL,
        api_key=os.environ["OPENAI_API_KEY"],
        model_info=model_info("broke-auto"),
        max_tokens=MAX_TOKENS,
        temperature=0.0,
        max_retries=0,
        **({"stream_options": {"include_usage": True}} if stream else {}),
    )


async def main() -> None:
    planner = AssistantAgent(
        "planner", model_client=client(), system_message="You are the planner. Break the task into steps."
    )
    coder = AssistantAgent(
        "coder",
        model_client=client(stream=True),
        model_client_stream=True,
        system_message="You are the coder. Write the code for the current step.",
    )
    critic = AssistantAgent(
        "critic", model_client=client(), system_message="You are the critic. Review the code and reply APPROVE."
    )
    agents = [planner, coder, critic]
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(1 + ROUNDS * len(agents)))
    result = await team.run(task="Write a function that reverses a string.")
    sources = [m.source for m in result.messages]
    print(json.dumps({"ok": True, "messages": len(result.messages), "sources": sources, "stop": result.stop_reason}))


if __name__ == "__main__":
    asyncio.run(main())
