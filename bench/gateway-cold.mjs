// A preload (`node --import`) for bench/gateway-cold.ts: in the bare proxy, the routed proxy and
// the gateway, the wall time of the two stretches of a request that are the proxy's own work on
// its critical path, with the client sending one request at a time (one request in flight, so
// no async context is needed to pair the stamps: an AsyncLocalStorage, as bench/gateway-trace.mjs
// uses, slows every promise, and the gateway makes many more than the proxies do).
//   arrival → dispatch: the request parsed (http.server.request.start) → the node's request sent
//   node's headers → first byte out: the answer's head parsed → the first write to the client
// A build stamped by bench/stamped-build.ts also calls globalThis.__brokeStage(label) at each step:
// a.* timed from the arrival, b.* from the node's headers (`stages` in the line, medians).
// On SIGTERM it prints one `COLD {json}` line (medians, µs) on stdout.
import dc from 'node:diagnostics_channel';
import http from 'node:http';

const now = () => Number(process.hrtime.bigint()) / 1e3;
let arrival = 0;
let headers = 0;
let wrote = true;
const toDispatch = [];
const toFirstWrite = [];
/** Per stamp label, its time from the arrival (a.*) or the node's headers (b.*), µs. */
const stages = new Map();
const stamp = (label, base) => {
  if (!(base > 0)) return;
  const xs = stages.get(label);
  if (xs) xs.push(now() - base);
  else stages.set(label, [now() - base]);
};
globalThis.__brokeStage = (label) => stamp(label, label.startsWith('a.') ? arrival : headers);
dc.subscribe('http.server.request.start', ({ request }) => {
  if (request.method !== 'POST') return;
  arrival = now();
  headers = 0;
  wrote = false;
});
// The gateway's upstream client (drivers/upstream-pool.ts).
dc.subscribe('broke:upstream:request', () => {
  toDispatch.push(now() - arrival);
  stamp('a.dispatch', arrival);
});
dc.subscribe('broke:upstream:headers', () => {
  headers = now();
});
// The proxies' upstream client (node:http).
const request = http.request;
http.request = (options, callback) => {
  toDispatch.push(now() - arrival);
  const req = request(options, callback);
  req.prependListener('response', () => {
    headers = now();
  });
  return req;
};
for (const method of ['write', 'end']) {
  const original = http.ServerResponse.prototype[method];
  http.ServerResponse.prototype[method] = function (...args) {
    if (!wrote && headers > 0) {
      wrote = true;
      toFirstWrite.push(now() - headers);
      stamp('b.write', headers);
    }
    return original.apply(this, args);
  };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
process.prependListener('SIGTERM', () => {
  const out = {
    toDispatch: median(toDispatch),
    toFirstWrite: median(toFirstWrite),
    stages: Object.fromEntries([...stages].map(([label, xs]) => [label, median(xs)])),
  };
  console.log(`COLD ${JSON.stringify(out)}`);
});
