import type { Command } from 'commander';
import { chmodSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '../../core/git/repo';
import { assertOutsideWorkspace, generateSigningKey, keyFingerprint, parsePublicKey } from '../../core/packet/signing';
import { writeFileAtomic } from '../../core/util/atomic';
import { checkRun, failsStrict, type CheckResult } from '../../core/governance/checks';
import { reproduceRun } from '../../core/packet/reproduce';
import { VERDICT_LABELS, type ReproductionVerdict } from '../../core/governance/reproductionRecord';
import { exportPacket } from '../../core/packet/export';
import { verifyPacket } from '../../core/packet/verify';
import { ProvenantError } from '../../core/util/errors';
import { json, num, print, withCancel, workspace } from '../io';

/** The `provenant` Python package ships next to the bundle: dist/cli.js → python/. */
const PYTHON_HELPER_DIR = join(__dirname, '..', 'python');

const MARK: Record<CheckResult['verdict'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR' };

/** `provenant reproduce` exit status by verdict (2 stays usage and workspace errors). */
const REPRODUCE_EXIT_CODES: Record<ReproductionVerdict, number> = { identical: 0, 'within-tolerance': 0, diverged: 1, unverified: 3, 'missing-input': 4 };

/** `provenant check`, `provenant reproduce`, `provenant packet export|verify`. */
export function registerGovernanceCommands(program: Command): void {
  program
    .command('check')
    .description('governance checks of a run: seed, data, code, environment, train/test overlap, scores, imbalance, subgroups, assumptions, reproduction')
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .option('--json', 'machine-readable output')
    .option('--strict', 'exit 1 when any check fails or cannot be evaluated (for CI)')
    .action(async (query: string, opts: { json?: boolean; strict?: boolean }) => {
      const root = workspace();
      const report = await checkRun(root, query);
      if (opts.json) {
        json({ run: report.run, checks: report.checks.map((c) => ({ id: c.id, verdict: c.verdict, evidence: c.evidence, advice: c.advice, title: c.title, ...(c.file ? { file: c.file } : {}) })), thresholds: report.thresholds });
      } else {
        print(`Governance checks of run ${report.run}`);
        for (const c of report.checks) {
          print(`\n${MARK[c.verdict]}  ${c.title} (${c.id})`);
          print(`      ${c.evidence}`);
          if (c.verdict !== 'pass') print(`      → ${c.advice}`);
        }
        const count = (v: CheckResult['verdict']) => report.checks.filter((c) => c.verdict === v).length;
        print(`\n${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed${count('error') ? `, ${count('error')} not evaluated (error)` : ''}`);
      }
      if (opts.strict && failsStrict(report.checks)) process.exitCode = 1;
    });

  program
    .command('reproduce')
    .description('re-run a run in an isolated checkout of its snapshot, with its data and seed, and record whether it reproduces (exit 0 identical or within tolerance, 1 diverged, 3 unverified, 4 missing input)')
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .option('--json', 'machine-readable output')
    .option('--python <interpreter>', 'Python interpreter (default: `python` in .provenant/config.yaml, else python3)')
    .option('--abs-tolerance <x>', 'largest absolute difference counted as within tolerance', num('--abs-tolerance', 0))
    .option('--rel-tolerance <x>', 'largest relative difference counted as within tolerance', num('--rel-tolerance', 0))
    .option('--keep', 'keep the temporary checkout and print where it is')
    .option('-q, --quiet', "do not echo the re-run's output")
    .action(async (query: string, opts: { json?: boolean; python?: string; absTolerance?: number; relTolerance?: number; keep?: boolean; quiet?: boolean }) => {
      const root = workspace();
      const { record, checkout } = await withCancel((signal) =>
        reproduceRun(root, query, {
          pythonHelperDir: PYTHON_HELPER_DIR,
          signal,
          ...(opts.python ? { python: opts.python } : {}),
          ...(opts.absTolerance !== undefined ? { absoluteTolerance: opts.absTolerance } : {}),
          ...(opts.relTolerance !== undefined ? { relativeTolerance: opts.relTolerance } : {}),
          ...(opts.keep ? { keep: true } : {}),
          onStep: (m) => process.stderr.write(`provenant: ${m}\n`),
          ...(opts.quiet || opts.json ? {} : { onOutput: (_s: 'stdout' | 'stderr', chunk: Buffer) => process.stderr.write(chunk) }),
        }),
      );
      if (opts.json) {
        json({ ...record, ...(checkout ? { checkout } : {}) });
      } else {
        print(`Run ${record.run}: ${VERDICT_LABELS[record.verdict].toUpperCase()}`);
        print(`  ${record.summary}`);
        for (const d of record.differences.slice(0, 30)) {
          print(`  ${d.withinTolerance ? '~' : '≠'} ${d.kind} ${d.name}: ${String(d.original)} → ${String(d.reproduced)}${d.absolute !== null ? ` (|Δ| ${d.absolute.toPrecision(3)})` : ''}${d.note ? ` (${d.note})` : ''}`);
        }
        for (const n of record.notes ?? []) print(`  note: ${n}`);
        if (record.differences.length > 30) print(`  … ${record.differences.length - 30} more in reproduction.json`);
        if (!record.environment.same) print(`  environment drift: ${record.environment.drift.join('; ')}`);
        print(`  re-run ${record.reproduction}; tolerance absolute ${record.tolerance.absolute}, relative ${record.tolerance.relative}`);
        if (checkout) print(`  checkout kept at ${checkout}`);
      }
      process.exitCode = REPRODUCE_EXIT_CODES[record.verdict];
    });

  const packet = program.command('packet').description('audit packets: one verifiable zip with the report, model card, records and evidence of a run');
  packet
    .command('export')
    .description('export the audit packet of a run')
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .requiredOption('-o, --output <file>', 'the packet file to write (.zip)')
    .option('--key <file>', 'sign the manifest with this Ed25519 private key (PEM, kept outside the workspace)')
    .option('--json', 'machine-readable output')
    .action(async (query: string, opts: { output: string; key?: string; json?: boolean }) => {
      const root = workspace();
      const result = await exportPacket(root, query, {
        output: resolve(opts.output),
        ...(opts.key ? { keyFile: resolve(opts.key) } : {}),
        onStep: (m: string) => process.stderr.write(`provenant: ${m}\n`),
      });
      for (const n of result.notes) process.stderr.write(`provenant: note: ${n}\n`);
      if (opts.json) json(result);
      else print(`Wrote ${result.file}: ${result.files} files, ${result.bytes} bytes${result.signed ? ', manifest signed (Ed25519)' : ''}.`);
    });
  packet
    .command('keygen')
    .description('create an Ed25519 signing key pair (private key PEM, and <file>.pub) outside the workspace')
    .requiredOption('-o, --output <file>', 'where to write the private key (outside any workspace)')
    .action((opts: { output: string }) => {
      const file = resolve(opts.output);
      const root = findRepoRoot(process.cwd());
      if (root) assertOutsideWorkspace(root, file);
      if (existsSync(file)) throw new ProvenantError('the key file exists already', { file, hint: 'Choose another name; an existing key is never overwritten.', code: 'E_KEY_EXISTS' });
      const { privatePem, publicPem } = generateSigningKey();
      writeFileAtomic(file, privatePem);
      chmodSync(file, 0o600);
      writeFileAtomic(`${file}.pub`, publicPem);
      print(`Wrote ${file} (private, mode 600) and ${file}.pub; key ${keyFingerprint(parsePublicKey(publicPem, `${file}.pub`))}.`);
    });
  packet
    .command('verify')
    .description('check every hash (and the signature) of an audit packet; names any modified, missing or extra file')
    .argument('<file>', 'the packet (.zip)')
    .option('--public-key <file>', 'the signer\'s Ed25519 public key (PEM); default: the one in the packet')
    .option('--extract <dir>', 'when intact, extract the packet into this (empty or new) folder')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { publicKey?: string; extract?: string; json?: boolean }) => {
      const result = await verifyPacket(resolve(file), { ...(opts.publicKey ? { publicKeyFile: resolve(opts.publicKey) } : {}), ...(opts.extract ? { extractTo: resolve(opts.extract) } : {}) });
      if (opts.json) json(result);
      else {
        print(`${result.ok ? 'INTACT' : 'NOT INTACT'}  ${file}`);
        print(`  ${result.checked} file(s) checked against manifest.json (SHA-256)${result.signature ? `; signature: ${result.signature}` : ''}`);
        print(`  ${result.guarantee}`);
        for (const p of result.problems) print(`  ${p.kind.toUpperCase()}  ${p.entry}${p.detail ? `: ${p.detail}` : ''}`);
        if (result.extractedTo) print(`  extracted to ${result.extractedTo}`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}
