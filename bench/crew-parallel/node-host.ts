/**
 * The emulated Macs of the crew benchmark in a process of their own (their timers do not share an
 * event loop with the driver). Like bench/cluster/node-host.ts, plus answer lengths by content:
 * CrewAI builds the prompts, so a task's length is found by a fixed phrase of its description.
 *
 *   node --import tsx bench/crew-parallel/node-host.ts <spec.json>
 * spec: { "profiles": HardwareProfile[], "lengths": [{ "match": "<phrase>", "tokens": N }] }
 * Prints `{"nodes":[{"id","url","model"}]}` once every node listens; stops on SIGTERM/SIGINT and
 * when its stdin closes (the driver died).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ClusterProfileSchema } from '../../packages/core/src/simulation/index.js';
import { type EmulatedNode, startEmulatedNode } from '../cluster/emulated-node.js';

const SpecSchema = z.object({
  profiles: ClusterProfileSchema,
  lengths: z.array(z.object({ match: z.string().min(1), tokens: z.number().int().positive() })),
});

const specPath = process.argv[2];
if (!specPath) {
  console.error('usage: node-host.ts <spec.json>');
  process.exit(2);
}
const spec = SpecSchema.parse(JSON.parse(readFileSync(specPath, 'utf8')));
const lengthOf = (prompt: string) => spec.lengths.find((l) => prompt.includes(l.match))?.tokens;
const nodes: EmulatedNode[] = [];
for (const profile of spec.profiles) nodes.push(await startEmulatedNode({ profile, lengthOf }));
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
