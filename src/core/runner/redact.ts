/**
 * Secrets given on the command line (`--password hunter2`, `--api-key=…`, `TOKEN=… python …`,
 * Hydra's `db.password=…`) never reach a record: the value is replaced by `[redacted]` in the
 * recorded command and a salted scrypt digest is kept, so a reproduction can check that the value
 * it is given is the one the run used. Decided by the argument's name only (`-p` is not a secret).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { basename } from 'node:path';
import type { RedactedArgument } from '../runs/types';
import { ProvenantError } from '../util/errors';

export const REDACTED = '[redacted]';

export type { RedactedArgument };

/** Words that make an argument secret wherever they appear in its name. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'token', 'secret', 'credential', 'credentials',
  'auth', 'authorization', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'cookie', 'bearer',
]);

/**
 * True when an argument's name looks like it holds a secret: one of its words (split at `-`, `_`,
 * `.` and camelCase) is a secret word, or its last word is `key` (`--api-key`, `access_key`,
 * `--key`, but not `--keys`, `--key-file` or `--key-column`, which name files and columns).
 */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/^[-+~]+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((w) => SECRET_WORDS.has(w)) || words[words.length - 1] === 'key';
}

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

export function digestSecret(value: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt:${salt.toString('hex')}:${scryptSync(value, salt, 32, SCRYPT).toString('hex')}`;
}

export function secretMatches(value: string, digest: string): boolean {
  const [kind, salt, hash] = digest.split(':');
  if (kind !== 'scrypt' || !salt || !hash || !/^[0-9a-f]+$/.test(salt) || !/^[0-9a-f]{64}$/.test(hash)) return false;
  return timingSafeEqual(scryptSync(value, Buffer.from(salt, 'hex'), 32, SCRYPT), Buffer.from(hash, 'hex'));
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh']);

/** True when `argv[index]` is the script of `sh -c` (the shell may come after wrappers such as `env`). */
export function isShellScript(argv: string[], index: number): boolean {
  if (index < 2 || !/^-[A-Za-z]*c[A-Za-z]*$/.test(argv[index - 1]!)) return false;
  return argv.slice(0, index - 1).some((a) => SHELLS.has(basename(a)));
}

const NAME = '[A-Za-z_][\\w.-]*';
const OPTION_WITH_VALUE = new RegExp(`^([-+]{0,2}${NAME})=([\\s\\S]*)$`);
const OPTION = new RegExp(`^-{1,2}${NAME}$`);
// In a shell script: `--name value`, `--name=value`, `NAME=value`, value bare or quoted.
const WORD_PART = `'[^']*'|"(?:[^"\\\\]|\\\\.)*"|\\\\.|[^\\s;&|()<>'"\\\\]`;
// (A value after a space does not start with `-`: `--max-tokens --token x` is a flag, then a secret.)
const SCRIPT_ARGUMENT = new RegExp(`(^|[\\s;&|(])(-{1,2}${NAME}\\s+(?!-)|[-+]{0,2}${NAME}=)((?:${WORD_PART})+)`, 'g');

/** A shell word's value, as sh reads it: quotes removed, escapes resolved (`'it'"'"'s'` → `it's`). */
function unquote(word: string): string {
  return (word.match(new RegExp(WORD_PART, 'g')) ?? []).map((part) => {
    if (part.startsWith("'")) return part.slice(1, -1);
    // Within double quotes a backslash escapes only $ ` " \ and a newline.
    if (part.startsWith('"')) return part.slice(1, -1).replace(/\\([$`"\\\n])/g, '$1');
    if (part.startsWith('\\')) return part.slice(1);
    return part;
  }).join('');
}

/** A value that only names a variable (`$HF_TOKEN`, `"${HF_TOKEN}"`): the shell fills it in at run time, it holds no secret. */
const VARIABLE_ONLY = /^"?\$(\{[A-Za-z_]\w*\}|[A-Za-z_]\w*)"?$/;

/** The command as it may be recorded, and what was taken out of it. */
export function redactCommand(argv: string[], digest: (value: string) => string = digestSecret): { argv: string[]; redacted: RedactedArgument[] } {
  const out = [...argv];
  const redacted: RedactedArgument[] = [];
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!;
    if (isShellScript(out, i)) {
      out[i] = a.replace(SCRIPT_ARGUMENT, (whole, lead: string, head: string, value: string) => {
        const name = head.replace(/(=|\s+)$/, '');
        if (!isSecretName(name) || value === REDACTED || VARIABLE_ONLY.test(value)) return whole;
        redacted.push({ index: i, argument: name, digest: digest(unquote(value)) });
        return `${lead}${head}${REDACTED}`;
      });
      continue;
    }
    const withValue = OPTION_WITH_VALUE.exec(a);
    if (withValue && isSecretName(withValue[1]!) && !VARIABLE_ONLY.test(withValue[2]!)) {
      redacted.push({ index: i, argument: withValue[1]!, digest: digest(withValue[2]!) });
      out[i] = `${withValue[1]}=${REDACTED}`;
    } else if (OPTION.test(a) && isSecretName(a) && i + 1 < out.length && !out[i + 1]!.startsWith('-') && !VARIABLE_ONLY.test(out[i + 1]!)) {
      redacted.push({ index: i + 1, argument: a, digest: digest(out[i + 1]!) });
      out[i + 1] = REDACTED;
      i++;
    }
  }
  return { argv: out, redacted };
}

/** The environment variable a reproduction reads a redacted argument's value from: `--api-key` → PROVENANT_SECRET_API_KEY. */
export function secretVariable(argument: string): string {
  return `PROVENANT_SECRET_${argument.replace(/^[-+~]+/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

const shellQuote = (value: string) => `'${value.split("'").join("'\\''")}'`;

/**
 * The command with its redacted values put back from `PROVENANT_SECRET_<NAME>` variables of
 * `env`, each checked against its digest. Refuses (naming the arguments and variables) when a
 * value is missing or is not the one the run used: a command with other values is another run.
 */
export function restoreSecretArguments(runId: string, argv: string[], redacted: RedactedArgument[] | undefined, env: NodeJS.ProcessEnv, verify: (value: string, digest: string) => boolean = secretMatches): string[] {
  if (!redacted?.length) return argv;
  const missing = [...new Set(redacted.filter((r) => env[secretVariable(r.argument)] === undefined).map((r) => r.argument))];
  if (missing.length) {
    throw new ProvenantError(`run ${runId} was started with secret argument${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, whose value${missing.length > 1 ? 's were' : ' was'} not recorded`, {
      hint: `Set ${missing.map(secretVariable).join(', ')} in the environment to the value${missing.length > 1 ? 's' : ''} the run used (checked against the recorded digest, never stored), then reproduce again.`,
      code: 'E_SECRET_ARGUMENT',
    });
  }
  const out = [...argv];
  for (const r of redacted) {
    const variable = secretVariable(r.argument);
    const value = env[variable]!;
    if (!verify(value, r.digest)) {
      throw new ProvenantError(`the value of ${variable} is not the ${r.argument} that run ${runId} used`, { hint: 'Set it to the value the run was started with; a reproduction with another value would not be the same command.', code: 'E_SECRET_ARGUMENT' });
    }
    const element = out[r.index];
    const at = element?.indexOf(REDACTED) ?? -1;
    if (element === undefined || at < 0) throw new ProvenantError(`the recorded command of run ${runId} does not hold the redacted ${r.argument} where its record says`, { code: 'E_SECRET_ARGUMENT', hint: 'The run record was edited or damaged.' });
    out[r.index] = `${element.slice(0, at)}${isShellScript(out, r.index) ? shellQuote(value) : value}${element.slice(at + REDACTED.length)}`;
  }
  return out;
}
