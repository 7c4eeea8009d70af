/**
 * Client of the predictor protocol (`provenant.predictor/1`, documented in
 * python/provenant/serve.py and the README): one long-lived process per analysis, JSON lines on
 * stdin/stdout, every perturbed row sent in large batches (float64 rows in base64 when the
 * predictor supports it and all features are numeric, JSON rows otherwise).
 *
 * A predictor that crashes, answers garbage or hangs (no answer within the timeout) ends the
 * analysis with a ProvenantError carrying the end of its stderr; its whole process group is
 * killed, on cancellation too, and when this process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ProvenantError } from '../util/errors';

export const PREDICTOR_PROTOCOL = 'provenant.predictor/1';

export interface PredictorOptions {
  /** argv of the predictor. */
  command: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Time allowed for the hello line (loading the model). Default 60 s. */
  startTimeoutMs?: number;
  /** Time allowed without any answer while batches are outstanding. Default 120 s. */
  batchTimeoutMs?: number;
  /** Rows per request line. Default 20,000. */
  batchRows?: number;
  signal?: AbortSignal;
  /** Where the command came from, for error messages (e.g. ".provenant/config.yaml"). */
  source?: string;
}

export interface PredictorHello {
  protocol: string;
  features: string[] | null;
  /** "probability" (of the positive class), "value", or "probabilities" (one per class, in `classes` order). */
  output: string;
  encodings: string[];
  /** The model's classes, when it announced them (required with output "probabilities"). */
  classes: string[] | null;
}

/** Rows to predict: row-major float64 values; categorical columns hold indices into `categories[j]`. */
export interface RowBatch {
  values: Float64Array;
  columns: number;
  categories?: (string[] | null)[];
}

export interface PredictorStats {
  rows: number;
  requests: number;
  /** Wall time while at least one request was outstanding. */
  busyMs: number;
  /** Model time the predictor reported (`seconds`), summed. */
  modelSeconds: number;
}

interface Pending {
  id: number;
  rows: number;
  resolve: (values: Float64Array) => void;
  reject: (err: Error) => void;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export class Predictor {
  readonly stats: PredictorStats = { rows: 0, requests: 0, busyMs: 0, modelSeconds: 0 };
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private buffer = '';
  private stderrTail = '';
  private failure: ProvenantError | null = null;
  private busySince = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private helloWaiter: { resolve: (h: PredictorHello) => void; reject: (e: Error) => void } | null = null;
  private hello: PredictorHello | null = null;
  private exited = false;
  /** A protocol violation seen; reported when the process has closed its pipes. */
  private fatalMessage: string | null = null;
  private readonly onAbort = () => this.fail(new ProvenantError('the analysis was cancelled', { code: 'E_CANCELLED' }));

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: PredictorOptions,
  ) {}

  /** Starts the predictor and waits for its hello line. */
  static async start(options: PredictorOptions): Promise<Predictor> {
    if (options.command.length === 0) throw new ProvenantError('the predictor command is empty', { file: options.source, code: 'E_PREDICTOR' });
    if (options.signal?.aborted) throw new ProvenantError('the analysis was cancelled', { code: 'E_CANCELLED' });
    const child = spawn(options.command[0]!, options.command.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    live.add(child);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => live.forEach(killGroup));
    }
    const predictor = new Predictor(child, options);
    predictor.attach();
    const hello = new Promise<PredictorHello>((resolve, reject) => (predictor.helloWaiter = { resolve, reject }));
    predictor.arm(options.startTimeoutMs ?? 60_000, 'to start (no hello line)');
    try {
      predictor.hello = await hello;
    } catch (err) {
      await predictor.close();
      throw err;
    }
    clearTimeout(predictor.watchdog);
    return predictor;
  }

  get features(): string[] | null {
    return this.hello?.features ?? null;
  }

  get output(): string {
    return this.hello?.output ?? 'probability';
  }

  get classes(): string[] | null {
    return this.hello?.classes ?? null;
  }

  /** Values per row in every answer: one per class with output "probabilities", else one. */
  get width(): number {
    return this.hello?.output === 'probabilities' ? this.hello.classes!.length : 1;
  }

  private describeCommand(): string {
    return this.options.command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  }

  private error(message: string): ProvenantError {
    const tail = this.stderrTail.trim().split('\n').slice(-6).join('\n    ');
    return new ProvenantError(`the predictor ${message}${tail ? `; its stderr ends with:\n    ${tail}` : ''}`, {
      file: this.options.source,
      hint: `Predictor command: ${this.describeCommand()}. It must follow the predictor protocol (${PREDICTOR_PROTOCOL}); see \`python -m provenant serve --help\`.`,
      code: 'E_PREDICTOR',
    });
  }

  private attach(): void {
    const { child } = this;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    child.stdin!.on('error', () => undefined); // EPIPE when it died: reported through 'exit'
    child.on('error', (err) => this.fail(this.error(`could not be started: ${err.message}`)));
    child.on('exit', (code, signal) => {
      this.exited = true;
      live.delete(child);
      const report = () => this.fail(this.error(this.fatalMessage ?? `exited (${signal ? `signal ${signal}` : `code ${code}`}) ${this.hello ? 'while batches were outstanding' : 'before announcing itself'}`));
      // Report once the last stderr chunk is in: when the pipes close, or shortly after.
      const timer = setTimeout(report, 500);
      child.once('close', () => {
        clearTimeout(timer);
        report();
      });
    });
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private arm(ms: number, what: string): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.fail(this.error(`did not answer within ${Math.round(ms / 1000)} s ${what}: it was stopped`)), ms);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.onLine(line);
      if (this.failure || this.fatalMessage) return;
    }
  }

  private onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      this.fatal(`wrote a line that is not a protocol message: ${JSON.stringify(line.slice(0, 120))} (only protocol lines may go to stdout)`);
      return;
    }
    if (this.helloWaiter) {
      // The waiter stays until the hello is accepted, so a violation rejects it.
      const waiter = this.helloWaiter;
      if (message.protocol !== PREDICTOR_PROTOCOL) {
        this.fatal(`announced protocol ${JSON.stringify(message.protocol)}, expected "${PREDICTOR_PROTOCOL}"`);
        return;
      }
      const features = Array.isArray(message.features) && message.features.every((f) => typeof f === 'string') ? (message.features as string[]) : null;
      const encodings = Array.isArray(message.encodings) ? message.encodings.filter((e): e is string => typeof e === 'string') : ['json'];
      const output = typeof message.output === 'string' ? message.output : 'probability';
      const classes = Array.isArray(message.classes) && message.classes.every((c) => typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean') ? message.classes.map(String) : null;
      if (output === 'probabilities' && (!classes || classes.length < 2)) {
        this.fatal('announced output "probabilities" without its classes (a list of at least two labels in "classes")');
        return;
      }
      this.helloWaiter = null;
      waiter.resolve({ protocol: PREDICTOR_PROTOCOL, features, output, encodings, classes });
      return;
    }
    // The request stays pending until its answer is accepted, so a violation rejects it too.
    const request = this.pending[0];
    if (!request) {
      this.fatal('answered a request that was never sent');
      return;
    }
    if (message.id !== request.id) {
      this.fatal(`answered request ${JSON.stringify(message.id)} where ${request.id} was expected`);
      return;
    }
    if (typeof message.error === 'string') {
      this.accept(message);
      request.reject(this.error(`failed on a batch of ${request.rows} rows: ${message.error}`));
      return;
    }
    const values = this.decode(message, request.rows);
    if (!values) return;
    this.accept(message);
    request.resolve(values);
  }

  /**
   * The predictions of an answer, checked: whole float64 values, one per row (times the width),
   * every one a finite number. Anything else is a broken predictor, not a prediction.
   */
  private decode(message: Record<string, unknown>, rows: number): Float64Array | null {
    const width = this.width;
    const expected = rows * width;
    const per = width === 1 ? '' : ` (${rows} rows × ${width} classes)`;
    let values: Float64Array;
    if (message.encoding === 'f64-base64') {
      const data = message.data;
      if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
        this.fatal('answered an f64-base64 message whose "data" is not base64 text');
        return null;
      }
      const bytes = Buffer.from(data, 'base64');
      if (bytes.byteLength % 8 !== 0) {
        this.fatal(`answered ${bytes.byteLength} bytes of f64-base64 data, not a whole number of float64 values (a multiple of 8 bytes)`);
        return null;
      }
      values = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    } else if (Array.isArray(message.predictions)) {
      const flat = width > 1 && message.predictions.every((p) => Array.isArray(p)) ? (message.predictions as unknown[][]).flat() : (message.predictions as unknown[]);
      const bad = flat.findIndex((v) => typeof v !== 'number');
      if (bad >= 0) {
        this.fatal(`answered a prediction that is not a number: ${JSON.stringify(flat[bad])?.slice(0, 60)} (value ${bad + 1} of the answer)`);
        return null;
      }
      values = Float64Array.from(flat as number[]);
    } else {
      this.fatal('answered without predictions or error');
      return null;
    }
    if (values.length !== expected) {
      this.fatal(`returned ${values.length} predictions for ${rows} rows${per}`);
      return null;
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      this.fatal(`answered ${values[bad]} for row ${Math.floor(bad / width) + 1} of a batch: predictions must be finite numbers`);
      return null;
    }
    return values;
  }

  /**
   * Ends the predictor for a protocol violation: stops it, then reports once its stderr is in
   * (the stderr pipe may lag behind stdout), so the error carries what it wrote.
   */
  private fatal(message: string): void {
    if (this.failure || this.fatalMessage) return;
    this.fatalMessage = message;
    clearTimeout(this.watchdog);
    if (this.exited) {
      this.fail(this.error(message));
      return;
    }
    killGroup(this.child);
    // Should the exit never be seen, report anyway.
    setTimeout(() => this.fail(this.error(message)), 3000).unref();
  }

  private accept(message: Record<string, unknown>): void {
    this.pending.shift();
    if (typeof message.seconds === 'number') this.stats.modelSeconds += message.seconds;
    this.settleBusy();
  }

  private settleBusy(): void {
    if (this.pending.length === 0) {
      this.stats.busyMs += performance.now() - this.busySince;
      clearTimeout(this.watchdog);
    } else {
      this.arm(this.options.batchTimeoutMs ?? 120_000, 'to a batch');
    }
  }

  private fail(err: ProvenantError): void {
    if (this.failure) return;
    this.failure = err;
    clearTimeout(this.watchdog);
    this.helloWaiter?.reject(err);
    this.helloWaiter = null;
    for (const p of this.pending.splice(0)) p.reject(err);
    if (!this.exited) killGroup(this.child);
  }

  /** Predictions for every row of the batch, in order. */
  async predict(batch: RowBatch): Promise<Float64Array> {
    const rows = batch.values.length / batch.columns;
    if (!Number.isInteger(rows)) throw new Error('predict: values.length is not a multiple of columns');
    if (this.failure) throw this.failure;
    if (rows === 0) return new Float64Array(0);
    const binary = this.hello!.encodings.includes('f64-base64') && !(batch.categories ?? []).some((c) => c);
    const per = Math.max(1, this.options.batchRows ?? 20_000);
    const parts: Promise<Float64Array>[] = [];
    for (let start = 0; start < rows; start += per) {
      const end = Math.min(rows, start + per);
      parts.push(this.send(batch, start, end, binary));
    }
    const results = await Promise.all(parts);
    if (results.length === 1) return results[0]!;
    const out = new Float64Array(rows);
    let offset = 0;
    for (const r of results) {
      out.set(r, offset);
      offset += r.length;
    }
    return out;
  }

  private send(batch: RowBatch, start: number, end: number, binary: boolean): Promise<Float64Array> {
    const id = this.nextId++;
    const n = end - start;
    const m = batch.columns;
    let line: string;
    if (binary) {
      const slice = batch.values.subarray(start * m, end * m);
      const data = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64');
      line = `{"id":${id},"encoding":"f64-base64","rows":${n},"columns":${m},"data":"${data}"}\n`;
    } else {
      const rows: (number | string)[][] = [];
      for (let r = start; r < end; r++) {
        const row: (number | string)[] = [];
        for (let j = 0; j < m; j++) {
          const v = batch.values[r * m + j]!;
          const cats = batch.categories?.[j];
          row.push(cats ? cats[v]! : v);
        }
        rows.push(row);
      }
      line = `${JSON.stringify({ id, rows })}\n`;
    }
    return new Promise<Float64Array>((resolve, reject) => {
      if (this.pending.length === 0) {
        this.busySince = performance.now();
        this.arm(this.options.batchTimeoutMs ?? 120_000, 'to a batch');
      }
      this.pending.push({ id, rows: n, resolve, reject });
      this.stats.rows += n;
      this.stats.requests++;
      this.child.stdin!.write(line);
    });
  }

  /** Ends the predictor: closes its input, waits briefly, then kills its process group. */
  async close(): Promise<void> {
    clearTimeout(this.watchdog);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (!this.failure) this.failure = new ProvenantError('the predictor was closed', { code: 'E_PREDICTOR' });
    for (const p of this.pending.splice(0)) p.reject(this.failure);
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([exited, timer]);
    if (!this.exited) {
      killGroup(this.child);
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    }
    live.delete(this.child);
  }

  /** True once the predictor failed, was cancelled or closed: it takes no more requests. */
  get failed(): boolean {
    return this.failure !== null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
}
