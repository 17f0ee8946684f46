"""A parallel CrewAI crew routed by BROKE, for the parallel-team benchmark (bench/crew-parallel/run.ts).

One kickoff: three agents with different roles work at once (`Task(async_execution=True)`), then an
editor joins their outputs (a sync task with the three as context). Every agent talks to the BROKE
CrewAI bridge by base URL alone; each kickoff sends its own `X-Broke-Session`, so the concurrent
async tasks share the run's session (what the router's team-slack factor reads). No tools.

  python crew.py --describe             # the tasks and the answer length each should have (JSON)
  python crew.py --kickoffs N           # N kickoffs, one JSON line each
  python crew.py --stdin                # one kickoff per stdin line {"session": ..., "topic": ..., "model": ...}

Env: BROKE_BASE_URL (default http://127.0.0.1:8787/crewai/v1), BROKE_MAX_TOKENS (default 512),
BROKE_TEAM (default crew-parallel). A failed kickoff prints {"ok": false, "error": ...} and exits 1.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid

# The tasks: role, description ({topic} filled per kickoff), the answer length the benchmark's
# emulated nodes give it (tokens; matched on the description's fixed words) and its hidden
# difficulty 0..1 (what the benchmark's oracle scores the serving model's answer by; the router
# never sees it). Different lengths per role, so one parallel task is long and the run waits for it.
TASKS = [
    {
        "role": "Market Analyst",
        "goal": "Survey the market for {topic}",
        "description": "Survey the market for {topic} in depth: players, prices, trends and outlook.",
        "expected": "A long market survey.",
        "tokens": 480,
        "difficulty": 0.8,
        "async": True,
    },
    {
        "role": "Risk Researcher",
        "goal": "Find the risks of {topic}",
        "description": "List the main risks of {topic}, one line each.",
        "expected": "A list of risks.",
        "tokens": 160,
        "difficulty": 0.5,
        "async": True,
    },
    {
        "role": "Fact Checker",
        "goal": "Check facts about {topic}",
        "description": "Name two facts about {topic} a reader could check.",
        "expected": "Two facts.",
        "tokens": 48,
        "difficulty": 0.15,
        "async": True,
    },
    {
        "role": "Editor",
        "goal": "Merge the briefs on {topic}",
        "description": "Merge the three briefs on {topic} into one short summary.",
        "expected": "A short summary.",
        "tokens": 120,
        "difficulty": 0.5,
        "async": False,
    },
]


def describe() -> None:
    fixed = [dict(t, match=t["description"].split("{topic}")[0].strip()) for t in TASKS]
    print(json.dumps({"tasks": fixed}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--describe", action="store_true")
    mode.add_argument("--kickoffs", type=int)
    mode.add_argument("--stdin", action="store_true")
    args = parser.parse_args()
    if args.describe:
        describe()
        return 0
    if args.kickoffs is not None and args.kickoffs < 1:
        parser.error("--kickoffs must be at least 1")

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../examples/crewai"))
    import offline_env  # noqa: F401  (must come before crewai)
    from crewai import LLM, Agent, Crew, Process, Task
    from crewai.tasks.task_output import TaskOutput

    base_url = os.environ.get("BROKE_BASE_URL", "http://127.0.0.1:8787/crewai/v1")
    max_tokens = int(os.environ.get("BROKE_MAX_TOKENS", "512"))
    team = os.environ.get("BROKE_TEAM", "crew-parallel")

    def kickoff(session: str, topic: str, model: str) -> dict:
        # One LLM per kickoff: its default headers name the run's session for every agent.
        llm = LLM(
            model=model,  # a BROKE profile: broke-auto, broke-latency, broke-quality, broke-<name>
            provider="openai",
            base_url=base_url,
            api_key=os.environ["OPENAI_API_KEY"],
            max_tokens=max_tokens,
            temperature=0.0,
            max_retries=0,
            default_headers={"X-Broke-Team": team, "X-Broke-Session": session},
        )
        agents, tasks = [], []
        for spec in TASKS:
            agent = Agent(
                role=spec["role"], goal=spec["goal"], backstory="You work in a small research team.",
                llm=llm, tools=[], max_iter=1, allow_delegation=False, verbose=False,
            )
            agents.append(agent)
            tasks.append(
                Task(
                    description=spec["description"], expected_output=spec["expected"], agent=agent,
                    async_execution=spec["async"],
                    # The join: the editor reads the three parallel outputs.
                    context=[t for t in tasks] if not spec["async"] else None,
                )
            )
        done: list[dict] = []
        lock = threading.Lock()
        t0 = time.perf_counter()

        def on_task_done(output: TaskOutput) -> None:
            # Async tasks finish in their own threads.
            with lock:
                done.append({"role": output.agent, "done_s": round(time.perf_counter() - t0, 3)})

        crew = Crew(
            agents=agents, tasks=tasks, process=Process.sequential, verbose=False, task_callback=on_task_done,
        )
        result = crew.kickoff(inputs={"topic": topic})
        wall = time.perf_counter() - t0
        return {
            "ok": True,
            "session": session,
            "topic": topic,
            "wall_s": round(wall, 3),
            "tasks": done,
            "outputs": len(result.tasks_output),
        }

    def run(session: str, topic: str, model: str = "broke-auto") -> None:
        try:
            line = kickoff(session, topic, model)
        except Exception as err:  # noqa: BLE001  (any failure ends the run with a readable line)
            print(json.dumps({"ok": False, "session": session, "error": f"{type(err).__name__}: {err}"}), flush=True)
            sys.exit(1)
        print(json.dumps(line), flush=True)

    if args.stdin:
        for raw in sys.stdin:
            if not raw.strip():
                continue
            try:
                cmd = json.loads(raw)
                session, topic = str(cmd["session"]), str(cmd.get("topic", "routing"))
                model = str(cmd.get("model", "broke-auto"))
            except (ValueError, KeyError, TypeError):
                print(json.dumps({"ok": False, "error": f"bad command line: {raw.strip()[:200]}"}), flush=True)
                return 1
            run(session, topic, model)
    else:
        for i in range(args.kickoffs):
            run(f"crew-{uuid.uuid4().hex[:12]}", f"topic {i}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
