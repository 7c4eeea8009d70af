import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git, fs, authorIdentity, currentBranch } from '../git/repo';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { withFileLock } from '../util/lockFile';
import { writeRefLocked, readRefSync } from './gitops';

/**
 * The experiment journal, `.provenant/journal.jsonl`: one JSON object a line, appended to, never
 * rewritten. Assumptions and decisions the data scientist logs, plus the archive, restore and
 * merge events of experiment branches. The file is kept out of branch commits (it must survive
 * switches), and every append is also committed to `refs/provenant/journal`, so it is shared by
 * pushing that ref and can be recovered from it.
 */
export const JOURNAL_PATH = '.provenant/journal.jsonl';
export const JOURNAL_REF = 'refs/provenant/journal';
export const JOURNAL_SCHEMA = 'provenant.journal/1';
/** Held (inside `.git`) while the journal file and its ref are being appended to. */
export const JOURNAL_LOCK = 'provenant/journal.lock';
export const JOURNAL_KINDS = ['assumption', 'decision', 'archive', 'restore', 'merge'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export interface JournalEntry {
  schema: typeof JOURNAL_SCHEMA;
  time: string;
  /** "Name <email>" from git config. */
  author: string;
  experiment: string | null;
  run: string | null;
  kind: JournalKind;
  text: string;
}

export interface JournalProblem {
  line: number;
  message: string;
}

const MAX_TEXT = 10_000;

function parseEntry(value: unknown): JournalEntry | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.time !== 'string' || Number.isNaN(Date.parse(v.time))) return '"time" must be an ISO date';
  if (typeof v.author !== 'string') return '"author" must be a string';
  if (v.experiment !== null && typeof v.experiment !== 'string') return '"experiment" must be a string or null';
  if (v.run !== null && typeof v.run !== 'string') return '"run" must be a string or null';
  if (!JOURNAL_KINDS.includes(v.kind as JournalKind)) return `"kind" must be one of ${JOURNAL_KINDS.join(', ')}`;
  if (typeof v.text !== 'string') return '"text" must be a string';
  return { schema: JOURNAL_SCHEMA, time: v.time, author: v.author, experiment: v.experiment as string | null, run: v.run as string | null, kind: v.kind as JournalKind, text: v.text };
}

/** Every readable entry, oldest first; malformed lines are reported by number, never fatal. */
export function readJournal(root: string): { entries: JournalEntry[]; problems: JournalProblem[] } {
  const file = join(root, JOURNAL_PATH);
  const entries: JournalEntry[] = [];
  const problems: JournalProblem[] = [];
  if (!existsSync(file)) return { entries, problems };
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        problems.push({ line: i + 1, message: 'not valid JSON' });
        return;
      }
      const entry = parseEntry(parsed);
      if (typeof entry === 'string') problems.push({ line: i + 1, message: entry });
      else entries.push(entry);
    });
  return { entries, problems };
}

/** Keeps Provenant's per-workspace files out of branch commits, through `.git/info/exclude` (no tracked file changes). */
export function ensureExcluded(root: string, patterns: string[]): void {
  const file = join(root, '.git', 'info', 'exclude');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = text.split(/\r?\n/);
  const missing = patterns.filter((p) => !lines.includes(p));
  if (missing.length === 0) return;
  const header = lines.includes('# Provenant: per-workspace files, kept across branch switches') ? '' : '# Provenant: per-workspace files, kept across branch switches\n';
  writeFileAtomic(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${header}${missing.join('\n')}\n`);
}

export const PROVENANT_EXCLUDES = ['/.provenant/journal.jsonl', '/.provenant/stars.json'];

export interface NoteInput {
  kind: JournalKind;
  text: string;
  /** Default: the current branch. */
  experiment?: string | null;
  run?: string | null;
  /** Default: now. */
  time?: Date;
}

/** Appends one entry (atomically: the old lines are kept byte for byte) and records the journal in git. */
export async function appendJournal(root: string, input: NoteInput): Promise<JournalEntry> {
  const text = input.text.trim();
  if (!text) throw new ProvenantError('the note is empty', { file: JOURNAL_PATH, hint: 'Write the assumption or decision as text.', code: 'E_NOTE_EMPTY' });
  if (text.length > MAX_TEXT) throw new ProvenantError(`the note is too long (${text.length} characters, at most ${MAX_TEXT})`, { file: JOURNAL_PATH, code: 'E_NOTE_LONG', hint: 'Shorten it, or put the details in a file and refer to it.' });
  if (!JOURNAL_KINDS.includes(input.kind)) throw new ProvenantError(`unknown note kind "${input.kind}"`, { file: JOURNAL_PATH, code: 'E_NOTE_KIND', hint: `Use one of ${JOURNAL_KINDS.join(', ')}.` });
  const author = await authorIdentity(root);
  const entry: JournalEntry = {
    schema: JOURNAL_SCHEMA,
    time: (input.time ?? new Date()).toISOString(),
    author: `${author.name} <${author.email}>`,
    experiment: input.experiment === undefined ? await currentBranch(root) : input.experiment,
    run: input.run ?? null,
    kind: input.kind,
    text,
  };
  // One writer at a time (file and ref together): appends read the journal, so two at once would lose one.
  await withFileLock(join(root, '.git', JOURNAL_LOCK), async ({ tookOver }) => {
    // A writer that died holding the journal lock may have died holding the ref's lock too.
    if (tookOver) rmSync(join(root, '.git', `${JOURNAL_REF}.lock`), { force: true });
    ensureExcluded(root, PROVENANT_EXCLUDES);
    const file = join(root, JOURNAL_PATH);
    const before = existsSync(file) ? readFileSync(file) : null;
    const old = before ?? Buffer.alloc(0);
    const separator = old.length > 0 && old[old.length - 1] !== 0x0a ? '\n' : '';
    const after = Buffer.concat([old, Buffer.from(`${separator}${JSON.stringify(entry)}\n`)]);
    writeFileAtomic(file, after);
    try {
      await recordJournalInGit(root, after, `provenant: ${entry.kind} on ${entry.experiment ?? '(detached)'}\n`);
    } catch (err) {
      // Not recorded in git: the file goes back to what it was, so a failure leaves no entry behind.
      if (before) writeFileAtomic(file, before);
      else rmSync(file, { force: true });
      throw err;
    }
  }, { what: 'the journal', file: `.git/${JOURNAL_LOCK}`, timeoutMs: 60_000 });
  return entry;
}

async function recordJournalInGit(root: string, bytes: Buffer, message: string): Promise<void> {
  const blob = await git.writeBlob({ fs, dir: root, blob: bytes });
  const tree = await git.writeTree({ fs, dir: root, tree: [{ mode: '100644', path: 'journal.jsonl', oid: blob, type: 'blob' }] });
  const parent = readRefSync(root, JOURNAL_REF);
  const author = await authorIdentity(root);
  const identity = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: new Date().getTimezoneOffset() };
  const commit = await git.writeCommit({ fs, dir: root, commit: { message, tree, parent: parent ? [parent] : [], author: identity, committer: identity } });
  writeRefLocked(root, JOURNAL_REF, commit, { expect: parent });
}
