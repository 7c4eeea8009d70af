import { parse } from 'shell-quote';
import { ProvenantError } from '../util/errors';

export const DEFAULT_PYTHON = 'python3';

export interface ResolvedCommand {
  /** What is recorded and shown: the command as the user gave it. */
  argv: string[];
  /** What is executed: argv with `python`/`python3` replaced by the configured interpreter. */
  exec: string[];
}

/**
 * A command from the CLI (argv) or from config.yaml (a list, or a string split like a shell
 * would). A string using pipes, redirections, `&&` or variables runs through `sh -c`.
 */
export function resolveCommand(command: string[] | string | undefined, python: string | undefined): ResolvedCommand {
  if (command === undefined || (Array.isArray(command) && command.length === 0) || command === '') {
    throw new ProvenantError('no training command', {
      file: '.provenant/config.yaml',
      hint: 'Set `train:` in .provenant/config.yaml (e.g. `train: python train.py`), or run `provenant run -- <command>`.',
      code: 'E_NO_COMMAND',
    });
  }
  let argv: string[];
  if (typeof command === 'string') {
    // A variable (`--token "$HF_TOKEN"`) is expanded by sh when the run starts, and the recorded
    // command keeps its name, not its value.
    const tokens = parse(command, () => ({ op: 'variable' }) as unknown as string);
    argv = tokens.every((t) => typeof t === 'string') ? (tokens as string[]) : ['sh', '-c', command];
  } else {
    argv = command;
  }
  const exec = [...argv];
  if (python && (exec[0] === 'python' || exec[0] === 'python3')) exec[0] = python;
  return { argv, exec };
}
