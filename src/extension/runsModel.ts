import * as vscode from 'vscode';
import { listRuns, type RunListing } from '../core/runs/store';

/**
 * The runs of the workspace as last read from disk, re-read (debounced) whenever anything under
 * `.provenant/runs/` or the git HEAD changes, by a run started here, by the CLI, or by git.
 */
export class RunsModel implements vscode.Disposable {
  private listing: RunListing = { runs: [], problems: [] };
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<RunListing>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  readonly onDidChange = this.changed.event;

  constructor(private readonly root: string, private readonly delayMs: () => number) {
    const watch = (pattern: string) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), pattern));
      this.disposables.push(watcher, watcher.onDidCreate(() => this.schedule()), watcher.onDidChange(() => this.schedule()), watcher.onDidDelete(() => this.schedule()));
    };
    watch('.provenant/runs/*/run.json');
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
    this.listing = listRuns(this.root);
    this.changed.fire(this.listing);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
