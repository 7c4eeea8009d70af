/**
 * Renders a PacketReport as a tree of elements (ReportNode): serialized to a self-contained HTML
 * file for the packet (inline CSS, inline SVG charts, no script, no external resource), and
 * turned into DOM nodes by the report preview webview (createElement + textContent, never
 * innerHTML). Pure: no Node or DOM import, so both ends use the same renderer.
 */
import type { PacketReport } from './report';
import type { CheckResult } from '../governance/checks';
import { VERDICT_LABELS, reproductionBadge } from '../governance/verdicts';
import type { Estimate } from '../analysis/types';

export interface ReportNode {
  tag: string;
  attrs?: Record<string, string>;
  children?: (ReportNode | string)[];
}

/** Elements a report may contain (HTML and SVG). Anything else is refused by the webview. */
export const REPORT_TAGS = new Set([
  'article', 'section', 'header', 'footer', 'h1', 'h2', 'h3', 'h4', 'p', 'div', 'span', 'strong', 'em', 'small', 'code', 'pre',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td', 'figure', 'figcaption', 'details', 'summary',
  'svg', 'g', 'rect', 'line', 'text', 'title', 'path', 'circle', 'polyline',
]);
export const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'text', 'title', 'path', 'circle', 'polyline']);
/** Attributes a report may use: no event handlers, no URLs, no inline style. */
export const REPORT_ATTRS = new Set([
  'class', 'id', 'colspan', 'rowspan', 'role', 'aria-label', 'data-verdict', 'data-section', 'open',
  'viewBox', 'width', 'height', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'd', 'points', 'fill', 'stroke', 'stroke-width',
  'stroke-dasharray', 'text-anchor', 'dominant-baseline', 'font-size', 'transform', 'opacity', 'preserveAspectRatio',
]);

type Child = ReportNode | string | null | undefined | false | Child[];

function el(tag: string, attrs: Record<string, string | number | undefined> | null, ...children: Child[]): ReportNode {
  const node: ReportNode = { tag };
  if (attrs) {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = String(v);
    if (Object.keys(clean).length) node.attrs = clean;
  }
  const flat: (ReportNode | string)[] = [];
  const add = (c: Child) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else flat.push(c);
  };
  children.forEach(add);
  if (flat.length) node.children = flat;
  return node;
}

const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : Number.isInteger(v) ? String(v) : Number(v.toFixed(digits)).toString());
const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : n < 1 << 30 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / (1 << 30)).toFixed(2)} GiB`);
const date = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC') : '—');
const est = (e: Estimate | undefined) => (!e ? '—' : e.low === null || e.high === null ? num(e.value, 4) : `${num(e.value, 4)}  [${num(e.low, 4)}, ${num(e.high, 4)}]`);

function table(header: string[], rows: Child[][], cls?: string): ReportNode {
  return el('table', cls ? { class: cls } : null, el('thead', null, el('tr', null, header.map((h) => el('th', null, h)))), el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => el('td', null, c))))));
}

function kv(pairs: [string, Child][]): ReportNode {
  return el('dl', { class: 'kv' }, pairs.map(([k, v]) => [el('dt', null, k), el('dd', null, v ?? '—')]));
}

function section(id: string, number: number, title: string, ...children: Child[]): ReportNode {
  return el('section', { id, 'data-section': id }, el('h2', null, `${number}. ${title}`), ...children);
}

const verdictBadge = (v: string) => el('span', { class: `badge ${v}`, 'data-verdict': v }, v.toUpperCase());

// ---------------------------------------------------------------------------------------------
// Charts (inline SVG)

interface Bar {
  label: string;
  value: number;
  low?: number | null;
  high?: number | null;
  flagged?: boolean;
}

function barChart(title: string, bars: Bar[], options: { max?: number; min?: number; reference?: { value: number; label: string }; format?: (v: number) => string } = {}): ReportNode {
  const format = options.format ?? ((v: number) => num(v, 3));
  const rowH = 22;
  const labelW = 170;
  const plotW = 380;
  const valueW = 110;
  const height = bars.length * rowH + 30;
  const finite = bars.flatMap((b) => [b.value, b.high ?? b.value, b.low ?? b.value]).filter(Number.isFinite);
  const max = options.max ?? Math.max(1e-9, ...finite, options.reference?.value ?? 0);
  const min = options.min ?? Math.min(0, ...finite);
  const x = (v: number) => labelW + ((v - min) / (max - min || 1)) * plotW;
  const children: ReportNode[] = [el('title', null, title)];
  bars.forEach((b, i) => {
    const y = 8 + i * rowH;
    children.push(el('text', { x: labelW - 6, y: y + 13, 'text-anchor': 'end', 'font-size': 11, class: 'chart-label' }, b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label));
    if (Number.isFinite(b.value)) {
      const x0 = x(Math.max(min, Math.min(0, b.value)));
      const x1 = x(b.value);
      children.push(el('rect', { x: Math.min(x0, x1).toFixed(1), y: y + 3, width: Math.max(1, Math.abs(x1 - x0)).toFixed(1), height: rowH - 8, class: b.flagged ? 'bar flagged' : 'bar' }));
      if (b.low !== undefined && b.low !== null && b.high !== undefined && b.high !== null && Number.isFinite(b.low) && Number.isFinite(b.high)) {
        const cy = (y + 3 + (rowH - 8) / 2).toFixed(1);
        children.push(el('line', { x1: x(b.low).toFixed(1), x2: x(b.high).toFixed(1), y1: cy, y2: cy, class: 'whisker' }));
        children.push(el('line', { x1: x(b.low).toFixed(1), x2: x(b.low).toFixed(1), y1: y + 6, y2: y + rowH - 8, class: 'whisker' }));
        children.push(el('line', { x1: x(b.high).toFixed(1), x2: x(b.high).toFixed(1), y1: y + 6, y2: y + rowH - 8, class: 'whisker' }));
      }
    }
    children.push(el('text', { x: labelW + plotW + 8, y: y + 13, 'font-size': 11, class: 'chart-value' }, Number.isFinite(b.value) ? format(b.value) : 'n/a'));
  });
  children.push(el('line', { x1: labelW, x2: labelW + plotW, y1: height - 18, y2: height - 18, class: 'axis' }));
  children.push(el('text', { x: labelW, y: height - 4, 'font-size': 10, class: 'chart-tick' }, format(min)));
  children.push(el('text', { x: labelW + plotW, y: height - 4, 'font-size': 10, 'text-anchor': 'end', class: 'chart-tick' }, format(max)));
  if (options.reference) {
    const rx = x(options.reference.value).toFixed(1);
    children.push(el('line', { x1: rx, x2: rx, y1: 2, y2: height - 18, class: 'reference', 'stroke-dasharray': '4 3' }));
    children.push(el('text', { x: rx, y: height - 4, 'font-size': 10, 'text-anchor': 'middle', class: 'chart-reference' }, options.reference.label));
  }
  return el('figure', { class: 'chart' }, el('svg', { viewBox: `0 0 ${labelW + plotW + valueW} ${height}`, width: labelW + plotW + valueW, height, role: 'img', 'aria-label': title }, children), el('figcaption', null, title));
}

function lineChart(title: string, xs: number[], ys: number[]): ReportNode {
  const w = 260;
  const h = 150;
  const pad = 30;
  const finite = ys.filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  const px = (v: number) => pad + ((v - x0) / (x1 - x0 || 1)) * (w - pad - 8);
  const py = (v: number) => h - pad + 10 - ((v - y0) / (y1 - y0 || 1)) * (h - pad - 8);
  const points = xs.map((xv, i) => (Number.isFinite(ys[i]!) ? `${px(xv).toFixed(1)},${py(ys[i]!).toFixed(1)}` : '')).filter(Boolean).join(' ');
  return el(
    'figure',
    { class: 'chart small' },
    el(
      'svg',
      { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-label': title },
      el('title', null, title),
      el('line', { x1: pad, x2: w - 8, y1: h - pad + 10, y2: h - pad + 10, class: 'axis' }),
      el('line', { x1: pad, x2: pad, y1: 2, y2: h - pad + 10, class: 'axis' }),
      el('polyline', { points, class: 'curve', fill: 'none' }),
      el('text', { x: pad, y: h - 4, 'font-size': 10, class: 'chart-tick' }, num(x0, 2)),
      el('text', { x: w - 8, y: h - 4, 'font-size': 10, 'text-anchor': 'end', class: 'chart-tick' }, num(x1, 2)),
      el('text', { x: pad - 3, y: 10, 'font-size': 10, 'text-anchor': 'end', class: 'chart-tick' }, num(y1, 2)),
      el('text', { x: pad - 3, y: h - pad + 10, 'font-size': 10, 'text-anchor': 'end', class: 'chart-tick' }, num(y0, 2)),
    ),
    el('figcaption', null, title),
  );
}

// ---------------------------------------------------------------------------------------------

function checksTable(checks: CheckResult[]): ReportNode {
  return table(
    ['Check', 'Verdict', 'Evidence', 'What to do'],
    checks.map((c) => [[el('strong', null, c.title), el('div', null, el('code', null, c.id))], verdictBadge(c.verdict), c.evidence, c.verdict === 'pass' ? '—' : c.advice]),
    'checks',
  );
}

/** The whole report as an element tree (the `<article>` inside `<body>`). */
export function renderReport(r: PacketReport): ReportNode {
  const id = r.identity;
  const t = r.training;
  const counts = (v: string) => r.checks.filter((c) => c.verdict === v).length;
  const rep = r.reproduction;
  const ev = r.evaluation?.result;
  const overview = el(
    'div',
    { class: 'overview' },
    el('div', { class: 'tile' }, el('small', null, 'Governance checks'), el('div', null, verdictBadge('pass'), ` ${counts('pass')}  `, verdictBadge('warn'), ` ${counts('warn')}  `, verdictBadge('fail'), ` ${counts('fail')}`, counts('error') ? '  ' : null, counts('error') ? verdictBadge('error') : null, counts('error') ? ` ${counts('error')} not evaluated` : null)),
    el('div', { class: 'tile' }, el('small', null, 'Reproduction'), el('div', null, verdictBadge(rep ? reproductionBadge(rep.verdict) : 'warn'), ' ', rep ? VERDICT_LABELS[rep.verdict].toLowerCase() : 'not reproduced')),
    el('div', { class: 'tile' }, el('small', null, id.keyMetric ? `Key metric (${id.keyMetric})` : 'Key metric'), el('div', { class: 'big' }, id.keyMetric && id.keyMetric in r.metrics ? num(r.metrics[id.keyMetric], 4) : '—')),
  );

  const dataSection = section(
    'data',
    2,
    'Data lineage',
    r.data.length === 0
      ? el('p', { class: 'note' }, 'No data dependency was recorded for this run.')
      : table(
          ['Path', 'Role', 'Hash (DVC md5)', 'Size', 'Files', 'Retrievable from'],
          r.data.map((d) => [el('code', null, d.path), d.role, el('code', null, d.md5), bytes(d.size), d.nfiles !== undefined ? String(d.nfiles) : '1', d.retrievableFrom === 'nowhere' ? el('span', { class: 'fail-text' }, 'nowhere') : d.retrievableFrom === 'cache' ? 'DVC cache' : 'code snapshot (git)']),
        ),
    Object.keys(r.split).length ? el('div', null, el('h3', null, 'Split'), kv(Object.entries(r.split).map(([k, v]) => [k, String(v)]))) : el('p', { class: 'note' }, 'The split is not described by the run\'s parameters.'),
  );

  const envRows: [string, Child][] = [
    ['Python', t.environment.python],
    ['Packages', `${t.environment.packages} with versions`],
    ...Object.entries(t.environment.keyPackages).map(([k, v]): [string, Child] => [k, v]),
    ['Lockfiles', Object.keys(t.environment.lockfiles).length ? Object.entries(t.environment.lockfiles).map(([f, h]) => el('div', null, el('code', null, f), ` md5 ${h}`)) : 'none'],
    ['OS', t.environment.os],
    ['CPU', t.environment.cpu],
    ['GPUs', t.environment.gpus.length ? t.environment.gpus.join('; ') : 'none'],
    ['Fingerprint', el('code', null, t.environment.fingerprint)],
  ];
  const training = section(
    'training',
    3,
    'Training provenance',
    el('h3', null, 'Code'),
    kv([
      ['Base commit', el('code', null, t.code.baseCommit ?? '(none)')],
      ['Snapshot commit', el('code', null, t.code.snapshotCommit)],
      ['Snapshot ref', el('code', null, t.code.snapshotRef)],
      ['Uncommitted changes', t.code.dirty ? `${t.code.changedFiles.length} file(s), exact diff in code/uncommitted.diff` : 'none'],
    ]),
    t.code.changedFiles.length ? el('ul', { class: 'files' }, t.code.changedFiles.slice(0, 50).map((f) => el('li', null, `${f.change} `, el('code', null, f.path)))) : null,
    el('h3', null, 'Run'),
    kv([
      ['Command', el('code', null, id.command.join(' '))],
      ['Started', date(t.startedAt)],
      ['Ended', date(t.endedAt)],
      ['Duration', t.durationMs === null ? '—' : `${(t.durationMs / 1000).toFixed(1)} s`],
      ['Status', `${t.status}${t.exitCode !== null ? ` (exit ${t.exitCode})` : ''}`],
      ['User and host', `${t.user}@${t.host}`],
    ]),
    el('h3', null, 'Seeds'),
    kv([
      ['Root seed', `${t.seeds.root} (${t.seeds.source})`],
      ['Seeded by the script', t.seeds.seeded.length ? t.seeds.seeded.join(', ') : 'nothing reported'],
      ['Determinism variables', Object.entries(t.seeds.env).map(([k, v]) => `${k}=${v}`).join(', ') || '—'],
    ]),
    el('h3', null, 'Parameters'),
    Object.keys(t.params).length ? table(['Name', 'Value'], Object.entries(t.params).map(([k, v]) => [el('code', null, k), JSON.stringify(v)])) : el('p', { class: 'note' }, 'No parameters were logged.'),
    el('h3', null, 'Environment'),
    kv(envRows),
  );

  const h = r.history;
  const history = section(
    'history',
    4,
    'Experiment history',
    h.experiments.length
      ? table(
          ['Experiment', 'State', 'Runs', 'Ahead / behind main'],
          h.experiments.map((e) => [el('code', null, e.name), e.archived ? `archived${e.archivedAt ? ` ${date(e.archivedAt)}` : ''}${e.reason ? `: ${e.reason}` : ''}` : e.current ? 'current' : 'branch', String(e.runs.length), e.ahead === null ? '—' : `${e.ahead} / ${e.behind}`]),
        )
      : el('p', { class: 'note' }, 'No experiment branch is recorded.'),
    el('h3', null, 'Runs'),
    table(
      ['Run', 'Experiment', 'Status', 'Key metric', 'Starred', 'Reproduced'],
      h.runs.map((x) => [[el('code', null, x.id), x.id === id.run ? el('strong', null, '  ← this model') : null, x.name !== x.id ? el('div', null, x.name) : null], x.experiment ?? '—', x.status, x.keyMetric ? `${x.keyMetric.name} ${num(x.keyMetric.value, 4)}` : '—', x.starred ? '★' : '', x.reproduction ? VERDICT_LABELS[x.reproduction.verdict] : '—']),
    ),
    el('h3', null, 'Branch events (archived, restored, promoted)'),
    h.events.length ? el('ul', null, h.events.map((e) => el('li', null, `${date(e.time)} — ${e.kind} `, el('code', null, e.experiment ?? '—'), `: ${e.text} (${e.author})`))) : el('p', { class: 'note' }, 'No branch was archived, restored or merged.'),
    el('h3', null, 'Comparisons'),
    h.comparisons.length ? el('ul', null, h.comparisons.map((c) => el('li', null, 'champion ', el('code', null, c.champion), ' vs challenger ', el('code', null, c.challenger)))) : el('p', { class: 'note' }, 'No champion/challenger comparison is stored.'),
  );

  const evaluation = section(
    'evaluation',
    5,
    'Evaluation',
    ev
      ? [
          el('p', null, `${ev.set} set, ${ev.rows} rows, ${ev.task}${ev.threshold !== null ? `, decision threshold ${ev.threshold}` : ''}${ev.positiveRate !== null ? `, positive class ${num(ev.positiveRate * 100, 1)}%` : ''}. Intervals: ${ev.bootstrap.resamples} bootstrap resamples over rows, seed ${ev.bootstrap.seed}, level ${ev.bootstrap.level}.`),
          barChart(
            `Held-out metrics with ${Math.round(ev.bootstrap.level * 100)}% intervals`,
            Object.entries(ev.metrics)
              .filter(([, e]) => Number.isFinite(e.value) && e.value >= 0 && e.value <= 1)
              .map(([k, e]) => ({ label: k, value: e.value, low: e.low, high: e.high })),
            { min: 0, max: 1 },
          ),
          table(['Metric', 'Value [interval]'], Object.entries(ev.metrics).map(([k, e]) => [k, est(e)])),
          ev.confusion ? el('div', null, el('h3', null, 'Confusion matrix'), table(['', 'Predicted positive', 'Predicted negative'], [[el('strong', null, 'Actual positive'), String(ev.confusion.tp), String(ev.confusion.fn)], [el('strong', null, 'Actual negative'), String(ev.confusion.fp), String(ev.confusion.tn)]], 'confusion')) : null,
          ev.classes && ev.confusionMatrix
            ? el('div', null, el('h3', null, 'Confusion matrix (rows: true class, columns: predicted class)'), table(['', ...ev.classes.map((c) => `Predicted ${c}`)], ev.confusionMatrix.map((row, k) => [el('strong', null, `Actual ${ev.classes![k]}`), ...row.map(String)]), 'confusion'))
            : null,
          ev.warnings.length ? el('ul', { class: 'warnings' }, ev.warnings.map((w) => el('li', null, w))) : null,
        ]
      : el('p', { class: 'note' }, 'No evaluation is stored for this run.'),
    r.comparisons.length
      ? [
          el('h3', null, 'Champion vs challenger'),
          r.comparisons.map((c) => table(['Metric', `Champion ${c.result.champion}`, `Challenger ${c.result.challenger}`, 'Difference [interval]', 'P(not better)'], c.result.metrics.map((m) => [m.metric, num(m.champion, 4), num(m.challenger, 4), est(m.difference), num(m.pNotBetter, 3)]))),
        ]
      : null,
    el('h3', null, 'Metrics logged by the script'),
    Object.keys(r.metrics).length ? table(['Metric', 'Value'], Object.entries(r.metrics).map(([k, v]) => [k, num(v, 6)])) : el('p', { class: 'note' }, 'None.'),
  );

  const ex = r.explanations;
  const explain = section(
    'explainability',
    6,
    'Explainability',
    ex.importance
      ? [
          el('h3', null, 'Permutation importance'),
          el('p', { class: 'settings' }, `Settings: ${JSON.stringify(ex.importance.settings)}`),
          barChart('Mean score drop when the feature is shuffled (± std)', ex.importance.result.map((i) => ({ label: i.feature, value: i.importance, low: i.importance - i.std, high: i.importance + i.std }))),
        ]
      : null,
    ex.dependence
      ? [
          el('h3', null, 'Partial dependence'),
          el('p', { class: 'settings' }, `Settings: ${JSON.stringify(ex.dependence.settings)}`),
          el('div', { class: 'grid' }, ex.dependence.result.filter((d) => d.kind === 'numeric').slice(0, 6).map((d) => lineChart(`Partial dependence on ${d.feature}`, d.grid.map(Number), d.average))),
        ]
      : null,
    ex.local.length
      ? [
          el('h3', null, 'Local explanations (Shapley values)'),
          ex.local.flatMap((s) => s.result).slice(0, 5).map((s) =>
            el('div', null, el('p', null, `Row ${s.row}: prediction ${num(s.prediction, 4)}, base value ${num(s.baseValue, 4)}`), barChart(`Shapley values of row ${s.row}`, Object.entries(s.values).map(([k, v]) => ({ label: k, value: v })))),
          ),
        ]
      : null,
    !ex.importance && !ex.dependence && !ex.local.length ? el('p', { class: 'note' }, 'No explanation is stored for this run.') : null,
  );

  const f = r.fairness;
  const fairness = section(
    'fairness',
    7,
    'Fairness',
    f && f.result.length
      ? [
          el('p', { class: 'settings' }, `Settings: ${JSON.stringify(f.settings)}`),
          f.result.map((a) =>
            el(
              'div',
              { class: 'attribute' },
              el('h3', null, `By ${a.attribute}`),
              barChart(
                `Selection rate by ${a.attribute} (dashed: ${a.fourFifths.threshold === undefined || a.fourFifths.threshold === 0.8 ? 'four-fifths' : a.fourFifths.threshold} of the highest)`,
                a.groups.map((g) => ({ label: `${g.group} (n=${g.n})`, value: g.selectionRate, low: g.selectionRateInterval?.[0] ?? null, high: g.selectionRateInterval?.[1] ?? null, flagged: a.fourFifths.flagged.includes(g.group) })),
                { min: 0, max: Math.min(1, Math.max(...a.groups.map((g) => g.selectionRateInterval?.[1] ?? g.selectionRate)) * 1.1 || 1), reference: { value: (a.fourFifths.threshold ?? 0.8) * Math.max(...a.groups.map((g) => g.selectionRate)), label: a.fourFifths.threshold === undefined || a.fourFifths.threshold === 0.8 ? '4/5' : String(a.fourFifths.threshold) } },
              ),
              table(
                ['Group', 'N', 'Positives', 'Selection rate [interval]', 'TPR', 'FPR', 'Accuracy'],
                a.groups.map((g) => [g.group, String(g.n), String(g.positives), `${num(g.selectionRate)}${g.selectionRateInterval ? ` [${num(g.selectionRateInterval[0])}, ${num(g.selectionRateInterval[1])}]` : ''}`, num(g.tpr), num(g.fpr), num(g.accuracy)]),
              ),
              kv([
                ['Four-fifths rule', [verdictBadge(a.fourFifths.pass ? 'pass' : 'fail'), ` ratio ${num(a.fourFifths.ratio)} (threshold ${a.fourFifths.threshold ?? 0.8})${a.fourFifths.interval ? ` [${num(a.fourFifths.interval[0])}, ${num(a.fourFifths.interval[1])}]` : ''}${a.fourFifths.flagged.length ? `; adverse impact on ${a.fourFifths.flagged.join(', ')}` : ''}${a.fourFifths.smallGroups.length ? `; groups below ${a.fourFifths.minGroupSize} rows: ${a.fourFifths.smallGroups.join(', ')}` : ''}`]],
                ['Demographic parity', `difference ${num(a.demographicParityDifference)}, ratio ${num(a.demographicParityRatio)}`],
                ['Equal opportunity', `difference ${num(a.equalOpportunityDifference)}, ratio ${num(a.equalOpportunityRatio)}`],
                ['Equalized odds', `difference ${num(a.equalizedOddsDifference)}, ratio ${num(a.equalizedOddsRatio)}`],
                [`${a.unprivileged} vs ${a.privileged} (AIF360)`, `statistical parity difference ${num(a.statisticalParityDifference)}, disparate impact ${num(a.disparateImpact)}, average odds difference ${num(a.averageOddsDifference)}`],
              ]),
              a.warnings.length ? el('ul', { class: 'warnings' }, a.warnings.map((w) => el('li', null, w))) : null,
            ),
          ),
        ]
      : el('p', { class: 'note' }, 'No fairness analysis is stored (configure sensitive_attributes and log them with the predictions).'),
  );

  const assumptions = section(
    'assumptions',
    8,
    'Assumptions, decisions, limitations',
    r.assumptions.length
      ? table(['Date', 'Kind', 'Text', 'Author', 'Experiment / run'], r.assumptions.map((e) => [date(e.time), e.kind, e.text, e.author, `${e.experiment ?? '—'}${e.run ? ` / ${e.run}` : ''}`]))
      : el('p', { class: 'note' }, 'No assumption or decision was logged (`provenant note assumption "…"`).'),
  );

  const checks = section('checks', 9, 'Governance checks', checksTable(r.checks));

  const reproduction = section(
    'reproduction',
    10,
    'Reproduction evidence',
    rep
      ? [
          el('p', null, verdictBadge(reproductionBadge(rep.verdict)), ` ${VERDICT_LABELS[rep.verdict]}: ${rep.summary}`),
          kv([
            ['Re-run', el('code', null, rep.reproduction)],
            ['When', `${date(rep.startedAt)} – ${date(rep.finishedAt)}`],
            ['Seed', String(rep.seed)],
            ['Tolerance', `absolute ${rep.tolerance.absolute}, relative ${rep.tolerance.relative}`],
            ['Compared', `exit status, ${rep.compared.output ? `stdout (${rep.compared.output.stdout} lines), stderr (${rep.compared.output.stderr} lines), ` : ''}${rep.compared.files !== undefined ? `${rep.compared.files} written file(s), ` : ''}${rep.compared.metrics} metrics, ${rep.compared.params} params, ${rep.compared.predictionCells} prediction cells in ${rep.compared.predictionSets} set(s), ${rep.compared.artifacts} artifacts`],
            ...(rep.notes?.length ? [['Notes', rep.notes.join('; ')] as [string, string]] : []),
            ['Data', rep.data.map((d) => `${d.path} restored from the ${d.restoredFrom === 'cache' ? 'DVC cache' : 'code snapshot'}, md5 verified`).join('; ') || 'none'],
            ['Environment', rep.environment.same ? 'same as recorded' : `drift: ${rep.environment.drift.join('; ')}`],
          ]),
          rep.differences.length
            ? table(['Kind', 'Name', 'Original', 'Reproduced', '|Δ|', 'Within tolerance'], rep.differences.slice(0, 60).map((d) => [d.kind, el('code', null, d.name), String(d.original), String(d.reproduced), d.absolute === null ? '—' : d.absolute.toPrecision(3), d.withinTolerance ? (d.note ? `yes: ${d.note}` : 'yes') : el('span', { class: 'fail-text' }, d.note ? `no: ${d.note}` : 'no')]))
            : null,
        ]
      : el('p', { class: 'note' }, 'The run has not been reproduced.'),
  );

  const integrity = section(
    'integrity',
    11,
    'Integrity',
    el('p', null, 'manifest.json in this packet lists the SHA-256 and size of every other file. `provenant packet verify <packet.zip>` checks every hash and the signature and names any modified, missing or extra file; without Provenant, compare `sha256sum` of each extracted file with the manifest. When the packet is signed, manifest.sig is the Ed25519 signature of manifest.json\'s exact bytes and signer.pub.pem the signer\'s public key, whose fingerprint should match the one the signer publishes.'),
  );

  return el(
    'article',
    { class: 'report' },
    el(
      'header',
      null,
      el('h1', null, `Audit report: ${id.model}`),
      el('p', { class: 'meta' }, `Run ${id.run} · experiment ${id.experiment ?? '(detached)'} · by ${id.owner} · ${date(id.date)} · generated ${date(r.generatedAt)} by ${r.generator}`),
      overview,
    ),
    section(
      'identity',
      1,
      'Identity',
      kv([
        ['Model', id.model],
        ['Version (run id)', el('code', null, id.version)],
        ['Experiment', id.experiment ?? '(detached HEAD)'],
        ['Owner', id.owner],
        ['Date', date(id.date)],
        ['Target', id.target ? `${id.target}${id.positiveLabel !== null ? ` (positive label ${String(id.positiveLabel)})` : ''}` : 'not configured'],
        ['Key metric', id.keyMetric ?? 'not configured'],
        ['Intended and out-of-scope uses', r.assumptions.some((a) => /intended|out[- ]of[- ]scope|must not be used|use case/i.test(a.text)) ? 'see section 8' : 'not stated in the journal'],
      ]),
    ),
    dataSection,
    training,
    history,
    evaluation,
    explain,
    fairness,
    assumptions,
    checks,
    reproduction,
    integrity,
    r.notes.length ? el('footer', null, el('h3', null, 'Notes'), el('ul', null, r.notes.map((n) => el('li', null, n)))) : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Serialization

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttr(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** HTML of a node tree; refuses tags and attributes outside the allow-lists. */
export function toHtml(node: ReportNode | string): string {
  if (typeof node === 'string') return escapeText(node);
  if (!REPORT_TAGS.has(node.tag)) throw new Error(`report element <${node.tag}> is not allowed`);
  const attrs = Object.entries(node.attrs ?? {})
    .map(([k, v]) => {
      if (!REPORT_ATTRS.has(k)) throw new Error(`report attribute ${k} is not allowed`);
      return ` ${k}="${escapeAttr(v)}"`;
    })
    .join('');
  const xmlns = node.tag === 'svg' ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  return `<${node.tag}${xmlns}${attrs}>${(node.children ?? []).map(toHtml).join('')}</${node.tag}>`;
}

export const REPORT_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e; --bar: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.report { max-width: 1000px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note, .settings, figcaption { color: var(--muted); }
.settings { font-size: 12px; word-break: break-word; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 4px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
table.checks td:nth-child(3) { width: 45%; }
table.confusion { width: auto; }
dl.kv { display: grid; grid-template-columns: minmax(160px, max-content) 1fr; gap: 2px 16px; margin: 6px 0 12px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
.overview { display: flex; gap: 12px; flex-wrap: wrap; margin: 14px 0 4px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 200px; }
.tile small { display: block; color: var(--muted); }
.big { font-size: 22px; font-weight: 600; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; padding: 1px 6px; border-radius: 10px; color: #fff; letter-spacing: .03em; }
.badge.pass { background: var(--pass); } .badge.warn { background: var(--warn); } .badge.fail { background: var(--fail); } .badge.error { background: var(--fail); outline: 2px dashed var(--fail); outline-offset: 1px; }
.fail-text { color: var(--fail); font-weight: 600; }
ul.warnings li { color: var(--warn); }
figure.chart { margin: 8px 0 14px; }
figure.chart svg { max-width: 100%; height: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.bar { fill: var(--bar); opacity: .85; } .bar.flagged { fill: var(--fail); }
.whisker { stroke: var(--fg); stroke-width: 1.2; }
.axis { stroke: var(--muted); stroke-width: 1; }
.reference { stroke: var(--fail); stroke-width: 1.2; }
.curve { stroke: var(--bar); stroke-width: 2; }
.chart-label, .chart-value, .chart-tick, .chart-reference { fill: var(--fg); }
.chart-tick { fill: var(--muted); }
@media print {
  body { font-size: 11px; }
  .report { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section { break-inside: auto; }
  table, figure, dl.kv, .tile { break-inside: avoid; page-break-inside: avoid; }
  .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  code { background: none; }
}
@page { margin: 16mm 14mm; }
`;

/** The self-contained report file: inline CSS, inline SVG, no script, no external resource. */
export function reportHtml(r: PacketReport): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(`Audit report: ${r.identity.model} (${r.identity.run})`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${toHtml(renderReport(r))}
</body>
</html>
`;
}
