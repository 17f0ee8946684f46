"""A sequential CrewAI crew (researcher → writer → reviewer) routed by BROKE.

Every agent talks to the BROKE CrewAI bridge; the bridge reads each agent's role from the prompt
CrewAI builds, so the router can send the researcher, the writer and the reviewer to different
models. Run: BROKE_BASE_URL=http://127.0.0.1:8787/crewai/v1 python examples/crewai/crew.py
"""

import json
import os
import sys
import uuid

import offline_env  # noqa: F401  (must come before crewai)
from crewai import LLM, Agent, Crew, Process, Task

BASE_URL = os.environ.get("BROKE_BASE_URL", "http://127.0.0.1:8787/crewai/v1")
SESSION = os.environ.get("BROKE_SESSION", f"crew-{uuid.uuid4().hex[:12]}")
MAX_TOKENS = int(os.environ.get("BROKE_MAX_TOKENS", "24"))

# One LLM for the crew; the session header keeps the whole crew as one BROKE session.
# provider="openai" picks CrewAI's native OpenAI SDK client (no LiteLLM, no model-name checks).
llm = LLM(
    model="broke-auto",
    provider="openai",
    base_url=BASE_URL,
    api_key=os.environ["OPENAI_API_KEY"],
    max_tokens=MAX_TOKENS,
    temperature=0.0,
    max_retries=0,
    default_headers={"X-Broke-Session": SESSION, "X-Broke-Team": "newsroom"},
)


def agent(role: str, goal: str, backstory: str) -> Agent:
    # No tools and one iteration: random-weight test models never produce a valid tool call.
    return Agent(
        role=role, goal=goal, backstory=backstory, llm=llm, tools=[], max_iter=1,
        allow_delegation=False, verbose=False,
    )


researcher = agent("Researcher", "Find three facts about {topic}", "You dig up accurate facts.")
writer = agent("Writer", "Write a short paragraph about {topic}", "You write clear prose.")
reviewer = agent("Reviewer", "Check the paragraph about {topic} for errors", "You are a strict editor.")

tasks = [
    Task(description="List three facts about {topic}.", expected_output="Three facts.", agent=researcher),
    Task(description="Write one paragraph about {topic} from the facts.", expected_output="A paragraph.", agent=writer),
    Task(description="Review the paragraph about {topic}.", expected_output="A verdict.", agent=reviewer),
]

crew = Crew(agents=[researcher, writer, reviewer], tasks=tasks, process=Process.sequential, verbose=False)

if __name__ == "__main__":
    result = crew.kickoff(inputs={"topic": os.environ.get("BROKE_TOPIC", "routing")})
    outputs = [t.raw for t in result.tasks_output]
    print(json.dumps({"ok": True, "session": SESSION, "tasks": len(outputs)}))
    sys.exit(0)
