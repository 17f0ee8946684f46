// The bare pass-through proxy (gateway-floor.mjs) plus BROKE's routing decision: the request is
// parsed and validated, its agent context read, routed by the same Router the gateway uses, and
// the outcome recorded once the answer is out. No failover, relay checks, metrics or hono. What this
// adds over the floor is the routing's own cost; what the gateway adds over this is its serving
// path. argv[2]: upstream base URL; argv[3]: the model name the upstream expects. Prints the URL.
import {
  BrokeConfigSchema,
  ClusterState,
  parseChatBody,
  parseJsonBody,
  Router,
  requestAgentContext,
} from '@broke/core';
import { startFloor } from './gateway-floor.mjs';

/**
 * The routed floor's work per request (startFloor's `admit`), over a Router of one node at
 * `target` serving `model`. bench/gateway-cold.ts times it in its own process too.
 */
export function routedAdmit(target, model) {
  const config = BrokeConfigSchema.parse({
    nodes: [
      {
        id: 'n',
        url: target.origin,
        kind: 'openai',
        models: [{ id: 'm', servedName: model }],
        maxConcurrency: 512,
      },
    ],
    models: [{ id: 'm', tier: 'small' }],
    routing: { explorationRate: 0, seed: 1 },
    store: { kind: 'memory' },
  });
  const router = new Router({ config, cluster: new ClusterState(config.nodes) });
  return (text, headers) => {
    const t0 = performance.now();
    const body = parseChatBody(parseJsonBody(text));
    const ctx = requestAgentContext(body, { get: (name) => headers[name] ?? null }, {});
    const decision = router.route({ messages: body.messages, model: body.model, requires: [] }, ctx);
    return {
      body,
      headers: { 'x-broke-route-id': decision.routeId },
      ended: () => {
        const ms = performance.now() - t0;
        // Once the answer is out, as the gateway does (serving/after-answer.ts).
        setImmediate(() =>
          router
            .recordOutcome(decision.routeId, { success: true, latencyMs: ms, ttftMs: ms })
            .catch(() => {}),
        );
      },
    };
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = new URL(process.argv[2]);
  const model = process.argv[3] ?? 'stub';
  startFloor(target, model, routedAdmit(target, model));
}
