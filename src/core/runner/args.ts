/**
 * Hyperparameters given on the command line, recorded as params: `train.py 0.1 0.9` gives
 * `args.0`, `args.1`; `--lr 0.1`, `--lr=0.1` and Hydra's `lr=0.1` give `args.lr`; a flag without
 * a value gives `true`. Names follow argparse (`--learning-rate` → `args.learning_rate`); numbers
 * are numbers. Read without the script's parser, so an option followed by a word is taken as
 * having that value (`--lr 0.1 data.csv`: lr 0.1, then a positional).
 */
import { basename } from 'node:path';
import type { ParamValue } from '../runs/types';
import { innerCommand, isPythonName, type Env } from './interpreter';

/** Programs whose first non-option argument is the script they run. */
const INTERPRETERS = /^(Rscript|R|julia|node|deno|bun|ruby|perl|php|sh|bash|dash|zsh|ksh)$/;
/** Python options that take a value (the next word). */
const PYTHON_VALUE_OPTIONS = new Set(['-W', '-X', '-Q', '--check-hash-based-pycs']);

/** The arguments the script itself receives: the interpreter, its options and the script taken off. */
export function scriptArguments(argv: string[]): string[] {
  const program = argv[0];
  if (program === undefined) return [];
  const python = isPythonName(program);
  if (!python && !INTERPRETERS.test(basename(program))) return argv.slice(1);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (python && (a === '-m' || a === '-c')) return argv.slice(i + 2);
    if (a === '-' || a === '--') return argv.slice(i + 1);
    if (!a.startsWith('-')) return argv.slice(i + 1);
    if (python && PYTHON_VALUE_OPTIONS.has(a)) i++;
  }
  return [];
}

/** A command-line word as a param value: numbers as numbers (unless that would change them, as `007` or a 20-digit id). */
export function typedValue(text: string): ParamValue {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return text;
  if (/^[+-]?0\d/.test(text)) return text;
  const n = Number(text);
  if (!Number.isFinite(n) || (/^[+-]?\d+$/.test(text) && !Number.isSafeInteger(n))) return text;
  return n;
}

const NAME = '[A-Za-z_][\\w.-]*';
const WITH_VALUE = new RegExp(`^(?:--?|\\+{1,2})?(${NAME})=([\\s\\S]*)$`);
const OPTION = new RegExp(`^--?(${NAME})$`);
const key = (name: string) => `args.${name.replace(/-/g, '_')}`;

/** Params of a script's arguments (see the module comment). A repeated option keeps its last value, as argparse does. */
export function parseArguments(args: string[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  let position = 0;
  let optionsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!optionsEnded && a === '--') {
      optionsEnded = true;
      continue;
    }
    const withValue = optionsEnded ? null : WITH_VALUE.exec(a);
    const option = optionsEnded ? null : OPTION.exec(a);
    if (withValue) out[key(withValue[1]!)] = typedValue(withValue[2]!);
    else if (option) {
      const next = args[i + 1];
      const takesNext = next !== undefined && next !== '--' && (!next.startsWith('-') || typeof typedValue(next) === 'number');
      out[key(option[1]!)] = takesNext ? typedValue(next) : true;
      if (takesNext) i++;
    } else out[`args.${position++}`] = typedValue(a);
  }
  return out;
}

/**
 * The params of a recorded command (already redacted): wrappers (`env`, `sh -c`) and the
 * interpreter taken off first. A shell script without a Python command gives none: which of its
 * commands holds the hyperparameters cannot be told. Shell variables stay `$NAME`: values from the
 * environment are never recorded.
 */
export function argumentParams(argv: string[], env: Env, cwd: string): Record<string, ParamValue> {
  const inner = innerCommand(argv, env, cwd);
  return inner.guessed ? {} : parseArguments(scriptArguments(inner.literal));
}
