import * as vscode from 'vscode';
import type { ExperimentInfo } from '../../core/experiments/experiments';
import type { JournalEntry } from '../../core/experiments/journal';

/** Experiment branches, journal and stars as last read; filled by the experiments area, read by the Experiments view and the status bar. */
export interface ExperimentsSnapshot {
  experiments: ExperimentInfo[];
  journal: JournalEntry[];
  stars: Set<string>;
}

/** Created once per activation (see extension.ts) and shared through the ProvenantContext. */
export class ExperimentsHub implements vscode.Disposable {
  private current: ExperimentsSnapshot | null = null;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  get snapshot(): ExperimentsSnapshot | null {
    return this.current;
  }

  set(snapshot: ExperimentsSnapshot): void {
    this.current = snapshot;
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
