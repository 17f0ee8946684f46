import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { expandServerCommand } from '../../src/ssh/command-template.js';
import { shellCommand } from '../../src/ssh/quote.js';
import { buildServerArgv, DEFAULT_SERVER_COMMAND } from '../../src/ssh/server-control.js';

// Finding 7 of issue 14: `{model}` inside a configured `sh -c '...'` went in unquoted. The real
// remote shell is stood in for by this machine's sh: startServer runs `nohup <shellCommand(argv)>`
// inside `sh -c`, so that is what runs here.

const dir = mkdtempSync(join(tmpdir(), 'broke-cmd-template-'));
const PWNED = join(dir, 'pwned');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = [
  'a b',
  `$(touch ${PWNED})`,
  `';touch ${PWNED};'`,
  `\`touch ${PWNED}\``,
  `"; touch ${PWNED}; "`,
  `x && touch ${PWNED}`,
  `x | touch ${PWNED}`,
  `x; touch ${PWNED}`,
  `> ${PWNED}`,
  `a[$(touch ${PWNED})]`,
  `a'b"c`,
  '\\',
  'ends with \\',
  '*',
  '~/models/m',
  '!!',
  '#not a comment',
  '{model}',
  '%s%n',
  'ünïcödé 模型',
  '/models/mlx-community/Qwen2.5-0.5B-Instruct-4bit',
];

const values = (model: string) => ({ model, host: '127.0.0.1', port: 8080 });

/** Run the expanded argv the way startServer does (through sh), and return what it printed. */
function runLocally(argv: string[]): string {
  return execFileSync('sh', ['-c', shellCommand(argv)], { cwd: dir }).toString();
}

const BASH = existsSync('/bin/bash') ? '/bin/bash' : undefined;

/** Templates that print the words their program receives, one `[word]` per line. */
const PRINTERS: Array<{
  name: string;
  command: string[];
  /** {model} stands in shell code (a -c string): values with $ or ` are refused there. */
  code: boolean;
  expect: (m: string) => string[];
}> = [
  {
    name: 'its own words',
    command: ['printf', '[%s]\\n', '{model}', '--model={model}', '{host}:{port}'],
    code: false,
    expect: (m) => [m, `--model=${m}`, '127.0.0.1:8080'],
  },
  {
    name: 'a word of sh -c',
    command: ['sh', '-c', "printf '[%s]\\n' {model} --model={model} x{model}y"],
    code: true,
    expect: (m) => [m, `--model=${m}`, `x${m}y`],
  },
  {
    name: 'an assignment and a loop in sh -c',
    command: ['/bin/sh', '-ec', 'm={model}; for w in {model} "$m"; do printf "[%s]\\n" "$w"; done'],
    code: true,
    expect: (m) => [m, m],
  },
  {
    name: 'sh -c after env, with a comment',
    command: ['env', 'X=1', 'sh', '-c', "# serve {model}\nprintf '[%s]\\n' {host} {model}"],
    code: true,
    expect: (m) => ['127.0.0.1', m],
  },
  {
    name: 'a positional parameter of sh -c',
    command: ['sh', '-c', 'printf "[%s]\\n" "$1" "$0"', '{model}', '{model}'],
    code: false,
    expect: (m) => [m, m],
  },
  ...(BASH
    ? [
        {
          name: 'bash -c with [[ ]] and case',
          command: [
            BASH,
            '-c',
            '[[ {model} == "$1" ]] && printf "[%s]\\n" same; case {model} in "$1") printf "[%s]\\n" {model};; esac',
            'bash',
            '{model}',
          ],
          code: true,
          expect: (m: string) => ['same', m],
        },
      ]
    : []),
];

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\[|\]$/g, ''));

describe('placeholders are quoted in every position', () => {
  it.each(PRINTERS)(
    '$name: the program gets each hostile value whole; nothing runs',
    ({ command, code, expect: want }) => {
      for (const model of HOSTILE) {
        let argv: string[];
        try {
          argv = expandServerCommand(command, values(model));
        } catch (err) {
          // The one refusal: a value holding $ or a backtick where it would stand in shell code.
          expect(err, model).toBeInstanceOf(ValidationError);
          expect(code && /[$`]/.test(model), `${model} refused: ${(err as Error).message}`).toBe(true);
          expect((err as Error).message).toMatch(/holds \$ or ` and \{model\} stands in shell code/);
          continue;
        }
        expect(lines(runLocally(argv)), model).toEqual(want(model));
      }
      expect(existsSync(PWNED)).toBe(false);
    },
  );

  it('any printable model name round-trips (fast-check)', () => {
    const model = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused by design
      .filter((m) => !/[\u0000-\u001f\u007f]/.test(m) && !m.startsWith('-') && !m.includes('\uFFFD'));
    const [plain, script] = PRINTERS;
    fc.assert(
      fc.property(model, (m) => {
        expect(lines(runLocally(expandServerCommand(plain?.command ?? [], values(m))))).toEqual(
          plain?.expect(m),
        );
        if (/[$`]/.test(m)) return;
        expect(lines(runLocally(expandServerCommand(script?.command ?? [], values(m))))).toEqual(
          script?.expect(m),
        );
      }),
      { numRuns: 150 },
    );
    expect(existsSync(PWNED)).toBe(false);
  });

  it('the default command passes the model as one word, unchanged', () => {
    for (const model of HOSTILE) {
      const argv = buildServerArgv({ model, port: 8080 });
      expect(argv).toEqual(['mlx_lm.server', '--model', model, '--host', '127.0.0.1', '--port', '8080']);
      expect(DEFAULT_SERVER_COMMAND[2]).toBe('{model}');
    }
  });

  it('puts a value into sh -c code as one single-quoted word', () => {
    expect(
      expandServerCommand(['sh', '-c', 'exec srv --model {model} --port {port}'], values("it's a b")),
    ).toEqual(['sh', '-c', "exec srv --model 'it'\\''s a b' --port '8080'"]);
    // Quoted strings around it are fine as long as the placeholder itself is not inside one.
    expect(expandServerCommand(['bash', '-lc', 'echo "a" {model} \'b\''], values('m'))[2]).toBe(
      "echo \"a\" 'm' 'b'",
    );
  });
});

describe('placeholders BROKE cannot quote are a config error, before anything runs', () => {
  it.each([
    [['sh', '-c', "echo '{model}'"], /inside quotes/],
    [['sh', '-c', 'echo "{model}"'], /inside quotes/],
    [['sh', '-c', 'echo "--model={model}"'], /inside quotes/],
    [['sh', '-c', "echo $'{model}'"], /inside quotes/],
    [['sh', '-c', 'echo \\{model}'], /after a backslash/],
    [['sh', '-c', `echo \${model}`], /inside \$\{\.\.\.\}/],
    [['sh', '-c', 'echo $(echo x) {model}'], /does not parse/],
    [['sh', '-c', 'echo `echo x` {model}'], /does not parse/],
    [['sh', '-c', 'echo "$(echo x)" {model}'], /does not parse/],
    [['sh', '-c', 'cat <<EOF\n{model}\nEOF'], /does not parse/],
    [['sh', '-c', 'eval exec srv {model}'], /runs eval, another shell/],
    [['sh', '-c', 'sh -c "srv $1" sh {model}'], /runs eval, another shell/],
    [['sh', '-c', 'ssh other srv {model}'], /runs eval, another shell/],
    [['sh', '-c', 'eval "$1"', 'sh', '{model}'], /passed to an sh -c string that runs eval/],
    [['ssh', 'other', 'srv', '--model', '{model}'], /passed to "ssh", which parses its arguments again/],
    [['su', 'svc', '-c', 'srv {model}'], /passed to "su"/],
    [['/usr/bin/fish', '-c', 'srv {model}'], /passed to "fish"/],
    [['python3', '-c', 'import os; os.system("srv {model}")'], /not an sh -c string/],
    [['srv', '--model {model}'], /not an sh -c string/],
    [['srv', "--model='{model}'"], /not an sh -c string/],
  ])('%j', (command, why) => {
    const err = (() => {
      try {
        expandServerCommand(command as string[], values('m'));
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.message).toMatch(why);
    expect(err?.message).toMatch(/^server command word \d+ /);
    expect(err?.hint).toMatch(/"\$1"/);
  });

  it.each([
    [{ model: 'a\nb' }, /control character/],
    [{ model: 'a\tb' }, /control character/],
    [{ model: '--trust-remote-code' }, /starts with "-"/],
    [{ model: '' }, /empty/],
    [{ host: '127.0.0.1;id' }, /not a host name/],
    [{ host: '-oProxyCommand=x' }, /starts with "-"/],
    [{ port: 0 }, /not a port/],
    [{ port: 70000 }, /not a port/],
    [{ port: 1.5 }, /not a port/],
  ])('refuses the value %j', (override, why) => {
    expect(() => expandServerCommand(DEFAULT_SERVER_COMMAND, { ...values('m'), ...override })).toThrow(why);
  });

  it('startServer and restartServer refuse before touching the node', async () => {
    const { startServer, restartServer } = await import('../../src/ssh/server-control.js');
    const conn = {
      target: { host: 'never' },
      run: () => {
        throw new Error('nothing may run on the node');
      },
    } as never;
    const opts = { name: 'x', model: 'm', port: 1, command: ['sh', '-c', "srv '{model}'"] };
    await expect(startServer(conn, opts)).rejects.toBeInstanceOf(ValidationError);
    await expect(restartServer(conn, opts)).rejects.toBeInstanceOf(ValidationError);
  });
});
