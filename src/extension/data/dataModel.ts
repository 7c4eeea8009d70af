import * as vscode from 'vscode';
import { dataHistory, type DatasetHistory } from '../../core/data/runData';
import { dataStatus, isStageStatus, type OutputStatus, type StageStatus } from '../../core/data/status';
import { describeError } from '../../core/util/errors';
import type { ProvenantContext } from '../context';

export interface DataSnapshot {
  outputs: OutputStatus[];
  stages: StageStatus[];
  history: DatasetHistory[];
  /** When the status was computed. */
  at: number;
}

/**
 * The workspace's data status, recomputed (debounced) when DVC files, params or tracked data change
 * on disk, or when runs change. Status is computed lazily: only once something (the Data view, the
 * decorations) asks for it, and never twice at the same time.
 */
export class DataModel implements vscode.Disposable {
  private snapshot: DataSnapshot | undefined;
  private pending: Promise<DataSnapshot> | undefined;
  private stale = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<DataSnapshot>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private dataWatchers: vscode.Disposable[] = [];
  private watchedPaths = '';
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: ProvenantContext) {
    const watch = (pattern: string) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(ctx.root), pattern));
      this.disposables.push(watcher, watcher.onDidCreate(() => this.schedule()), watcher.onDidChange(() => this.schedule()), watcher.onDidDelete(() => this.schedule()));
    };
    for (const pattern of ['**/*.dvc', '**/dvc.yaml', '**/dvc.lock', '**/params.yaml', '.dvc/config', '.dvc/config.local']) watch(pattern);
    // Runs change often while one is running: only the "runs that used each version" part is redone.
    this.disposables.push(ctx.runs.onDidChange(() => this.refreshHistory()));
  }

  get current(): DataSnapshot | undefined {
    return this.snapshot;
  }

  /** The latest status, computing it when stale (shared by every caller meanwhile). */
  get(): Promise<DataSnapshot> {
    if (!this.stale && this.snapshot) return Promise.resolve(this.snapshot);
    this.pending ??= this.compute().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Marks the status stale and recomputes it after the refresh delay. */
  schedule(): void {
    this.stale = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.get().catch(() => undefined);
    }, this.ctx.settings().get<number>('refreshDelayMs') ?? 300);
  }

  private refreshHistory(): void {
    const snap = this.snapshot;
    if (!snap || this.stale) return;
    try {
      this.snapshot = { ...snap, history: dataHistory(this.ctx.root, [], this.ctx.runs.runs) };
      this.changed.fire(this.snapshot);
    } catch (err) {
      this.ctx.output.warn(`Data history: ${describeError(err)}`);
    }
  }

  /** Recomputes now (after Track, Checkout...). */
  async refresh(): Promise<DataSnapshot> {
    this.stale = true;
    if (this.pending) await this.pending.catch(() => undefined);
    return this.get();
  }

  private async compute(): Promise<DataSnapshot> {
    this.stale = false;
    let snapshot: DataSnapshot;
    try {
      // Shown in the window's progress area; hashing of changed files can take a while.
      snapshot = await vscode.window.withProgress({ location: { viewId: 'provenant.data' } }, async () => {
        const entries = await dataStatus(this.ctx.root);
        return {
          outputs: entries.filter((e): e is OutputStatus => !isStageStatus(e)),
          stages: entries.filter(isStageStatus),
          history: dataHistory(this.ctx.root, [], this.ctx.runs.runs),
          at: Date.now(),
        };
      });
    } catch (err) {
      this.ctx.output.warn(`Data status: ${describeError(err)}`);
      snapshot = { outputs: [{ file: '', path: '', status: 'error', error: describeError(err) }], stages: [], history: [], at: Date.now() };
    }
    this.snapshot = snapshot;
    this.watchOutputs(snapshot.outputs.map((o) => o.path).filter(Boolean));
    this.changed.fire(snapshot);
    return snapshot;
  }

  /** Watches the tracked data itself, so an edit inside a dataset shows as "modified". */
  private watchOutputs(paths: string[]): void {
    const key = [...new Set(paths)].sort().join('\n');
    if (key === this.watchedPaths) return;
    this.watchedPaths = key;
    for (const d of this.dataWatchers) d.dispose();
    this.dataWatchers = [];
    for (const path of new Set(paths)) {
      for (const pattern of [path, `${path}/**`]) {
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(this.ctx.root), pattern));
        this.dataWatchers.push(watcher, watcher.onDidCreate(() => this.schedule()), watcher.onDidChange(() => this.schedule()), watcher.onDidDelete(() => this.schedule()));
      }
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of [...this.disposables, ...this.dataWatchers]) d.dispose();
  }
}
