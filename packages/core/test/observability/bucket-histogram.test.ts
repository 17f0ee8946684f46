import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../../src/observability/bucket-histogram.js';

describe('BucketHistogram (the request-path histograms of /metrics)', () => {
  it('prints exactly what a prom-client Histogram prints for the same observations', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const labelled = new Histogram({
      name: 'x_seconds',
      help: 'labelled',
      labelNames: ['model', 'node'],
      buckets: [0.025, 0.05, 1],
      registers: [theirs],
    });
    const plain = new Histogram({
      name: 'u_seconds',
      help: 'plain',
      buckets: [0.001, 0.01],
      registers: [theirs],
    });
    const ourLabelled = new BucketHistogram(
      'x_seconds',
      'labelled',
      ['model', 'node'],
      [0.025, 0.05, 1],
      [ours],
    );
    new BucketHistogram('u_seconds', 'plain', [], [0.001, 0.01], [ours]);
    // Values on and between the bounds, above the last one, and a label that needs escaping.
    for (const v of [0.01, 0.025, 0.03, 2, 0.5]) {
      labelled.labels({ model: 'm"1', node: 'n' }).observe(v);
      ourLabelled.of({ model: 'm"1', node: 'n' }).observe(v);
    }
    labelled.labels({ model: 'm2', node: 'n' }).observe(0.05);
    ourLabelled.of({ model: 'm2', node: 'n' }).observe(0.05);
    expect(plain).toBeDefined();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('a series is made once per label set and a reset forgets them', async () => {
    const registry = new Registry();
    const h = new BucketHistogram('y_seconds', 'y', ['model'], [1], [registry]);
    expect(h.of({ model: 'a' })).toBe(h.of({ model: 'a' }));
    h.of({ model: 'a' }).observe(0.5);
    expect(await registry.metrics()).toContain('y_seconds_count{model="a"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('model="a"');
  });
});
