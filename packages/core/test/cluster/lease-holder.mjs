// Child process for the dead-replica test: a replica that takes one slot on node n1, says so,
// and holds it until it is killed (SIGKILL: no release, no renewal). argv: redis url, prefix,
// lease TTL ms, and the ReplicaState module (TypeScript source, run with `node --import tsx`).
const [, , url, prefix, ttl, module] = process.argv;
const { ReplicaState } = await import(module);
const { ClusterState } = await import(new URL('cluster-state.ts', module).href);
const cluster = new ClusterState([{ id: 'n1', maxConcurrency: 2, queueLimit: 8 }]);
const state = new ReplicaState({ url, prefix, cluster, leaseTtlMs: Number(ttl), onWarning: () => {} });
await state.start();
const slot = await state.acquire('n1', 0);
process.stdout.write(slot ? 'held\n' : 'refused\n');
setInterval(() => {}, 60_000);
