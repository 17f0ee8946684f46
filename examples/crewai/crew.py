"""A sequential CrewAI crew (researcher → writer → reviewer) routed by BROKE.

Every agent talks to the BROKE CrewAI bridge by base URL alone; the bridge reads each agent's role
from the prompt CrewAI builds, keeps each kickoff as one session and counts the crew's steps, so
the router can send the researcher, the writer and the reviewer to different models. A task
callback rates the reviewer's work by role (no route ids): POST {base_url}/feedback.
Run: BROKE_BASE_URL=http://127.0.0.1:8787/crewai/v1 python examples/crewai/crew.py
"""

import json
import os
import sys
import urllib.request

import offline_env  # noqa: F401  (must come before crewai)
from crewai import LLM, Agent, Crew, Process, Task
from crewai.tasks.task_output import TaskOutput

BASE_URL = os.environ.get("BROKE_BASE_URL", "http://127.0.0.1:8787/crewai/v1")
MAX_TOKENS = int(os.environ.get("BROKE_MAX_TOKENS", "24"))
KICKOFFS = int(os.environ.get("BROKE_KICKOFFS", "1"))
# Scores (0..1) by role for each finished task, e.g. "Researcher:1,Writer:1,Reviewer:0" (your judge
# goes here); empty: no rating.
SCORES = dict(
    (role, float(score)) for role, score in (p.split(":") for p in os.environ.get("BROKE_SCORES", "").split(",") if p)
)

# One LLM for the crew, by base URL alone. provider="openai" picks CrewAI's native OpenAI client
# (CrewAI 1.6 would otherwise look for LiteLLM, which it does not install).
llm = LLM(
    model="broke-auto",
    provider="openai",
    base_url=BASE_URL,
    api_key=os.environ["OPENAI_API_KEY"],
    max_tokens=MAX_TOKENS,
    temperature=0.0,
    max_retries=0,
    default_headers={"X-Broke-Team": "newsroom"},
)


def rate(role: str, score: float) -> list[str]:
    """Feedback by selection: the newest route of `role`; answers with the route ids it rated."""
    body = json.dumps({"role": role, "team": "newsroom", "last": 1, "score": score}).encode()
    req = urllib.request.Request(
        f"{BASE_URL}/feedback", data=body, method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)["route_ids"]


rated: list[str] = []


def on_task_done(output: TaskOutput) -> None:
    # Runs right after each task, in the kickoff's thread: the agent's last call is its newest route.
    if output.agent in SCORES:
        rated.extend(rate(output.agent, SCORES[output.agent]))


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

crew = Crew(
    agents=[researcher, writer, reviewer], tasks=tasks, process=Process.sequential, verbose=False,
    task_callback=on_task_done,
)

if __name__ == "__main__":
    outputs = []
    for _ in range(KICKOFFS):
        result = crew.kickoff(inputs={"topic": os.environ.get("BROKE_TOPIC", "routing")})
        outputs.append(len(result.tasks_output))
    print(json.dumps({"ok": True, "kickoffs": KICKOFFS, "tasks": outputs, "rated": rated}))
    sys.exit(0)
