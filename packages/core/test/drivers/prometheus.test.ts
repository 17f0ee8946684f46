import { describe, expect, it } from 'vitest';
import { parsePrometheus, sumMetric } from '../../src/drivers/prometheus.js';

describe('parsePrometheus', () => {
  it('reads labelled samples and sums them', () => {
    const s = parsePrometheus(
      [
        '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
        '# TYPE vllm:num_requests_waiting gauge',
        'vllm:num_requests_waiting{engine="0",model_name="a"} 2.0',
        'vllm:num_requests_waiting{engine="1",model_name="a \\"q\\""} 1.0',
        'process_open_fds 12',
        'bad line',
      ].join('\n'),
    );
    expect(sumMetric(s, 'vllm:num_requests_waiting')).toBe(3);
    expect(s[1]?.labels.model_name).toBe('a "q"');
    expect(sumMetric(s, 'absent')).toBeUndefined();
  });
});
