// The main job on the bundled demo: makes a git workspace from examples/hiring, runs two
// experiments through the CLI, prints what was captured, then checks, reproduces and exports
// the second run as an audit packet.
// Usage: npm run demo   (builds first)   Workspace: .provenant-demo/hiring (recreated each time)
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist', 'cli.js');
const workspace = join(repo, '.provenant-demo', 'hiring');

function findPython() {
  for (const candidate of [process.env.PROVENANT_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    if (spawnSync(candidate, ['-c', 'import sklearn, numpy'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  console.error('The demo needs Python 3 with scikit-learn and numpy: `sudo apt-get install python3-sklearn` (Debian/Ubuntu) or `pip install scikit-learn`, or set PROVENANT_PYTHON.');
  process.exit(1);
}

function step(title) {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

function provenant(...args) {
  console.log(`$ provenant ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: workspace, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const git = (...args) => execFileSync('git', args, { cwd: workspace, encoding: 'utf8' }).trim();

const python = findPython();
step(`Workspace ${workspace} from examples/hiring (Python: ${python})`);
rmSync(workspace, { recursive: true, force: true });
cpSync(join(repo, 'examples', 'hiring'), workspace, { recursive: true, filter: (src) => !/(model\.pkl|__pycache__)$/.test(src) });
const configFile = join(workspace, '.provenant', 'config.yaml');
writeFileSync(configFile, readFileSync(configFile, 'utf8').replace(/^python: .*$/m, `python: ${python}`));
git('init', '-q', '-b', 'main');
git('add', '-A');
git('-c', 'user.name=Provenant Demo', '-c', 'user.email=demo@provenant.invalid', 'commit', '-q', '-m', 'Hiring model: data, training script, params');
git('config', 'user.name', 'Provenant Demo');
git('config', 'user.email', 'demo@provenant.invalid');

step('Experiment 1: logistic regression, committed code, seed from params.yaml');
provenant('run', '--name', 'logistic-baseline');

step('Experiment 2: gradient boosting, an uncommitted edit of params.yaml, seed 7');
const params = join(workspace, 'params.yaml');
writeFileSync(params, readFileSync(params, 'utf8').replace('type: logistic_regression', 'type: gradient_boosting'));
provenant('run', '--name', 'gradient-boosting', '--seed', '7');

step('All runs');
provenant('runs', 'list');

step('Everything captured for the second run');
const [latest] = JSON.parse(execFileSync(process.execPath, [cli, 'runs', 'list', '--json'], { cwd: workspace, encoding: 'utf8' }));
provenant('runs', 'show', latest.id);

step('Fairness of the second run: the four-fifths rule between Weequay and Togruta');
provenant('fairness', latest.id);

step('Which features drive it (permutation importance, through `python -m provenant serve`)');
provenant('explain', latest.id, '--method', 'permutation');

step('Governance checks (a FAIL is a finding, not an error; --strict makes it fail CI)');
provenant('check', latest.id);

step('Reproduce it in an isolated checkout and compare everything');
provenant('reproduce', latest.id);

step('Export the audit packet and verify it');
const packet = join(repo, '.provenant-demo', 'hiring-audit-packet.zip');
provenant('packet', 'export', latest.id, '-o', packet);
provenant('packet', 'verify', packet);

step('Runs live in git too (HEAD, index and working tree untouched)');
console.log(git('for-each-ref', '--format=%(refname) %(objectname:short) %(subject)', 'refs/provenant'));
console.log(`git status --short:\n${git('status', '--short')}`);
if (!existsSync(join(workspace, '.provenant', 'runs', latest.id, 'predictions.csv'))) process.exit(1);
console.log(`\nOpen the workspace in VS Code with the extension installed to browse the runs: code ${workspace}`);
