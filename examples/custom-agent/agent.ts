/**
 * A custom agent team over plain HTTP: no framework, no SDK — just fetch, the OpenAI wire format
 * and BROKE's role headers. A planner writes a plan, a worker streams an answer, a checker
 * judges it, and the checker's verdict goes back to BROKE as feedback on the worker's route.
 * BROKE's quality temperature (`x-broke-quality-temperature`) is a signal the team acts on: when
 * the worker's answer comes back orange or red, the checker asks for a second, careful review
 * on the quality profile before trusting it.
 *
 * Run against a gateway: npx tsx examples/custom-agent/agent.ts http://127.0.0.1:8787
 */

export interface Turn {
  role: string;
  routeId: string;
  node: string;
  model: string;
  /** green / yellow / orange / red: how much to trust this answer (docs/routing.md). */
  temperature: string;
  text: string;
}

interface AgentOptions {
  baseUrl: string;
  team?: string;
  session?: string;
  maxTokens?: number;
  apiKey?: string;
}

function headers(o: AgentOptions, role: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-broke-role': role,
    'x-broke-team': o.team ?? 'custom',
    'x-broke-session': o.session ?? 'custom-session',
    'x-broke-framework': 'custom',
    ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
  };
}

function turn(role: string, res: Response, text: string): Turn {
  return {
    role,
    text,
    routeId: res.headers.get('x-broke-route-id') ?? '',
    node: res.headers.get('x-broke-node') ?? '',
    model: res.headers.get('x-broke-model') ?? '',
    temperature: res.headers.get('x-broke-quality-temperature') ?? '',
  };
}

/** One non-streaming call (`model`: a BROKE profile, default the cluster's own). */
async function ask(o: AgentOptions, role: string, content: string, model = 'broke-auto'): Promise<Turn> {
  const res = await fetch(`${o.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: headers(o, role),
    body: JSON.stringify({
      model,
      max_tokens: o.maxTokens ?? 16,
      messages: [{ role: 'user', content }],
    }),
  });
  if (!res.ok) throw new Error(`${role}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { choices: Array<{ message: { content: string | null } }> };
  return turn(role, res, body.choices[0]?.message.content ?? '');
}

/** One streaming call, reading the SSE stream by hand. */
async function askStreaming(o: AgentOptions, role: string, content: string): Promise<Turn> {
  const res = await fetch(`${o.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: headers(o, role),
    body: JSON.stringify({
      model: 'broke-auto',
      stream: true,
      max_tokens: o.maxTokens ?? 16,
      // BROKE-specific context can also ride in the body; headers win when both are set.
      metadata: { task_type: 'creative' },
      messages: [{ role: 'user', content }],
    }),
  });
  if (!res.ok || !res.body) throw new Error(`${role}: ${res.status} ${await res.text()}`);
  let text = '';
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const data = JSON.parse(event.slice(6)) as {
        error?: { message: string };
        choices?: Array<{ delta?: { content?: string } }>;
      };
      if (data.error) throw new Error(`${role}: stream failed: ${data.error.message}`);
      text += data.choices?.[0]?.delta?.content ?? '';
    }
  }
  return turn(role, res, text);
}

/** Temperatures at which the team does not take an answer on trust. */
const DOUBLE_CHECK = new Set(['orange', 'red']);

export async function runCustomAgent(
  o: AgentOptions,
): Promise<{ turns: Turn[]; feedback: number; rechecked: boolean }> {
  const plan = await ask(o, 'planner', 'Plan how to explain load balancing in two steps.');
  const work = await askStreaming(o, 'worker', `Follow this plan and write the explanation:\n${plan.text}`);
  const turns = [plan, work];
  let check = await ask(o, 'checker', `Is this explanation correct? Answer yes or no.\n${work.text}`);
  turns.push(check);
  const rechecked = DOUBLE_CHECK.has(work.temperature);
  if (rechecked) {
    // BROKE is not confident in the worker's model here: review again, on the quality profile.
    check = await ask(
      o,
      'checker',
      `Check this explanation line by line for mistakes, then answer yes or no.\n${work.text}`,
      'broke-quality',
    );
    turns.push(check);
  }
  // The checker's verdict becomes feedback on the worker's route: BROKE learns which model
  // writes answers that pass review for this role.
  const score = /\byes\b/i.test(check.text) ? 1 : 0;
  const res = await fetch(`${o.baseUrl}/v1/feedback`, {
    method: 'POST',
    headers: headers(o, 'checker'),
    body: JSON.stringify({ route_id: work.routeId, score }),
  });
  return { turns, feedback: res.status, rechecked };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const baseUrl = process.argv[2] ?? 'http://127.0.0.1:8787';
  runCustomAgent({ baseUrl }).then(
    (r) => {
      for (const t of r.turns)
        console.log(
          `${t.role} → ${t.node}/${t.model} (${t.routeId}, ${t.temperature}): ${JSON.stringify(t.text)}`,
        );
    },
    (err) => {
      console.error(String(err));
      process.exit(1);
    },
  );
}
