// What the gateway benchmarks (bench/gateway.ts, gateway-ab.ts, gateway-cold.ts) share: their
// helper processes, the client's streaming chat request over keep-alive node:http, timed, and a
// process's CPU time.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface Sample {
  ttfb: number;
  total: number;
  ok: boolean;
  /** Traced runs: from the server's first write (its x-bench-t3 or x-bench-t2 stamp) to the first byte here, ms. */
  back?: number;
}

/** The clock bench/gateway-trace.mjs stamps with (CLOCK_MONOTONIC, shared by the processes). */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** Closes the client's keep-alive connections (at the end of a run). */
export function closeClient(): void {
  agent.destroy();
}

/** One streaming request over keep-alive node:http, timing first body byte and end. */
export function once(base: string, model: string, maxTokens: number, trace = false): Promise<Sample> {
  const body = JSON.stringify({
    model,
    stream: true,
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: 'Say hi.' }],
  });
  const url = new URL(`${base}/v1/chat/completions`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(trace ? { 'x-bench-c': String(monoMs()) } : {}),
        },
      },
      (res) => {
        let ttfb = 0;
        let back: number | undefined;
        res.on('data', () => {
          if (ttfb) return;
          ttfb = performance.now() - t0;
          const stamp = Number(res.headers['x-bench-t3'] ?? res.headers['x-bench-t2']);
          if (trace && stamp > 0) back = monoMs() - stamp;
        });
        res.on('end', () =>
          resolve({
            ttfb,
            total: performance.now() - t0,
            ok: res.statusCode === 200,
            ...(back !== undefined ? { back } : {}),
          }),
        );
        res.on('error', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
        res.on('aborted', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
      },
    );
    req.on('error', () => resolve({ ttfb: 0, total: performance.now() - t0, ok: false }));
    // Bounded: a request idle for 20 s counts as an error instead of hanging the benchmark.
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** `concurrency` workers running `task(i)` for i = 0 … total − 1: the results in finishing order, and the wall time. */
export async function workers<T>(
  concurrency: number,
  total: number,
  task: (i: number) => Promise<T>,
): Promise<{ results: T[]; seconds: number }> {
  const results: T[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) results.push(await task(next++));
    }),
  );
  return { results, seconds: (performance.now() - t0) / 1000 };
}

/** `concurrency` workers issuing `total` requests in all. */
export async function load(
  base: string,
  model: string,
  concurrency: number,
  total: number,
  maxTokens: number,
  trace = false,
) {
  const { results, seconds } = await workers(concurrency, total, () => once(base, model, maxTokens, trace));
  return { samples: results, seconds };
}

/** The middle value (NaN for none). */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** User + system CPU seconds a process has used so far (/proc/PID/stat, clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's main thread so far, from the kernel: on a core, runnable but waiting for one, preempted. */
export interface MainThread {
  runMs: number;
  waitMs: number;
  /** Involuntary context switches: taken off a core while it still had work. */
  preempted: number;
}

/** /proc/PID/task/PID/schedstat (ns on a core, ns waiting in the run queue) and status. */
export function mainThread(pid: number): MainThread {
  const [run = 0, wait = 0] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
    .split(' ')
    .map(Number);
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const preempted = Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return { runMs: run / 1e6, waitMs: wait / 1e6, preempted };
}

/** What a main thread did between two readings. */
export const mainThreadSince = (before: MainThread, after: MainThread): MainThread => ({
  runMs: after.runMs - before.runMs,
  waitMs: after.waitMs - before.waitMs,
  preempted: after.preempted - before.preempted,
});

/** A helper process (stub, proxy, gateway) that printed its URL. */
export interface Helper {
  url: string;
  child: ChildProcess;
  /** Resolves once the process exited and its output was read to the end. */
  exited: Promise<void>;
}

/**
 * Starts `node ...args` and resolves with the first line of its stdout that is a URL. Every line
 * (the URL's too) goes to `onLine`, including those printed on the way out (a trace's summary).
 */
export function startHelper(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    onLine?: (line: string) => void;
    /** A command that runs node (e.g. `valgrind --tool=callgrind`): `wrap... node args...`. */
    wrap?: readonly string[];
  } = {},
): Promise<Helper> {
  const [command, ...prefix] = options.wrap ?? [];
  const child = spawn(command ?? process.execPath, command ? [...prefix, process.execPath, ...args] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  });
  // 'close', not 'exit': stdout is read to its end by then.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let url = '';
    let partial = '';
    child.stdout?.on('data', (d) => {
      const lines = (partial + String(d)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!url && line.startsWith('http')) {
          url = line.trim();
          resolve({ url, child, exited });
        }
        options.onLine?.(line);
      }
    });
    child.once('exit', (code) => {
      if (!url) reject(new Error(`${args.join(' ')} exited ${code}`));
    });
  });
}

/**
 * The node flags `broke-cluster serve` runs with: those on its bin's sh launch line
 * (`exec node <flags> "$0" "$@"`), so a bench runs the gateway as the CLI does.
 */
export function serveNodeFlags(): string[] {
  const bin = readFileSync(new URL('../packages/core/bin/broke-cluster.js', import.meta.url), 'utf8');
  const launch = /^':' \/\/; exec node ((?:--\S+ )*)"\$0" "\$@"$/m.exec(bin);
  if (!launch)
    throw new Error('packages/core/bin/broke-cluster.js has no `exec node ... "$0" "$@"` launch line');
  return (launch[1] ?? '').split(' ').filter(Boolean);
}
