import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Alive: the pid exists and is not a zombie (a killed child nobody reaped yet). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('onProcessEnd', () => {
  it.each(['SIGTERM', 'exit'] as const)(
    'kills what a process started when it ends by %s (vitest ends a failed worker with SIGTERM)',
    async (how) => {
      const module = pathToFileURL(join(import.meta.dirname, '../on-process-end.ts')).href;
      const script = [
        "import { spawn } from 'node:child_process';",
        `import { onProcessEnd } from ${JSON.stringify(module)};`,
        "const server = spawn('sleep', ['300'], { stdio: 'ignore' });",
        "onProcessEnd(() => server.kill('SIGKILL'));",
        'console.log(server.pid);',
        how === 'exit'
          ? "process.stdin.once('data', () => process.exit(0));"
          : 'setInterval(() => {}, 1000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const pid = Number(line.toString().trim());
      expect(alive(pid)).toBe(true);
      if (how === 'SIGTERM') child.kill('SIGTERM');
      else child.stdin.write('\n');
      await once(child, 'exit');
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      expect(alive(pid), `sleep ${pid} outlived the process that started it`).toBe(false);
    },
  );
});
