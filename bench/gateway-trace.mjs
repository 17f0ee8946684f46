// Where a proxy's added latency goes: a preload (`node --import`) for the bench's stub, bare proxy
// and gateway processes, timing each request's legs with one clock all processes share
// (CLOCK_MONOTONIC via process.hrtime). BENCH_TRACE_ROLE=proxy in the bare proxy and the gateway,
// =node in the stub. On SIGTERM the process prints one `TRACE {json}` line of medians on stdout.
//
// client → proxy: [the proxy parses the request] arrival → upstream dispatch → [the node parses
// the request] … [the node writes its answer] → the proxy has the answer's headers → first byte
// out → [the client reads it]. The bench client stamps x-bench-c and times the leg back itself.
// The proxy stamps its dispatch into x-bench-t and the node its answer into x-bench-t2, so the two
// transits between them are measured across processes, not guessed.
import { AsyncLocalStorage } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import http from 'node:http';

const role = process.env.BENCH_TRACE_ROLE;
const now = () => Number(process.hrtime.bigint()) / 1e6;
/** Per leg: samples in ms. */
const legs = new Map();
const add = (leg, ms) => {
  const xs = legs.get(leg);
  if (xs) xs.push(ms);
  else legs.set(leg, [ms]);
};

if (role === 'node') {
  dc.subscribe('http.server.request.start', ({ request, response }) => {
    const sent = Number(request.headers['x-bench-t']);
    if (sent > 0) add(`requestTransit:${request.headers['x-bench-from']}`, now() - sent);
    // A request straight from the bench client: its leg in.
    const fromClient = Number(request.headers['x-bench-c']);
    if (fromClient > 0 && !(sent > 0)) add('clientToArrival', now() - fromClient);
    const writeHead = response.writeHead;
    response.writeHead = function (status, headers) {
      return writeHead.call(this, status, { ...headers, 'x-bench-t2': String(now()) });
    };
  });
} else if (role === 'proxy') {
  const from = process.env.BENCH_TRACE_NAME ?? 'proxy';
  const als = new AsyncLocalStorage();
  const answered = (r, stamp) => {
    r.headers = now();
    const t2 = Number(stamp);
    if (t2 > 0) add('responseTransit', r.headers - t2);
  };
  dc.subscribe('http.server.request.start', ({ request, response }) => {
    if (request.method !== 'POST') return;
    const r = { arrival: now() };
    const fromClient = Number(request.headers['x-bench-c']);
    if (fromClient > 0) add('clientToArrival', r.arrival - fromClient);
    response.benchTrace = r;
    als.enterWith(r);
  });
  // The gateway's upstream client (drivers/upstream-pool.ts).
  dc.subscribe('broke:upstream:request', ({ request }) => {
    const r = als.getStore();
    if (!r) return;
    r.dispatch = now();
    request.benchTrace = r;
    request.headers = { ...request.headers, 'x-bench-t': String(r.dispatch), 'x-bench-from': from };
  });
  dc.subscribe('broke:upstream:headers', ({ request, headers }) => {
    const r = request?.benchTrace;
    if (r) answered(r, headers['x-bench-t2']);
  });
  // The bare proxy's upstream client (node:http).
  const request = http.request;
  http.request = (options, callback) => {
    const r = als.getStore();
    if (!r) return request(options, callback);
    r.dispatch = now();
    options.headers = { ...options.headers, 'x-bench-t': String(r.dispatch), 'x-bench-from': from };
    const req = request(options, callback);
    req.prependListener('response', (res) => answered(r, res.headers['x-bench-t2']));
    return req;
  };
  for (const method of ['writeHead', 'write', 'end']) {
    const original = http.ServerResponse.prototype[method];
    http.ServerResponse.prototype[method] = function (...args) {
      const r = this.benchTrace;
      if (r && r.out === undefined) {
        r.out = now();
        // The first byte's instant goes to the client, which times the leg back.
        if (method === 'writeHead' && args[1] && typeof args[1] === 'object' && !Array.isArray(args[1]))
          args[1] = { ...args[1], 'x-bench-t3': String(r.out) };
        if (r.dispatch !== undefined) add('arrivalToDispatch', r.dispatch - r.arrival);
        if (r.headers !== undefined) add('headersToFirstByte', r.out - r.headers);
      }
      return original.apply(this, args);
    };
  }
}

process.prependListener('SIGTERM', () => {
  const out = {};
  for (const [leg, xs] of legs) {
    xs.sort((a, b) => a - b);
    out[leg] = { n: xs.length, p50: xs[Math.floor(xs.length / 2)] };
  }
  process.stdout.write(`TRACE ${JSON.stringify(out)}\n`);
});
