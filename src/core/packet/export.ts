/**
 * `provenant packet export`: one zip holding the report (HTML and JSON), the model card, the run
 * record and run folder, the environment snapshot, the data manifest, the uncommitted diff, the
 * journal, the experiment lineage, the stored analyses with their settings, the checks, the
 * reproduction verdict, and manifest.json with the SHA-256 of every file, optionally signed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config';
import { JOURNAL_PATH } from '../experiments/journal';
import type { DirEntry } from '../data/dirManifest';
import { readWorkspaceManifest } from '../data/versions';
import { readRun, resolveRunId, runDir } from '../runs/store';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError, describeError } from '../util/errors';
import { MANIFEST_FILE, PACKET_SCHEMA, PUBLIC_KEY_FILE, SIGNATURE_FILE, type PacketManifest } from './manifest';
import { modelCard } from './modelCard';
import { gatherReport, type PacketReport } from './report';
import { reportHtml } from './reportView';
import { keyFingerprint, loadPrivateKey, parsePrivateKey, publicPemOf, signBytes } from './signing';
import { sha256, writeZip } from './zip';
import { createPublicKey, type KeyObject } from 'node:crypto';

export const GENERATOR = 'Provenant 0.1.0';
/** Run-folder files larger than this stay out of the packet (named in the report's notes). */
export const PACKET_FILE_LIMIT = 50 * 1024 * 1024;
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface ExportOptions {
  output: string;
  /** Ed25519 private key: a PEM file outside the workspace … */
  keyFile?: string;
  /** … or its PEM text (from VS Code's secret storage). */
  privateKeyPem?: string;
  onStep?: (message: string, done: number, total: number) => void;
  signal?: AbortSignal;
  /** A report gathered already (e.g. for the preview), to export exactly what was shown. */
  report?: PacketReport;
}

export interface ExportResult {
  file: string;
  run: string;
  files: number;
  bytes: number;
  sha256: string;
  signed: boolean;
  signer: string | null;
  notes: string[];
}

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

function uncommittedDiff(root: string, base: string | null, snapshot: string): Buffer | null {
  const r = spawnSync('git', ['diff', '--binary', '--no-color', '--no-ext-diff', '--no-renames', base ?? EMPTY_TREE, snapshot, '--'], { cwd: root, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  if (r.status !== 0) return null;
  return r.stdout;
}

/** Files of a folder, recursively (POSIX relative paths), skipping dot-files. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const abs = join(dir, name);
    const st = statSync(abs);
    if (st.isDirectory()) out.push(...listFiles(abs, `${prefix}${name}/`));
    else if (st.isFile()) out.push(`${prefix}${name}`);
  }
  return out;
}

export async function exportPacket(root: string, query: string, options: ExportOptions): Promise<ExportResult> {
  const id = resolveRunId(root, query);
  const run = readRun(root, id);
  const total = 6;
  const step = (message: string, done: number) => {
    if (options.signal?.aborted) throw new ProvenantError('the export was cancelled', { code: 'E_CANCELLED' });
    options.onStep?.(message, done, total);
  };
  let key: KeyObject | null = null;
  if (options.keyFile) key = loadPrivateKey(root, options.keyFile);
  else if (options.privateKeyPem) key = parsePrivateKey(options.privateKeyPem, 'the stored signing key');

  step('Gathering the report: checks, analyses, lineage', 0);
  const report = options.report ?? (await gatherReport(root, id, { config: loadConfig(root), generator: GENERATOR }));
  const notes = [...report.notes];
  const files = new Map<string, Buffer>();

  step('Rendering report.html and the model card', 1);
  files.set('report.html', Buffer.from(reportHtml(report), 'utf8'));
  files.set('report.json', json(report));
  files.set('model-card.json', json(modelCard(report)));

  step('Adding the run record, environment, data manifest, diff and journal', 2);
  const dir = runDir(root, id);
  for (const rel of listFiles(dir)) {
    if (rel.startsWith('analysis/') || rel === 'reproduction.json') continue;
    const size = statSync(join(dir, rel)).size;
    if (size > PACKET_FILE_LIMIT) {
      notes.push(`run/${rel} (${size} bytes) is larger than ${PACKET_FILE_LIMIT} bytes and was left out; its hash is in the run record when it is an artifact.`);
      continue;
    }
    files.set(`run/${rel}`, readFileSync(join(dir, rel)));
  }
  files.set('environment.json', json(run.environment));
  files.set(
    'data-manifest.json',
    json({
      schema: 'provenant.data-manifest/1',
      hash: 'md5 (DVC 3)',
      data: report.data.map((d) => {
        let entries: DirEntry[] | null = null;
        try {
          entries = readWorkspaceManifest(root, d.md5);
        } catch {
          // a damaged manifest or an unreadable .dvc/config: the version is listed without its files
        }
        return { ...d, ...(entries ? { entries } : {}) };
      }),
    }),
  );
  if (run.code.dirty) {
    const diff = uncommittedDiff(root, run.code.baseCommit, run.code.snapshotCommit);
    if (diff) files.set('code/uncommitted.diff', diff);
    else notes.push('The uncommitted diff could not be produced (git executable unavailable); the snapshot commit holds the exact files.');
  }
  files.set('code/changed-files.json', json({ baseCommit: run.code.baseCommit, snapshotCommit: run.code.snapshotCommit, snapshotRef: run.code.snapshotRef, changedFiles: run.code.changedFiles }));
  const journal = join(root, JOURNAL_PATH);
  if (existsSync(journal)) files.set('journal.jsonl', readFileSync(journal));
  files.set('lineage.json', json(report.history));

  step('Adding analyses, checks and the reproduction verdict', 3);
  for (const rel of listFiles(join(dir, 'analysis'))) files.set(`analysis/${rel}`, readFileSync(join(dir, 'analysis', rel)));
  files.set('checks.json', json({ run: id, checks: report.checks }));
  if (existsSync(join(dir, 'reproduction.json'))) files.set('reproduction.json', readFileSync(join(dir, 'reproduction.json')));

  step('Hashing every file into manifest.json', 4);
  const createdAt = new Date();
  const manifest: PacketManifest = {
    schema: PACKET_SCHEMA,
    run: id,
    createdAt: createdAt.toISOString(),
    generator: GENERATOR,
    algorithm: 'sha256',
    files: Object.fromEntries([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, bytes]) => [name, { sha256: sha256(bytes), size: bytes.length }])),
    ...(key ? { signature: { algorithm: 'ed25519' as const, key: keyFingerprint(createPublicKey(key)) } } : {}),
  };
  const manifestBytes = json(manifest);
  const entries = [...[...files.entries()].map(([name, bytes]) => ({ name, bytes })), { name: MANIFEST_FILE, bytes: manifestBytes }];
  let signer: string | null = null;
  if (key) {
    entries.push({ name: SIGNATURE_FILE, bytes: Buffer.from(`${signBytes(manifestBytes, key)}\n`, 'utf8') });
    entries.push({ name: PUBLIC_KEY_FILE, bytes: Buffer.from(publicPemOf(key), 'utf8') });
    signer = keyFingerprint(createPublicKey(key));
  }

  step(`Writing ${options.output}`, 5);
  let zip: Buffer;
  try {
    zip = await writeZip(entries, createdAt);
  } catch (err) {
    throw new ProvenantError(`cannot build the packet: ${describeError(err)}`, { file: options.output, code: 'E_PACKET' });
  }
  writeFileAtomic(options.output, zip);
  options.onStep?.('Done', total, total);
  return { file: options.output, run: id, files: entries.length, bytes: zip.length, sha256: sha256(zip), signed: key !== null, signer, notes };
}
