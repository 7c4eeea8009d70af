/** The run id a command was given: an id, or a tree node or webview item holding `run.id`. */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'run' in arg) {
    const run = (arg as { run: unknown }).run;
    if (run && typeof run === 'object' && typeof (run as { id?: unknown }).id === 'string') return (run as { id: string }).id;
  }
  return undefined;
}
