import { bridge as autogenBridge } from '@broke/autogen-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxCluster, startMlxCluster } from '../../packages/core/test/http/support/mlx-cluster.js';
import { runPython } from '../../packages/core/test/http/support/python.js';

/**
 * An AutoGen agent with a tool (examples/autogen/tool_agent.py) → the AutoGen bridge → two real
 * mlx_lm.server nodes, one listed as taking tools (as `init` writes for a model whose chat template
 * renders them; the generated model's does). The agent's requests carry an OpenAI `tools` list:
 * each goes to the node that takes tools, and the run finishes.
 */
let c: MlxCluster;

beforeAll(async () => {
  c = await startMlxCluster({
    nodes: 2,
    bridges: [autogenBridge],
    config: {
      models: [
        { id: 'tiny-a', tier: 'small', contextLength: 4096, capabilities: ['streaming', 'tools'] },
        { id: 'tiny-b', tier: 'small', contextLength: 4096, capabilities: ['streaming'] },
      ],
    },
  });
});
afterAll(async () => {
  await c?.stop();
});

describe('an AutoGen agent with a tool', () => {
  it('is told the profile can call functions, finishes, and its tool requests go to the model that takes tools', async () => {
    const result = await runPython('examples/autogen/tool_agent.py', {
      BROKE_BASE_URL: `${c.gateway.url}/autogen/v1`,
    });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.json).toMatchObject({ ok: true, function_calling: true });
    const routes = c.decisions.filter((d) => d.context.role === 'forecaster');
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      expect(r.chosen.modelId).toBe('tiny-a');
      // The other model was filtered for lacking tools, not ranked.
      const capabilities = r.filters.find((f) => f.filter === 'capabilities');
      expect(capabilities?.removed.map((x) => [x.modelId, x.reason])).toEqual([['tiny-b', 'lacks tools']]);
    }
  });
});
