/**
 * `model-card.json` in the JSON form of Google's Model Card Toolkit (schema_version 0.0.2):
 * model_details, model_parameters, quantitative_analysis, considerations. Values the toolkit
 * types as strings (metric values, bounds) are strings here too.
 */
import type { PacketReport } from './report';

const text = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toFixed(6))));

export function modelCard(r: PacketReport): Record<string, unknown> {
  const ev = r.evaluation?.result;
  const metrics: Record<string, unknown>[] = [];
  if (ev) {
    for (const [name, e] of Object.entries(ev.metrics)) {
      metrics.push({ type: name, value: text(e.value), slice: ev.set, ...(e.low !== null && e.high !== null ? { confidence_interval: { lower_bound: text(e.low), upper_bound: text(e.high) } } : {}) });
    }
  } else {
    for (const [name, v] of Object.entries(r.metrics)) metrics.push({ type: name, value: text(v), slice: 'as logged by the training script' });
  }
  for (const a of r.fairness?.result ?? []) {
    for (const g of a.groups) {
      metrics.push({ type: 'selection_rate', value: text(g.selectionRate), slice: `${a.attribute}=${g.group}`, ...(g.selectionRateInterval ? { confidence_interval: { lower_bound: text(g.selectionRateInterval[0]), upper_bound: text(g.selectionRateInterval[1]) } } : {}) });
      if (g.tpr !== null) metrics.push({ type: 'true_positive_rate', value: text(g.tpr), slice: `${a.attribute}=${g.group}` });
    }
    metrics.push({ type: 'four_fifths_ratio', value: text(a.fourFifths.ratio), slice: a.attribute, ...(a.fourFifths.interval ? { confidence_interval: { lower_bound: text(a.fourFifths.interval[0]), upper_bound: text(a.fourFifths.interval[1]) } } : {}) });
  }
  const params = r.training.params;
  const architecture = typeof params['model.type'] === 'string' ? String(params['model.type']) : typeof params.model === 'string' ? String(params.model) : 'not recorded (see the parameters in report.json)';
  const limitations = r.assumptions.filter((a) => a.kind === 'assumption').map((a) => ({ description: `${a.text} (${a.author}, ${a.time.slice(0, 10)})` }));
  const failed = r.checks.filter((c) => c.verdict !== 'pass');
  return {
    schema_version: '0.0.2',
    model_details: {
      name: r.identity.model,
      overview: `Model trained by run ${r.identity.run} (experiment ${r.identity.experiment ?? 'detached'}) with \`${r.identity.command.join(' ')}\`.`,
      owners: [{ name: r.identity.owner, contact: '' }],
      version: { name: r.identity.version, date: r.identity.date, diff: r.training.code.dirty ? `uncommitted changes to ${r.training.code.changedFiles.length} file(s) on top of ${r.training.code.baseCommit ?? 'an empty repository'}` : `commit ${r.training.code.baseCommit ?? r.training.code.snapshotCommit}` },
      licenses: [],
      references: [{ reference: `git ${r.training.code.snapshotRef} (${r.training.code.snapshotCommit})` }],
      citations: [],
      path: '',
    },
    model_parameters: {
      model_architecture: architecture,
      data: r.data.map((d) => ({ name: d.path, link: '', description: `${d.role} data, DVC md5 ${d.md5}, ${d.size} bytes${d.nfiles !== undefined ? `, ${d.nfiles} files` : ''}`, sensitive: { sensitive_data: r.fairness?.result.map((a) => a.attribute) ?? [] } })),
      input_format: r.evaluation ? `features: ${r.evaluation.inputs.features.join(', ')}` : '',
      output_format: r.identity.target ? `score / decision for ${r.identity.target}${r.identity.positiveLabel !== null ? ` = ${String(r.identity.positiveLabel)}` : ''}` : '',
    },
    quantitative_analysis: { performance_metrics: metrics, graphics: { description: 'Charts are in report.html.', collection: [] } },
    considerations: {
      users: [],
      use_cases: [],
      limitations,
      tradeoffs: (r.fairness?.result ?? []).filter((a) => !a.fourFifths.pass).map((a) => ({ description: `Selection rates by ${a.attribute} fail the four-fifths rule (ratio ${text(a.fourFifths.ratio)}).` })),
      ethical_considerations: failed.map((c) => ({ name: `${c.title}: ${c.verdict}`, mitigation_strategy: c.advice })),
    },
  };
}
