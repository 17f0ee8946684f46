import { ValidationError } from '../errors.js';

/**
 * Placeholders in a server command (`{model}`, `{host}`, `{port}`), substituted so that a value
 * is never parsed as shell syntax, wherever it stands:
 *
 * - A word of its own, or inside a word made only of shell-safe characters
 *   (`--model={model}`, `/models/{model}`, `{host}:{port}`): the value is put in literally; the
 *   whole word is then quoted once more for the `sh -c` that starts the server (quote.ts).
 * - Inside the command string of a POSIX shell's `-c` (`sh`, `bash`, `dash`, `zsh`, `ksh`...):
 *   that string is shell code, so the value goes in as one single-quoted word
 *   (`sh -c 'exec mlx_lm.server --model {model}'` runs with `--model 'the model'`). The
 *   placeholder must stand unquoted there: inside '...' or "...", after a backslash, as `${model}`,
 *   or after a `` ` ``, `$(`, `${...}` or heredoc that BROKE does not parse, it is refused, as in
 *   a script that hands its words to another parser (eval, a nested shell, ssh, su, xargs...),
 *   and so is a value holding `$` or a backtick (inert once quoted, but arithmetic or a variable
 *   name with a subscript would still expand it).
 * - Anywhere else (inside a word with spaces or quotes that is not a shell's `-c` string, or
 *   after a command that re-parses its arguments: ssh, su, watch, xargs, fish -c...): refused,
 *   since BROKE cannot know how that word will be parsed.
 *
 * The values themselves are checked too: no control characters (newlines included) and no
 * leading `-` (it would read as an option); the host must look like a host name or address and
 * the port like a port. Every refusal is a ValidationError naming the word and the way out: pass
 * the value as its own word (`sh -c '... "$1"' sh {model}`) or leave it unquoted in the script.
 */
export interface PlaceholderValues {
  model: string;
  host: string;
  port: number;
}

const PLACEHOLDER = /\{(model|host|port)\}/g;
/** Characters a word may hold around a placeholder outside shell code (quote.ts's safe set). */
const SAFE_LITERAL = /^[A-Za-z0-9_@%+=:,./-]*$/;
/** Shells whose `-c` string BROKE parses and quotes for (POSIX single quotes). */
const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'ash', 'yash', 'posh']);
/** Shells with other quoting rules: a placeholder after one of them is refused. */
const OTHER_SHELLS = new Set(['fish', 'csh', 'tcsh', 'nu', 'pwsh', 'powershell', 'elvish', 'xonsh', 'rc']);
/** Commands that hand their arguments to a shell (or parse them) once more. */
const REPARSERS = new Set([
  'eval',
  'ssh',
  'su',
  'runuser',
  'sg',
  'watch',
  'xargs',
  'parallel',
  'script',
  'tmux',
  'screen',
  'flock',
]);
/** A re-parsing command word inside shell code (checked on the whole `-c` string). */
const REPARSE_IN_SCRIPT = new RegExp(
  `(?:^|[\\s;&|(\`])(?:[^\\s;&|()\`'"]*/)?(?:${[...POSIX_SHELLS, ...OTHER_SHELLS, ...REPARSERS].join('|')})(?=$|[\\s;&|)])`,
);

const basename = (word: string) => word.slice(word.lastIndexOf('/') + 1);

function refuse(index: number, word: string, why: string): never {
  throw new ValidationError(`server command word ${index + 1} ${JSON.stringify(word)}: ${why}`, {
    field: 'command',
    hint: 'give the placeholder a word of its own (sh -c \'exec prog --model "$1"\' sh {model}), or leave it unquoted in the sh -c string: BROKE quotes it',
  });
}

function checkValues(values: PlaceholderValues): Record<string, string> {
  const out: Record<string, string> = {
    model: values.model,
    host: values.host,
    port: String(values.port),
  };
  for (const [name, value] of Object.entries(out)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (/[\u0000-\u001f\u007f]/.test(value))
      throw new ValidationError(`the ${name} ${JSON.stringify(value)} contains a control character`, {
        field: name,
        hint: 'newlines, tabs and other control characters are not allowed in {model}, {host} or {port}',
      });
    if (value.startsWith('-'))
      throw new ValidationError(`the ${name} ${JSON.stringify(value)} starts with "-"`, {
        field: name,
        hint: 'the server would read it as an option',
      });
    if (value === '') throw new ValidationError(`the ${name} is empty`, { field: name });
  }
  if (!/^[A-Za-z0-9._:%-]+$/.test(out.host as string))
    throw new ValidationError(`the host ${JSON.stringify(values.host)} is not a host name or address`, {
      field: 'host',
    });
  if (!Number.isInteger(values.port) || values.port < 1 || values.port > 65535)
    throw new ValidationError(`the port ${JSON.stringify(values.port)} is not a port number`, {
      field: 'port',
    });
  return out;
}

/** A value as one single-quoted shell word, always quoted (so never an assignment or `=cmd`). */
const singleQuoted = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

type Where = 'top' | 'quoted' | 'escaped' | 'param' | 'unparsed';

/**
 * What each character of a shell `-c` string is: plain shell code (`top`), inside quotes, escaped
 * by a backslash, inside a `${...}`, or `unparsed` (from the first construct this lexer does not
 * follow: a backtick, `$(`, `$((`, `${...}` with operators, a heredoc) to the end.
 */
function classify(script: string): Where[] {
  const where: Where[] = new Array(script.length);
  let i = 0;
  const mark = (from: number, to: number, w: Where) => {
    for (let k = from; k < to && k < script.length; k++) where[k] = w;
  };
  const unparsedFrom = (at: number) => {
    mark(at, script.length, 'unparsed');
    return where;
  };
  const wordStart = (at: number) => at === 0 || /[\s;&|()<>]/.test(script[at - 1] as string);
  while (i < script.length) {
    const ch = script[i] as string;
    const next = script[i + 1];
    if (ch === '\\') {
      where[i] = 'top';
      mark(i + 1, i + 2, 'escaped');
      i += 2;
    } else if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return unparsedFrom(i);
      mark(i, end + 1, 'quoted');
      i = end + 1;
    } else if (ch === '"' || (ch === '$' && next === '"')) {
      let k = ch === '$' ? i + 2 : i + 1;
      for (; k < script.length; k++) {
        const d = script[k];
        if (d === '\\') k++;
        else if (d === '"') break;
        else if (d === '`' || (d === '$' && (script[k + 1] === '(' || script[k + 1] === '{'))) {
          mark(i, k, 'quoted');
          return unparsedFrom(k);
        }
      }
      if (k >= script.length) return unparsedFrom(i);
      mark(i, k + 1, 'quoted');
      i = k + 1;
    } else if (ch === '$' && next === "'") {
      let k = i + 2;
      for (; k < script.length && script[k] !== "'"; k++) if (script[k] === '\\') k++;
      if (k >= script.length) return unparsedFrom(i);
      mark(i, k + 1, 'quoted');
      i = k + 1;
    } else if (ch === '$' && next === '{') {
      const simple = /^\$\{(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[#?$!@*-])\}/.exec(script.slice(i));
      if (!simple) return unparsedFrom(i);
      mark(i, i + simple[0].length, 'param');
      i += simple[0].length;
    } else if (ch === '`' || (ch === '$' && next === '(') || (ch === '<' && next === '<')) {
      return unparsedFrom(i);
    } else if (ch === '#' && wordStart(i)) {
      // A comment: nothing in it is parsed (a value there has no newline to end it early).
      const end = script.indexOf('\n', i);
      const stop = end < 0 ? script.length : end;
      mark(i, stop, 'top');
      i = stop;
    } else {
      where[i] = 'top';
      i += 1;
    }
  }
  return where;
}

const WHY: Record<Exclude<Where, 'top'>, string> = {
  quoted: 'a placeholder inside quotes in the sh -c string',
  escaped: 'a placeholder after a backslash in the sh -c string',
  param: `a placeholder inside \${...} (a shell variable, not a placeholder)`,
  unparsed: `a placeholder after a \`...\`, $(...), \${...} or heredoc BROKE does not parse`,
};

function expandScript(index: number, script: string, values: Record<string, string>): string {
  if (!script.match(PLACEHOLDER)) return script;
  if (REPARSE_IN_SCRIPT.test(script))
    refuse(
      index,
      script,
      'placeholders in an sh -c string that runs eval, another shell, ssh, su, xargs... (their words are parsed again)',
    );
  const where = classify(script);
  return script.replace(PLACEHOLDER, (_, name: string, at: number) => {
    const w = where[at] ?? 'top';
    if (w !== 'top') refuse(index, script, WHY[w]);
    const value = values[name] as string;
    // Quoted, `$` and backticks are inert; but a script that re-evaluates its words (arithmetic,
    // a variable name with a subscript) would expand them: in shell code they are refused.
    if (/[$`]/.test(value))
      refuse(
        index,
        script,
        `the ${name} ${JSON.stringify(value)} holds $ or \` and {${name}} stands in shell code`,
      );
    return singleQuoted(value);
  });
}

function expandWord(index: number, word: string, values: Record<string, string>): string {
  if (!word.match(PLACEHOLDER)) return word;
  if (!SAFE_LITERAL.test(word.replace(PLACEHOLDER, '')))
    refuse(
      index,
      word,
      'a placeholder in a word with spaces, quotes or other shell syntax that is not an sh -c string (BROKE cannot tell how it will be parsed)',
    );
  return word.replace(PLACEHOLDER, (_, name: string) => values[name] as string);
}

/** Index of each POSIX shell's `-c` string in argv, and where a re-parsing command starts. */
function scan(argv: readonly string[]): { scripts: Set<number>; reparseFrom: number } {
  const scripts = new Set<number>();
  for (let i = 0; i < argv.length; i++) {
    const name = basename(argv[i] as string);
    if (REPARSERS.has(name) || OTHER_SHELLS.has(name)) return { scripts, reparseFrom: i };
    if (!POSIX_SHELLS.has(name)) continue;
    let j = i + 1;
    let dashC = false;
    while (j < argv.length) {
      const w = argv[j] as string;
      if (w === '--' || w === '-') {
        j += 1;
        break;
      }
      if (w === '--rcfile' || w === '--init-file') j += 2;
      else if (w.startsWith('--')) j += 1;
      else if (/^[-+][A-Za-z]+$/.test(w)) {
        if (w[0] === '-' && w.includes('c')) dashC = true;
        // -o NAME / +O NAME take the next word.
        j += /[oO]/.test(w) ? 2 : 1;
      } else break;
    }
    // After the -c string come $0 and the positional parameters: plain words. Without -c, the
    // first operand is a script file and the rest its arguments.
    if (dashC && j < argv.length) scripts.add(j);
    return { scripts, reparseFrom: argv.length };
  }
  return { scripts, reparseFrom: argv.length };
}

/** The server command with its placeholders substituted (see the rules above), or a ValidationError. */
export function expandServerCommand(command: readonly string[], values: PlaceholderValues): string[] {
  const vals = checkValues(values);
  const scanned = scan(command);
  const { scripts } = scanned;
  let { reparseFrom } = scanned;
  // A -c string that runs eval, a nested shell... may re-parse its positional parameters too.
  for (const j of scripts)
    if (REPARSE_IN_SCRIPT.test(command[j] as string)) reparseFrom = Math.min(reparseFrom, j);
  return command.map((word, i) => {
    if (i > reparseFrom && word.match(PLACEHOLDER))
      refuse(
        i,
        word,
        scripts.has(reparseFrom)
          ? 'a placeholder passed to an sh -c string that runs eval, another shell, ssh, su, xargs... (its words are parsed again)'
          : `a placeholder passed to ${JSON.stringify(basename(command[reparseFrom] as string))}, which parses its arguments again (BROKE cannot quote for that)`,
      );
    return scripts.has(i) ? expandScript(i, word, vals) : expandWord(i, word, vals);
  });
}
