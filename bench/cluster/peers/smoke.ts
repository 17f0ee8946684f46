/**
 * Smoke test of the peer gateways: two stub OpenAI-compatible nodes on loopback, then LiteLLM with
 * each routing strategy and Portkey in front of them, each sent streaming and non-streaming chat
 * completions. Checks 200s, streamed text intact (to [DONE]), both nodes used (load balancing),
 * each node got its own model id, `stream` / `stream_options` reached the node, and the gateway's
 * response headers name the node that served.
 *
 *   npx tsx bench/cluster/peers/smoke.ts [litellm|portkey ...]
 *
 * Installs the peers first when they are missing (see README.md). Loopback only, bounded: a few
 * dozen requests per peer. Exits non-zero on any failed check.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PeerGateway, type PeerNode, setupPeers, startLitellm, startPortkey } from './index.js';

const STREAMED = 10;
const PLAIN = 5;
/**
 * Streaming requests go out in waves this wide, one every STAGGER ms, so they overlap in flight:
 * least-busy only spreads overlapping load, and it counts a request as in flight only once its
 * call to the node starts, so requests that arrive at the same instant all pick the same node.
 */
const WAVE = 5;
const STAGGER_MS = 40;

interface Seen {
  requests: number;
  streamed: number;
  wrongModel: string[];
  streamOptions: number;
}

interface Stub {
  node: PeerNode;
  words: string[];
  seen: Seen;
  close(): Promise<void>;
}

const fresh = (): Seen => ({ requests: 0, streamed: 0, wrongModel: [], streamOptions: 0 });

/** An OpenAI-compatible node that answers every chat completion with its own recognisable text. */
async function startStub(id: string): Promise<Stub> {
  const model = `${id}-model`;
  const words = ['Reply', ' from', ` ${id}:`, ' one', ' two', ' three', ' four', ' — ünïcødé ✓'];
  const stub = { words, seen: fresh() } as Stub;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', async () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', owned_by: id }] }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const json = JSON.parse(body) as {
        model: string;
        stream?: boolean;
        stream_options?: { include_usage?: boolean };
      };
      stub.seen.requests++;
      if (json.model !== model) stub.seen.wrongModel.push(json.model);
      const usage = { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length };
      const base = { id: `chatcmpl-${id}`, created: Math.floor(Date.now() / 1000), model };
      if (!json.stream) {
        await sleep(60);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [
              { index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' },
            ],
            usage,
          }),
        );
        return;
      }
      stub.seen.streamed++;
      if (json.stream_options?.include_usage) stub.seen.streamOptions++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (const w of words) {
        await sleep(25);
        res.write(chunk({ content: w }, null));
      }
      res.write(chunk({}, 'stop'));
      if (json.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  stub.node = { id, baseUrl: `http://127.0.0.1:${port}/v1`, model };
  stub.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return stub;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  ok: boolean;
  text: string;
  /** The node the gateway's own response headers name, when they name one. */
  servedBy?: string | undefined;
  error?: string;
}

/**
 * Which node served a response, by the gateway's own headers: LiteLLM's x-litellm-model-id is the
 * deployment id (index.ts sets it to the node id); Portkey's x-portkey-last-used-option-index is
 * `config.targets[i]`, the i-th node.
 */
function servedBy(headers: Headers, nodes: PeerNode[]): string | undefined {
  const litellm = headers.get('x-litellm-model-id');
  if (litellm) return litellm;
  const m = /targets\[(\d+)\]/.exec(headers.get('x-portkey-last-used-option-index') ?? '');
  return m ? nodes[Number(m[1])]?.id : undefined;
}

async function chat(gw: PeerGateway, stream: boolean, nodes: PeerNode[]): Promise<Outcome> {
  const res = await fetch(`${gw.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer none', ...gw.headers },
    body: JSON.stringify({
      model: gw.model,
      messages: [{ role: 'user', content: 'Say something recognisable.' }],
      max_tokens: 32,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const raw = await res.text();
  const by = servedBy(res.headers, nodes);
  if (res.status !== 200) return { ok: false, text: '', error: `HTTP ${res.status}: ${raw.slice(0, 300)}` };
  if (!stream) {
    const json = JSON.parse(raw) as { choices: Array<{ message: { content: string } }> };
    return { ok: true, text: json.choices[0]?.message.content ?? '', servedBy: by };
  }
  let text = '';
  let done = false;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const json = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> };
    text += json.choices?.[0]?.delta?.content ?? '';
  }
  return done ? { ok: true, text, servedBy: by } : { ok: false, text, error: 'stream ended without [DONE]' };
}

async function exercise(name: string, start: () => Promise<PeerGateway>, stubs: Stub[]): Promise<boolean> {
  const nodes = stubs.map((s) => s.node);
  for (const s of stubs) s.seen = fresh();
  const t0 = performance.now();
  let gw: PeerGateway;
  try {
    gw = await start();
  } catch (err) {
    console.log(`FAIL ${name}: did not start: ${(err as Error).message}`);
    return false;
  }
  const startup = (performance.now() - t0) / 1000;
  const failures: string[] = [];
  const byNode = new Map<string, number>(stubs.map((s) => [s.node.id, 0]));
  const check = (o: Outcome, kind: string) => {
    if (!o.ok) return failures.push(`${kind}: ${o.error}`);
    const stub = stubs.find((s) => o.text === s.words.join(''));
    if (!stub) return failures.push(`${kind}: text garbled: ${JSON.stringify(o.text)}`);
    byNode.set(stub.node.id, (byNode.get(stub.node.id) ?? 0) + 1);
    if (o.servedBy !== stub.node.id)
      failures.push(`${kind}: headers name ${o.servedBy}, text is ${stub.node.id}'s`);
  };
  const t1 = performance.now();
  try {
    for (let i = 0; i < STREAMED; i += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, STREAMED - i) }, (_, j) =>
        sleep(j * STAGGER_MS).then(() => chat(gw, true, nodes)),
      );
      for (const o of await Promise.all(wave)) check(o, 'stream');
    }
    for (let i = 0; i < PLAIN; i++) check(await chat(gw, false, nodes), 'non-stream');
  } catch (err) {
    failures.push(`request failed: ${(err as Error).message}`);
  }
  const seconds = (performance.now() - t1) / 1000;
  const seen = stubs.map((s) => s.seen);
  const served = seen.reduce((a, s) => a + s.requests, 0);
  if (served !== STREAMED + PLAIN) failures.push(`nodes saw ${served} requests, not ${STREAMED + PLAIN}`);
  for (const s of stubs) {
    if (s.seen.requests === 0) failures.push(`node ${s.node.id} got no request: no load balancing`);
    if (s.seen.wrongModel.length)
      failures.push(`node ${s.node.id} got model(s) ${s.seen.wrongModel.join(', ')}`);
    if (s.seen.streamOptions !== s.seen.streamed) {
      failures.push(
        `node ${s.node.id}: stream_options reached it in ${s.seen.streamOptions}/${s.seen.streamed}`,
      );
    }
    if ((byNode.get(s.node.id) ?? 0) !== s.seen.requests) {
      failures.push(`node ${s.node.id}: answers say ${byNode.get(s.node.id)}, node saw ${s.seen.requests}`);
    }
  }
  await gw.stop();
  const stillUp = await fetch(`${gw.baseUrl.replace(/\/v1$/, '')}/`, { signal: AbortSignal.timeout(1_000) })
    .then(() => true)
    .catch(() => false);
  if (stillUp) failures.push('still answering after stop()');
  const split = stubs.map((s) => `${s.node.id} ${s.seen.requests} (${s.seen.streamed} streamed)`).join(', ');
  console.log(
    `${failures.length ? 'FAIL' : 'ok  '} ${name.padEnd(32)} start ${startup.toFixed(1).padStart(5)} s  ` +
      `${STREAMED} streamed + ${PLAIN} plain in ${seconds.toFixed(2)} s  split: ${split}`,
  );
  for (const f of failures) console.log(`       - ${f}`);
  return failures.length === 0;
}

const only = process.argv.slice(2);
const want = (peer: string) => only.length === 0 || only.includes(peer);

await setupPeers();
const stubs = [await startStub('alpha'), await startStub('beta')];
const nodes = stubs.map((s) => s.node);
console.log(`stub nodes: ${nodes.map((n) => `${n.id}=${n.baseUrl} (${n.model})`).join(', ')}`);
let allOk = true;
if (want('litellm')) {
  for (const strategy of ['simple-shuffle', 'least-busy', 'latency-based-routing'] as const) {
    allOk = (await exercise(`litellm ${strategy}`, () => startLitellm({ nodes, strategy }), stubs)) && allOk;
  }
}
if (want('portkey'))
  allOk = (await exercise('portkey loadbalance', () => startPortkey({ nodes }), stubs)) && allOk;
await Promise.all(stubs.map((s) => s.close()));
console.log(allOk ? 'smoke: all peers passed' : 'smoke: FAILED');
process.exit(allOk ? 0 : 1);
