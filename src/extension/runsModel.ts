import * as vscode from 'vscode';
import { readFileSync, statSync } from 'node:fs';
import { listRuns, runFile, type RunCache, type RunListing } from '../core/runs/store';

/** How often runs being set up or running are checked (see `pollPending`). */
const RUNNING_POLL_MS = 2000;

/**
 * The runs of the workspace as last read from disk, re-read (debounced) whenever anything under
 * `.provenant/runs/` or the git HEAD changes, by a run started here, by the CLI, or by git.
 */
export class RunsModel implements vscode.Disposable {
  private listing: RunListing = { runs: [], problems: [] };
  /** Parsed records by id, re-read only when their run.json changes (see listRuns). */
  private readonly cache: RunCache = new Map();
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<RunListing>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  readonly onDidChange = this.changed.event;

  constructor(private readonly root: string, private readonly delayMs: () => number) {
    const watch = (pattern: string) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), pattern));
      this.disposables.push(watcher, watcher.onDidCreate(() => this.schedule()), watcher.onDidChange(() => this.schedule()), watcher.onDidDelete(() => this.schedule()));
    };
    watch('.provenant/runs/*/run.json');
    // A folder created together with its files can escape the watcher: it is not watched yet when
    // the files are written (the first run of a workspace creates .provenant/runs/<id>/ at once).
    // Creating the folders is seen, and the records of running runs are polled until they end.
    watch('.provenant/runs');
    watch('.provenant/runs/*');
    watch('.git/HEAD');
    this.reload();
  }

  get runs() {
    return this.listing.runs;
  }

  get problems() {
    return this.listing.problems;
  }

  find(id: string) {
    return this.listing.runs.find((r) => r.id === id);
  }

  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.delayMs());
  }

  reload(): void {
    this.timer = undefined;
    const listing = listRuns(this.root, this.cache);
    // A run folder without run.json is a run still being set up (code snapshot, environment and
    // data hashes come first), not an unreadable one: it is left out until its record exists.
    const stamps = new Map(listing.problems.map((p) => [p.id, this.recordStamp(p.id)]));
    this.listing = { runs: listing.runs, problems: listing.problems.filter((p) => stamps.get(p.id) !== -1) };
    this.pollPending(stamps);
    this.changed.fire(this.listing);
  }

  /** mtime of a run's run.json, -1 when it does not exist. */
  private recordStamp(id: string): number {
    try {
      return statSync(runFile(this.root, id, 'run.json')).mtimeMs;
    } catch {
      return -1;
    }
  }

  /**
   * Re-reads the list as soon as a run listed as running says otherwise, or the record of a run
   * being set up (or unreadable) is written: the watcher can miss both (see the constructor).
   */
  private pollPending(problemStamps: Map<string, number>): void {
    if (this.poll) clearTimeout(this.poll);
    this.poll = undefined;
    const running = this.listing.runs.filter((r) => r.status === 'running').map((r) => r.id);
    if (running.length === 0 && problemStamps.size === 0) return;
    const ended = (id: string) => {
      try {
        return (JSON.parse(readFileSync(runFile(this.root, id, 'run.json'), 'utf8')) as { status?: unknown }).status !== 'running';
      } catch {
        return true; // gone or being replaced: re-read
      }
    };
    const tick = () => {
      this.poll = undefined;
      if (running.some(ended) || [...problemStamps].some(([id, stamp]) => this.recordStamp(id) !== stamp)) this.schedule();
      else this.poll = setTimeout(tick, RUNNING_POLL_MS);
    };
    this.poll = setTimeout(tick, RUNNING_POLL_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearTimeout(this.poll);
    for (const d of this.disposables) d.dispose();
  }
}
