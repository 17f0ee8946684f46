import { describe, expect, it } from 'vitest';
import type { MonitoredDriver } from '../../src/cluster/monitor.js';
import { ClusterMonitor, type MonitorEvents } from '../../src/cluster/monitor.js';
import { NodeSchema } from '../../src/config/schema.js';

/** A driver whose health and metrics the test scripts. */
function fakeDriver(nodeId: string) {
  const ctl = { healthy: true, queued: 0, loaded: ['m'] as string[], chatFails: false };
  const driver: MonitoredDriver = {
    kind: 'fake',
    nodeId,
    observes: { loadedModels: true, queueDepth: true, memory: false, metrics: true },
    health: async () =>
      ctl.healthy ? { ok: true, latencyMs: 1 } : { ok: false, latencyMs: 1, error: 'down' },
    listModels: async () => ctl.loaded,
    metrics: async () => ({ loadedModels: ctl.loaded, queued: ctl.queued }),
    async *chatStream() {
      if (ctl.chatFails) throw new Error('model broken');
      yield {
        id: 'x',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [{ index: 0, delta: { content: 'OK' }, finish_reason: 'stop', logprobs: null }],
      };
    },
  };
  return { driver, ctl };
}

function setup(monitor: { downAfter: number; upAfter: number }) {
  const node = NodeSchema.parse({ id: 'n1', url: 'http://127.0.0.1:1', models: [{ id: 'm' }] });
  const { driver, ctl } = fakeDriver('n1');
  const mon = new ClusterMonitor({
    nodes: [node],
    monitor: { intervalMs: 100, ...monitor },
    driverFor: () => driver,
  });
  const events: string[] = [];
  for (const name of ['node-up', 'node-down', 'node-updated'] as const)
    mon.on(name, (e: MonitorEvents[typeof name][0]) => events.push(`${name}:${e.state.up}`));
  return { mon, ctl, events };
}

describe('ClusterMonitor', () => {
  it('applies downAfter / upAfter hysteresis and validates on the way up', async () => {
    const { mon, ctl, events } = setup({ downAfter: 2, upAfter: 2 });
    await mon.pollOnce();
    expect(events).toEqual(['node-up:true']);
    expect(mon.state.node('n1')).toMatchObject({ up: true, validatedModels: ['m'], loadedModels: ['m'] });
    expect(mon.state.perf('n1', 'm')?.samples).toBe(1);

    ctl.healthy = false;
    await mon.pollOnce();
    expect(mon.state.node('n1')?.up).toBe(true); // one failure is not enough
    await mon.pollOnce();
    expect(mon.state.node('n1')).toMatchObject({ up: false, validatedModels: [] });
    expect(events.at(-1)).toBe('node-down:false');

    ctl.healthy = true;
    await mon.pollOnce();
    expect(mon.state.node('n1')?.up).toBe(false); // upAfter 2
    await mon.pollOnce();
    expect(mon.state.node('n1')?.up).toBe(true);
    expect(events.at(-1)).toBe('node-up:true');

    ctl.queued = 3;
    await mon.pollOnce();
    expect(mon.state.node('n1')?.queued).toBe(3);
    expect(events.at(-1)).toBe('node-updated:true');
  });

  it('marks a never-seen node down on its first failed poll and skips models that fail the probe', async () => {
    const { mon, ctl, events } = setup({ downAfter: 3, upAfter: 1 });
    ctl.healthy = false;
    await mon.pollOnce();
    expect(events).toEqual(['node-down:false']);
    ctl.healthy = true;
    ctl.chatFails = true;
    await mon.pollOnce();
    expect(mon.state.node('n1')).toMatchObject({ up: true, validatedModels: [] });
  });

  it('start/stop polls on the interval', async () => {
    const { mon, events } = setup({ downAfter: 1, upAfter: 1 });
    let polls = 0;
    mon.on('poll', () => {
      polls += 1;
    });
    mon.start();
    await new Promise((r) => setTimeout(r, 350));
    await mon.stop();
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(events[0]).toBe('node-up:true');
  });
});
