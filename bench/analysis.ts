// Explaining 1,000 applicants of the hiring demo's model through its predictor (python -m
// provenant serve): permutation importance, partial dependence + ICE for every feature, Shapley
// values of 100 rows. Prints the engine's own time (wall time while the predictor had no work)
// as a fraction of the predictor's time, measured in the same run. Goal: under 10%.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCsvColumns, type FeatureColumn } from '../src/core/analysis/dataset';
import { featureMatrix, partialDependence, permutationImportance, shapley } from '../src/core/analysis/explain';
import { Predictor } from '../src/core/analysis/predictor';

const REPO = resolve(__dirname, '..');
const FEATURES = ['age', 'years_experience', 'university', 'education_level', 'test_score', 'interview_score', 'referrals'];
const ROWS = 1000;

function python(): string {
  for (const candidate of [process.env.PROVENANT_TEST_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('the analysis bench needs Python with scikit-learn (Debian: python3-sklearn)');
}

export async function benchAnalysis(): Promise<void> {
  const py = python();
  const root = mkdtempSync(join(tmpdir(), 'provenant-bench-analysis-'));
  try {
    cpSync(join(REPO, 'examples', 'hiring'), root, { recursive: true, filter: (src) => !/(model\.pkl|__pycache__)$/.test(src) });
    const config = join(root, '.provenant', 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^python: .*$/m, `python: ${py}`));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=b@example.com', 'commit', '-qm', 'demo'], { cwd: root });
    execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'run', '--quiet'], { cwd: root, stdio: 'ignore' });
    const runs = join(root, '.provenant', 'runs');
    const id = execFileSync('ls', [runs], { encoding: 'utf8' }).trim().split('\n')[0]!;
    const modelPath = join(runs, id, 'artifacts', 'model.pkl');

    const { header, columns } = parseCsvColumns(readFileSync(join(root, 'data', 'applicants.csv'), 'utf8'), 'data/applicants.csv');
    const features: FeatureColumn[] = FEATURES.map((name) => ({ name, kind: 'numeric', categories: null, values: Float64Array.from(columns[header.indexOf(name)]!.slice(0, ROWS), Number) }));
    const y = Float64Array.from(columns[header.indexOf('high_performer')]!.slice(0, ROWS), Number);
    const x = featureMatrix(features);

    const predictor = await Predictor.start({
      command: [py, '-m', 'provenant', 'serve', modelPath, '--features', FEATURES.join(',')],
      cwd: root,
      env: { ...process.env, PYTHONPATH: join(REPO, 'python') },
    });
    try {
      const ctx = { model: predictor };
      const steps: [string, () => Promise<unknown>][] = [
        ['permutation importance (5 repeats)', () => permutationImportance(x, y, { repeats: 5, seed: 0, scoring: 'roc_auc', threshold: 0.5 }, ctx)],
        ['partial dependence + ICE, all features', () => partialDependence(x, { gridResolution: 100, percentiles: [0.05, 0.95], maxIceRows: 1000, seed: 0 }, ctx)],
        ['Shapley values of 100 rows (exact, background 100)', () => shapley(x, Array.from({ length: 100 }, (_, i) => i), { algorithm: 'auto', backgroundSize: 100, maxEvals: 500, seed: 0, exactMaxFeatures: 10 }, ctx)],
      ];
      console.log(`\nExplaining ${ROWS} rows of the hiring demo's model (logistic regression pipeline) through \`python -m provenant serve\``);
      let total = 0;
      let busy = 0;
      for (const [label, step] of steps) {
        const before = { ...predictor.stats };
        const t = performance.now();
        await step();
        const wall = performance.now() - t;
        const predictorMs = predictor.stats.busyMs - before.busyMs;
        const rows = predictor.stats.rows - before.rows;
        total += wall;
        busy += predictorMs;
        console.log(`  ${label.padEnd(52)} ${rows.toLocaleString('en-US').padStart(10)} model rows  ${wall.toFixed(0).padStart(6)} ms  engine ${(wall - predictorMs).toFixed(0).padStart(4)} ms = ${((100 * (wall - predictorMs)) / predictorMs).toFixed(1)}% of the predictor's`);
      }
      console.log(`  total ${total.toFixed(0)} ms; predictor busy ${busy.toFixed(0)} ms (of which the model itself ${(predictor.stats.modelSeconds * 1000).toFixed(0)} ms, the rest decoding and transport)`);
      console.log(`  engine time outside the predictor / predictor time   ${((total - busy) / busy).toFixed(3)}  (goal: below 0.10)`);
    } finally {
      await predictor.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchAnalysis().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
