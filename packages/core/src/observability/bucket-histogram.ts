import type { Registry } from 'prom-client';

/** One label set's counts: what an observation on the request path touches. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative; the last slot is above every bound). */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  /** Cumulative count at or below each bound, as Prometheus buckets list them. */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      running += this.counts[i] as number;
      out.push(running);
    }
    return out;
  }
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A Prometheus histogram in prom-client's registry, counted without prom-client on the request
 * path: prom-client's `observe` validates and hashes the labels and finds the bucket through a
 * number-keyed property on every call, a few percent of the gateway's CPU per request for three
 * observations. Series are made once per label set (`series`) and observing is a bucket search;
 * the registry reads the counts at scrape time (`get`) and prints them as its own histograms.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registers: readonly Registry[],
  ) {
    // Like prom-client: a histogram without labels is printed (as zeros) before its first value.
    if (labelNames.length === 0) this.of({});
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** The series for these labels (one key per label set; callers keep what they get). */
  of(labels: Readonly<Record<string, string>>): HistogramSeries {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0001');
    let s = this.series.get(key);
    if (!s) {
      s = new HistogramSeries(labels, this.bounds);
      this.series.set(key, s);
    }
    return s;
  }

  /** prom-client's Registry reads this at scrape time. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: MetricValue[];
  }> {
    const bucket = `${this.name}_bucket`;
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      const cumulative = s.cumulative();
      this.bounds.forEach((le, i) => {
        // `le` first, as prom-client prints its own histograms.
        values.push({ labels: { le, ...s.labels }, value: cumulative[i] as number, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
    if (this.labelNames.length === 0) this.of({});
  }
}
