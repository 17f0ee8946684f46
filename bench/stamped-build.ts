/**
 * A copy of the core build with a stage stamp (`globalThis.__brokeStage?.(label)`) at each step of
 * a chat request's critical path, for bench/gateway-cold.ts: bench/gateway-cold.mjs, preloaded,
 * times each stamp from the request's arrival (a.*) or from the node's headers (b.*). The copy
 * lives under node_modules/ so its dependencies resolve; the workspace's own build is not touched.
 * An anchor that no longer matches the build throws, naming it: update ANCHORS with the code.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The stamps in path order, with what the step up to each does (a.*: from the request's arrival; b.*: from the node's headers). */
export const STAGE_STEPS: ReadonlyArray<readonly [string, string]> = [
  ['a.handler', "the chat lane's checks (key, body size, client slots): the chat handler starts"],
  ['a.parsed', 'body read, JSON parsed and checked'],
  ['a.routing', 'agent context read, route request built'],
  ['a.analysed', 'model selected, prompt analysed (complexity, task type, tokens)'],
  ['a.piped', 'filters, scorers and picker run'],
  ['a.routed', "the route's record kept (explanation, route log, affinity)"],
  ['a.dispatch', "node slot taken, the node's request built and sent"],
  ['b.sse', "the node's answer read (HTTP/1.1, chunked) and handed to the SSE reader"],
  ['b.first', 'SSE payloads split, first batch back at dispatch'],
  ['b.framing', 'dispatch and serving return the stream to the HTTP layer'],
  ['b.relay', 'response headers set (they leave with the first byte), SSE sink made, relay starts'],
  ['b.write', 'payloads checked and rewritten, the first byte written'],
];

/**
 * Where the stamps go: text found exactly once in a file of packages/core/dist, and what replaces
 * it (`$STAMP(label)` is the stamp call). a.dispatch and b.write are the preload's own.
 */
const ANCHORS: ReadonlyArray<{ file: string; find: string; replace: string }> = [
  {
    file: 'http/chat-completions.js',
    find: 'const t0 = performance.now();',
    replace: 'const t0 = performance.now(); $STAMP(a.handler)',
  },
  {
    file: 'http/chat-completions.js',
    find: 'stream = body.stream === true;',
    replace: '$STAMP(a.parsed) stream = body.stream === true;',
  },
  {
    file: 'serving/serve-chat.js',
    find: 'decision = deps.router.route(routeRequest, ctx);',
    replace: '$STAMP(a.routing) decision = deps.router.route(routeRequest, ctx); $STAMP(a.routed)',
  },
  {
    file: 'routing/router.js',
    find: 'const rules = this.rules.match(',
    replace: '$STAMP(a.analysed) const rules = this.rules.match(',
  },
  {
    file: 'routing/router.js',
    find: 'const routeId = this.ids.next();',
    replace: '$STAMP(a.piped) const routeId = this.ids.next();',
  },
  {
    file: 'drivers/sse-payloads.js',
    find: 'const batch = this.parse(part);',
    replace: '$STAMP(b.sse) const batch = this.parse(part);',
  },
  {
    file: 'serving/serve-chat.js',
    find: 'return { iter, first: await iter.next() };',
    replace: 'const first = await iter.next(); $STAMP(b.first) return { iter, first };',
  },
  {
    file: 'http/chat-completions.js',
    find: 'x.sse(headers,',
    replace: '$STAMP(b.framing) x.sse(headers,',
  },
  { file: 'serving/served-stream.js', find: 'async relay(s) {', replace: 'async relay(s) { $STAMP(b.relay)' },
];

/** Makes the stamped copy of `dist` and returns the file URL of its index.js. */
export function stampedBuild(dist: string, nodeModules: string): string {
  const out = join(nodeModules, '.broke-stages');
  rmSync(out, { recursive: true, force: true });
  cpSync(dist, out, { recursive: true });
  for (const stage of ANCHORS) {
    const file = join(out, stage.file);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(stage.find);
    if (at === -1 || text.indexOf(stage.find, at + 1) !== -1)
      throw new Error(`stamped-build: "${stage.find}" is not in ${stage.file} exactly once`);
    const replacement = stage.replace.replace(/\$STAMP\(([\w.]+)\)/g, "globalThis.__brokeStage?.('$1');");
    writeFileSync(file, text.slice(0, at) + replacement + text.slice(at + stage.find.length));
  }
  return pathToFileURL(join(out, 'index.js')).href;
}
