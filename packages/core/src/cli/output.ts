import cliProgress from 'cli-progress';

/** Where command output goes: JSON for programs, progress bars on a TTY, plain lines otherwise. */
export class Output {
  readonly tty: boolean;
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(this.err.isTTY) && !json;
  }

  /** Human progress/info line (stderr, so stdout stays clean for data). */
  info(line: string): void {
    if (!this.json) this.err.write(`${line}\n`);
  }

  warn(line: string): void {
    this.err.write(`warning: ${line}\n`);
  }

  /** Final result: JSON when --json, else the given text. */
  result(data: unknown, text: string): void {
    this.out.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
  }

  /** One JSON object per line (for --watch --json). */
  jsonLine(data: unknown): void {
    this.out.write(`${JSON.stringify(data)}\n`);
  }

  raw(text: string): void {
    this.out.write(text);
  }

  /** A progress bar on a TTY; plain `[i/n] label` lines otherwise; silent with --json. */
  progress(total: number, title: string): { tick(label: string): void; stop(): void } {
    if (this.json) return { tick() {}, stop() {} };
    if (!this.tty) {
      let i = 0;
      this.err.write(`${title}\n`);
      return {
        tick: (label) => {
          i += 1;
          this.err.write(`[${i}/${total}] ${label}\n`);
        },
        stop() {},
      };
    }
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {value}/{total} {label}`, stream: this.err, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    return { tick: (label) => bar.increment(1, { label }), stop: () => bar.stop() };
  }
}

/** Fixed-width text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
