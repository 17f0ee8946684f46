"""An AutoGen agent with a tool, routed by BROKE (examples/autogen/tools.test.ts).

AssistantAgent sends its tools as an OpenAI `tools` list, so the gateway routes the request only
to models whose `capabilities` list `tools` (what `broke-cluster init` writes for a model whose
chat template renders them). model_info comes from the bridge's /v1/models entry: `function_calling`
is true when a model the profile can pick takes tools. Prints one JSON line.
Run: BROKE_BASE_URL=http://127.0.0.1:8787/autogen/v1 python examples/autogen/tool_agent.py
"""

import asyncio
import json
import os

from broke_env import BASE_URL, model_info  # noqa: E402, I001  (before autogen: it sets the environment)

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_ext.models.openai import OpenAIChatCompletionClient  # noqa: E402



def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is sunny in {city}."


async def main() -> None:
    info = model_info("broke-auto")
    client = OpenAIChatCompletionClient(
        model="broke-auto",
        base_url=BASE_URL,
        api_key=os.environ["OPENAI_API_KEY"],
        model_info=info,
        max_tokens=16,
        temperature=0.0,
        max_retries=0,
    )
    agent = AssistantAgent(
        "forecaster",
        model_client=client,
        tools=[get_weather],
        system_message="You are the forecaster. Use your tool to answer.",
    )
    result = await agent.run(task="What is the weather in Paris?")
    print(json.dumps({"ok": True, "function_calling": info["function_calling"], "messages": len(result.messages)}))


if __name__ == "__main__":
    asyncio.run(main())
