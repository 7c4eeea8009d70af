/**
 * Which program a command really runs, and which Python interpreter that is: through `env`,
 * `exec`/`nohup`/`nice`/`time`, `sh -c "…"` wrappers and `#!` lines, with PATH looked up in the
 * environment the command is given (not this process's).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, delimiter, resolve } from 'node:path';
import { parse } from 'shell-quote';
import type { EnvironmentSnapshot } from '../runs/types';
import { DEFAULT_PYTHON } from './command';

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh']);
const PASS_THROUGH = new Set(['exec', 'nohup', 'time', 'command', 'nice', 'stdbuf', 'setsid']);
const PYTHON_NAME = /^(python|pypy)(\d+(\.\d+)*)?[dmtw]?(\.exe)?$/i;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** execvp's search path when the environment has no PATH. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export type Env = Record<string, string | undefined>;

export function isPythonName(program: string): boolean {
  return PYTHON_NAME.test(basename(program));
}

function isExecutableFile(path: string): boolean {
  try {
    const s = statSync(path);
    return s.isFile() && (process.platform === 'win32' || (s.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** `program` as exec finds it: a name with a slash against `cwd`, else the first executable on the given PATH. Not symlink-resolved (a venv's python is a symlink whose name matters). */
export function whichProgram(program: string, env: Env, cwd: string): string | null {
  if (program === '') return null;
  if (program.includes('/')) {
    const path = resolve(cwd, program);
    return isExecutableFile(path) ? path : null;
  }
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    const path = resolve(cwd, dir, program);
    if (isExecutableFile(path)) return path;
  }
  return null;
}

/** The `#!` line of a file, split into words (null when it has none or cannot be read). */
export function readShebang(file: string): string[] | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    if (!text.startsWith('#!')) return null;
    const words = text.slice(2).split('\n')[0]!.trim().split(/\s+/).filter(Boolean);
    return words.length ? words : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface InnerCommand {
  /** The command that does the work, wrappers taken off. */
  argv: string[];
  /** The environment it gets (assignments of `env VAR=1` and `VAR=1 cmd` applied). */
  env: Env;
  /** The wrappers that were taken off, outermost first (`env`, `sh -c`, …). */
  wrappers: string[];
  /** True when a shell script ran no Python command and its first command was taken instead. */
  guessed: boolean;
  /** `argv` with the variables of a shell script left as `$NAME`: what may be recorded. */
  literal: string[];
}

/** `env [-i] [-u NAME] [-S STRING] [NAME=VALUE]… command`, taken apart. */
function unwrapEnv(argv: string[], env: Env): { argv: string[]; env: Env } {
  let next: Env = { ...env };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-i' || a === '--ignore-environment' || a === '-') next = {};
    else if (a === '-u' || a === '--unset') delete next[argv[++i] ?? ''];
    else if (a.startsWith('--unset=')) delete next[a.slice(8)];
    else if (a === '-C' || a === '--chdir') i++;
    else if (a === '-S' || a === '--split-string') {
      const rest = parse(argv[i + 1] ?? '', next).filter((t): t is string => typeof t === 'string');
      return unwrapEnv(['env', ...rest, ...argv.slice(i + 2)], next);
    } else if (a === '--') {
      i++;
      break;
    } else if (!a.startsWith('-')) break;
  }
  for (; i < argv.length && ASSIGNMENT.test(argv[i]!); i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    next[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return { argv: argv.slice(i), env: next };
}

/**
 * The simple commands of a shell script (split at `&&`, `;`, `|`, …), each with its leading
 * assignments applied; `literal` holds the same words with variables left as `$NAME` (what may be
 * recorded: the environment's values never are).
 */
function scriptCommands(script: string, env: Env): { argv: string[]; literal: string[]; env: Env }[] {
  const split = (lookup: (key: string) => string) => {
    const commands: string[][] = [];
    let words: string[] = [];
    for (const token of parse(script, lookup)) {
      if (typeof token === 'string') words.push(token);
      else if ('op' in token && token.op === 'glob') words.push(token.pattern);
      else if ('comment' in token) break;
      else {
        commands.push(words);
        words = [];
      }
    }
    commands.push(words);
    return commands;
  };
  const expanded = split((key) => env[key] ?? '');
  const literal = split((key) => `$${key}`);
  const out: { argv: string[]; literal: string[]; env: Env }[] = [];
  expanded.forEach((words, n) => {
    const local: Env = { ...env };
    let i = 0;
    for (; i < words.length && ASSIGNMENT.test(words[i]!); i++) {
      const eq = words[i]!.indexOf('=');
      local[words[i]!.slice(0, eq)] = words[i]!.slice(eq + 1);
    }
    const same = literal[n]?.length === words.length;
    if (i < words.length) out.push({ argv: words.slice(i), literal: same ? literal[n]!.slice(i) : [], env: local });
  });
  return out;
}

/** The index of the script argument of `sh [options] -c script`, or -1. */
function shellScriptIndex(argv: string[]): number {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || !a.startsWith('-')) return -1;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) return i + 1 < argv.length ? i + 1 : -1;
    if (a === '-o' || a === '+o') i++;
  }
  return -1;
}

/** True when the program (by name or by its `#!` line) is a Python interpreter. */
function runsPython(argv: string[], env: Env, cwd: string): boolean {
  const program = argv[0] ?? '';
  if (isPythonName(program)) return true;
  const file = whichProgram(program, env, cwd);
  return !!file && shebangInterpreter(file, env, cwd) !== null;
}

/** Takes wrappers off a command until the program that does the work is reached. */
export function innerCommand(argv: string[], env: Env, cwd: string): InnerCommand {
  let current = { argv, env };
  let literal = argv;
  const wrappers: string[] = [];
  let guessed = false;
  const dropped = (next: string[]) => {
    const removed = current.argv.length - next.length;
    literal = removed >= 0 && literal.length === current.argv.length ? literal.slice(removed) : next;
  };
  for (let depth = 0; depth < 16 && current.argv.length > 0; depth++) {
    const program = basename(current.argv[0]!);
    if (program === 'env') {
      wrappers.push('env');
      const next = unwrapEnv(current.argv, current.env);
      dropped(next.argv);
      current = next;
      continue;
    }
    if (PASS_THROUGH.has(program)) {
      wrappers.push(program);
      let rest = current.argv.slice(1);
      if (program === 'nice' && (rest[0] === '-n' || rest[0] === '--adjustment')) rest = rest.slice(2);
      while (rest[0]?.startsWith('-')) rest = rest.slice(1);
      dropped(rest);
      current = { argv: rest, env: current.env };
      continue;
    }
    if (SHELLS.has(program)) {
      const at = shellScriptIndex(current.argv);
      if (at < 0) break;
      const commands = scriptCommands(literal[at] ?? current.argv[at]!, current.env);
      const python = commands.find((c) => runsPython(innerCommand(c.argv, c.env, cwd).argv, c.env, cwd));
      const chosen = python ?? commands[0];
      if (!chosen) break;
      guessed ||= !python;
      wrappers.push(`${program} -c`);
      current = { argv: chosen.argv, env: chosen.env };
      literal = chosen.literal;
      continue;
    }
    break;
  }
  return { argv: current.argv, env: current.env, wrappers, guessed, literal };
}

/** The Python a `#!` line names (absolute, or found on PATH through `env`), or null. */
function shebangInterpreter(file: string, env: Env, cwd: string): string | null {
  const words = readShebang(file);
  if (!words) return null;
  let argv = words;
  let scriptEnv = env;
  if (basename(words[0]!) === 'env') ({ argv, env: scriptEnv } = unwrapEnv(words, env));
  const program = argv[0];
  if (!program || !isPythonName(program)) return null;
  return whichProgram(program, scriptEnv, cwd);
}

export interface ResolvedInterpreter {
  /** Absolute path of the interpreter the command runs (as exec finds it; symlinks kept). */
  path: string;
  /** How it was found: the command names it, or the `#!` line of the script the command runs. */
  source: 'command' | 'shebang';
}

/**
 * The Python interpreter `argv` runs when started in `cwd` with `env`, or null when the command
 * does not run a Python that can be found (another language, a launcher such as `uv run`).
 */
export function resolveInterpreter(argv: string[], env: Env, cwd: string): ResolvedInterpreter | null {
  const inner = innerCommand(argv, env, cwd);
  const program = inner.argv[0];
  if (!program) return null;
  if (isPythonName(program)) {
    const path = whichProgram(program, inner.env, cwd);
    return path ? { path, source: 'command' } : null;
  }
  const file = whichProgram(program, inner.env, cwd);
  const viaShebang = file ? shebangInterpreter(file, inner.env, cwd) : null;
  return viaShebang ? { path: viaShebang, source: 'shebang' } : null;
}

/**
 * The interpreter whose environment a run records: the one its command runs, else (a command in
 * another language, a launcher) the configured one or `python3`, looked up on the command's PATH.
 */
export function probedInterpreter(exec: string[], env: Env, cwd: string, configured: string | undefined): NonNullable<EnvironmentSnapshot['interpreter']> {
  const resolved = resolveInterpreter(exec, env, cwd);
  if (resolved) return resolved;
  const fallback = configured ?? DEFAULT_PYTHON;
  return { path: whichProgram(fallback, env, cwd) ?? fallback, source: configured ? 'configured' : 'default' };
}

/**
 * The interpreter a run's command ran, when the run recorded one and it still exists here: what
 * a reproduction or an explanation of the run starts by default (not the first Python on PATH).
 */
export function recordedInterpreter(run: { environment: Pick<EnvironmentSnapshot, 'interpreter'> }): string | undefined {
  const recorded = run.environment.interpreter;
  if (!recorded || (recorded.source !== 'command' && recorded.source !== 'shebang')) return undefined;
  return isExecutableFile(recorded.path) ? recorded.path : undefined;
}
