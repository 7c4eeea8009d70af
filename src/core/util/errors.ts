/**
 * An error meant for a person: it names the file concerned (when there is one) and says what to do.
 * Every module in core throws these for anything caused by user input or workspace state, so the
 * CLI and the extension can show them verbatim instead of a stack trace.
 */
export class ProvenantError extends Error {
  readonly file: string | undefined;
  readonly hint: string | undefined;
  readonly code: string;

  constructor(message: string, options: { file?: string; hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProvenantError';
    this.file = options.file;
    this.hint = options.hint;
    this.code = options.code ?? 'E_PROVENANT';
  }

  /** One or two lines for a person: "file: message" then the hint. */
  describe(): string {
    const head = this.file && !this.message.includes(this.file) ? `${this.file}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  ${this.hint}` : head;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ProvenantError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
