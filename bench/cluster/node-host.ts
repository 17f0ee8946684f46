/**
 * A process that hosts the emulated nodes of one benchmark run, so their timers do not share an
 * event loop (and CPU time) with the harness that measures them.
 *
 *   node --import tsx bench/cluster/node-host.ts <spec.json>
 * spec: { "profiles": HardwareProfile[], "outputs": { "<prompt hash>": tokens },
 *         "lengths": [{ "match": "<phrase>", "tokens": N }] }
 * `lengths` serve prompts a framework builds (bench/crew-parallel): the first phrase the prompt
 * contains gives its answer length.
 * Prints one JSON line `{"nodes":[{"id","url","model"}]}` once every node listens. Stops on
 * SIGTERM/SIGINT and when its stdin closes (the harness died), so no node outlives a run.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ClusterProfileSchema } from '../../packages/core/src/simulation/index.js';
import { type EmulatedNode, startEmulatedNode } from './emulated-node.js';

const specPath = process.argv[2];
if (!specPath) {
  console.error('usage: node-host.ts <spec.json>');
  process.exit(2);
}
const spec = z
  .object({
    profiles: ClusterProfileSchema,
    outputs: z.record(z.string(), z.number()).optional(),
    lengths: z.array(z.object({ match: z.string().min(1), tokens: z.number().int().positive() })).optional(),
  })
  .parse(JSON.parse(readFileSync(specPath, 'utf8')));
const outputs = new Map(Object.entries(spec.outputs ?? {}));
const lengths = spec.lengths;
const lengthOf = lengths
  ? (prompt: string) => lengths.find((l) => prompt.includes(l.match))?.tokens
  : undefined;
const nodes: EmulatedNode[] = [];
for (const profile of spec.profiles)
  nodes.push(await startEmulatedNode({ profile, outputs, ...(lengthOf ? { lengthOf } : {}) }));
console.log(
  JSON.stringify({ nodes: nodes.map((n) => ({ id: n.id, url: n.url, model: n.profile.model.id })) }),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void Promise.all(nodes.map((n) => n.stop())).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
