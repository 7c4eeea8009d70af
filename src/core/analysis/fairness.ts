/**
 * Fairness of a run's decisions for its sensitive attributes (and their intersections), with
 * Fairlearn's and AIF360's definitions (reference/analysis.md): by-group rates with bootstrap
 * intervals and sizes, demographic parity, equal opportunity and equalized odds (between groups
 * and `to_overall`), statistical parity difference, disparate impact, average odds difference,
 * the four-fifths rule, and the threshold explorer.
 */
import { ProvenantError } from '../util/errors';
import type { PredictionData } from './dataset';
import { bootstrapSettings, checkThreshold, decisions } from './evaluate';
import * as m from './metrics';
import { Random } from './random';
import { thresholdCurve, thresholdGrid } from './thresholds';
import type { BootstrapSettings, FairnessResult, GroupMetrics, ThresholdExplorer } from './types';

export interface FairnessOptions {
  threshold?: number;
  /** AIF360's privileged group; default: the group with the highest selection rate. */
  privileged?: string;
  /** Groups smaller than this get a warning (config `checks.min_group_size`, default 30). */
  minGroupSize?: number;
  bootstrap?: Partial<BootstrapSettings>;
  /** Lowest / highest selection rate below this fails the four-fifths rule (config `checks.four_fifths`). */
  fourFifths?: number;
  /** Cut numeric attributes with more distinct values into this many quantile bins. */
  bins?: number;
}

export const DEFAULT_MIN_GROUP_SIZE = 30;
export const DEFAULT_FOUR_FIFTHS = 0.8;
/**
 * An attribute with more groups than this, most of them smaller than the minimum group size, is
 * not a grouping (a continuous column, an identifier): fairness refuses it and says to bin it.
 */
export const MAX_GROUPS = 20;
/** How intersections are named: `group & gender`, values `Togruta & f`. */
export const INTERSECTION = ' & ';

/** Numeric text (a finite number). */
const isNumeric = (text: string) => text.trim() !== '' && Number.isFinite(Number(text));

/** Short text of a bin edge. */
function edgeText(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/**
 * Quantile bins (numpy's linear quantiles at k/bins, repeated edges merged), labelled by
 * interval: `[18, 27.5)`, …, the last one closed `[55, 70]`.
 */
export function quantileBins(values: string[], bins: number): { labels: string[]; edges: number[] } {
  const numbers = values.map(Number);
  const edges = [...new Set(Array.from({ length: bins + 1 }, (_, k) => m.quantile(numbers, k / bins)))];
  const names = edges.slice(0, -1).map((lo, b) => (b === edges.length - 2 ? `[${edgeText(lo)}, ${edgeText(edges[b + 1]!)}]` : `[${edgeText(lo)}, ${edgeText(edges[b + 1]!)})`));
  const labels = numbers.map((v) => {
    let b = 0;
    while (b < names.length - 1 && v >= edges[b + 1]!) b++;
    return names[b] ?? String(v);
  });
  return { labels, edges };
}

/**
 * An attribute as `sensitive_attributes` may name it: a column, or `column:bins=N` for a numeric
 * column cut into N quantile bins.
 */
export function attributeSpec(spec: string): { column: string; bins?: number } {
  const match = /^(.*\S):bins=(\d+)$/.exec(spec);
  if (!match) return { column: spec };
  const bins = Number(match[2]);
  if (bins < 2) throw new ProvenantError(`"${spec}": bins must be at least 2`, { hint: 'Fix sensitive_attributes in .provenant/config.yaml.', code: 'E_USAGE' });
  return { column: match[1]!, bins };
}

/** The group of every row for an attribute, or for an intersection `a & b`; numeric columns binned when asked. */
export function groupLabels(data: PredictionData, attribute: string, binsOption?: number): string[] {
  const parts = attribute.split(INTERSECTION);
  const columns = parts.map((part) => {
    const { column: name, bins = binsOption } = attributeSpec(part);
    const column = data.raw.get(name);
    if (!column) {
      throw new ProvenantError(`the sensitive attribute "${name}" is not a column of the predictions (columns: ${[...data.raw.keys()].join(', ')})`, {
        file: data.file,
        hint: 'Log the attribute with the predictions (features={..., "' + name + '": ...}) or fix sensitive_attributes in .provenant/config.yaml.',
        code: 'E_ATTRIBUTE',
      });
    }
    if (bins !== undefined && column.every(isNumeric) && new Set(column).size > bins) return quantileBins(column, bins).labels;
    return column;
  });
  return Array.from({ length: data.rows }, (_, i) => columns.map((c) => c[i]!).join(INTERSECTION));
}

/** Refuses a single attribute whose groups are mostly too small to compare (a continuous column): bin it. */
function checkUsable(data: PredictionData, attribute: string, byGroup: Map<string, Int32Array>, minGroupSize: number): void {
  if (byGroup.size <= MAX_GROUPS) return;
  const sizes = [...byGroup.values()].map((g) => g.length).sort((a, b) => a - b);
  const small = sizes.filter((n) => n < minGroupSize).length;
  if (small * 2 <= sizes.length) return;
  const median = sizes[Math.floor((sizes.length - 1) / 2)]!;
  const column = attributeSpec(attribute).column;
  const numeric = data.raw.get(column)?.every(isNumeric) ?? false;
  throw new ProvenantError(
    `the sensitive attribute "${attribute}" has ${byGroup.size} distinct values in ${data.rows} rows (${small} groups smaller than ${minGroupSize} rows, median group size ${median}): groups that small cannot be compared, and the four-fifths ratio would flag noise`,
    {
      file: data.file,
      hint: numeric
        ? `Bin it: \`provenant fairness <run> --attribute ${column} --bins 4\` cuts it into 4 quantile bins (in sensitive_attributes: "${column}:bins=4"), or log a binned column (e.g. an age band) with the predictions.`
        : 'Bin it: group its rare values (e.g. "other") into a column logged with the predictions, and check that column instead.',
      code: 'E_ATTRIBUTE',
    },
  );
}

/** The attributes to analyse: each one, then every combination of two or more when asked. */
export function attributesWithIntersections(attributes: string[], intersections: boolean): string[] {
  const out = [...attributes];
  if (!intersections) return out;
  const n = attributes.length;
  for (let mask = 1; mask < 1 << n; mask++) {
    const picked = attributes.filter((_, i) => mask & (1 << i));
    if (picked.length >= 2) out.push(picked.join(INTERSECTION));
  }
  return out;
}

function rowsByGroup(labels: string[]): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  labels.forEach((g, i) => {
    const list = lists.get(g) ?? [];
    list.push(i);
    lists.set(g, list);
  });
  return new Map([...lists.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, list]) => [g, Int32Array.from(list)]));
}

type Rates = Pick<GroupMetrics, 'n' | 'positives' | 'selectionRate' | 'tpr' | 'fpr' | 'accuracy'>;

function rates(y: Float64Array, d: Float64Array, idx: Int32Array): Rates {
  const c = m.confusion(y, d, idx);
  const n = idx.length;
  return {
    n,
    positives: c.tp + c.fn,
    selectionRate: n ? (c.tp + c.fp) / n : 0,
    tpr: c.tp + c.fn ? c.tp / (c.tp + c.fn) : null,
    fpr: c.fp + c.tn ? c.fp / (c.fp + c.tn) : null,
    accuracy: n ? (c.tp + c.tn) / n : 0,
  };
}

function minMax(values: (number | null)[]): { min: number; max: number } | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length ? { min: Math.min(...finite), max: Math.max(...finite) } : null;
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Number.NaN) : a / b);

/** Between-groups difference (max − min) and ratio (min / max), Fairlearn's defaults. */
function between(values: (number | null)[]): { difference: number | null; ratio: number | null } {
  const mm = minMax(values);
  return mm ? { difference: mm.max - mm.min, ratio: ratio(mm.min, mm.max) } : { difference: null, ratio: null };
}

/** Fairlearn `method='to_overall'`: the largest |group − overall|. */
function toOverall(values: (number | null)[], overall: number | null): number | null {
  if (overall === null) return null;
  const finite = values.filter((v): v is number => v !== null);
  return finite.length ? Math.max(...finite.map((v) => Math.abs(v - overall))) : null;
}

function toOverallRatio(values: number[], overall: number): number {
  return Math.min(...values.map((v) => Math.min(ratio(v, overall), ratio(overall, v))));
}

/**
 * Selection rates, TPR and the four-fifths rule compare a favourable decision between groups; with
 * three or more classes which one is favourable is the user's call, made with positive_label.
 */
function refuseMulticlass(data: PredictionData): void {
  if (data.task !== 'multiclass') return;
  const classes = data.classes ?? [];
  throw new ProvenantError(`fairness compares the rate of a favourable decision between groups, and the target "${data.set.yTrue}" has ${classes.length} classes (${classes.join(', ')}): which one is the favourable decision?`, {
    file: data.file,
    hint: `Set positive_label: in .provenant/config.yaml to that class (e.g. positive_label: ${classes[classes.length - 1] ?? 1}); the other classes then count as not selected, for fairness and evaluation alike.`,
    code: 'E_TARGET',
  });
}

export function fairness(data: PredictionData, attribute: string, options: FairnessOptions = {}): FairnessResult {
  refuseMulticlass(data);
  if (data.task !== 'classification') throw new ProvenantError('fairness metrics need a binary classification target', { file: data.file, hint: 'Set target and positive_label in .provenant/config.yaml.', code: 'E_TARGET' });
  const settings = bootstrapSettings(options.bootstrap);
  const threshold = checkThreshold(options.threshold ?? 0.5);
  const minGroupSize = options.minGroupSize ?? DEFAULT_MIN_GROUP_SIZE;
  const limit = options.fourFifths ?? DEFAULT_FOUR_FIFTHS;
  if (!(limit > 0 && limit <= 1)) throw new ProvenantError(`the four-fifths threshold must lie in (0, 1], got ${limit}`, { hint: 'Fix checks.four_fifths in .provenant/config.yaml.', code: 'E_USAGE' });
  if (options.bins !== undefined && !(Number.isSafeInteger(options.bins) && options.bins >= 2)) throw new ProvenantError(`--bins must be an integer ≥ 2, got ${options.bins}`, { code: 'E_USAGE' });
  const y = data.yTrue;
  const d = decisions(data, threshold);
  // Each attribute on its own must be a grouping; an intersection of usable ones may be small.
  for (const part of attribute.split(INTERSECTION)) checkUsable(data, part, rowsByGroup(groupLabels(data, part, options.bins)), minGroupSize);
  const byGroup = rowsByGroup(groupLabels(data, attribute, options.bins));
  const names = [...byGroup.keys()];
  const groupRates = names.map((g) => rates(y, d, byGroup.get(g)!));
  const overall = rates(y, d, m.allRows(data.rows));

  // Per-group intervals: resample within the group.
  const groupIntervals = names.map((g, k) => {
    const idx = byGroup.get(g)!;
    const draws = { sr: new Float64Array(settings.resamples), tpr: new Float64Array(settings.resamples), fpr: new Float64Array(settings.resamples) };
    m.forEachResample(idx, { ...settings, seed: settings.seed + k + 1 }, (sample, b) => {
      const r = rates(y, d, sample);
      draws.sr[b] = r.selectionRate;
      draws.tpr[b] = r.tpr ?? Number.NaN;
      draws.fpr[b] = r.fpr ?? Number.NaN;
    });
    const iv = (draws: Float64Array): [number, number] | null => {
      const e = m.interval(0, draws, settings.level);
      return e.low === null || e.high === null ? null : [e.low, e.high];
    };
    return settings.resamples ? { sr: iv(draws.sr), tpr: iv(draws.tpr), fpr: iv(draws.fpr) } : { sr: null, tpr: null, fpr: null };
  });

  const groups: GroupMetrics[] = names.map((group, k) => ({
    group,
    n: groupRates[k]!.n,
    positives: groupRates[k]!.positives,
    selectionRate: groupRates[k]!.selectionRate,
    tpr: groupRates[k]!.tpr,
    fpr: groupRates[k]!.fpr,
    accuracy: groupRates[k]!.accuracy,
    selectionRateInterval: groupIntervals[k]!.sr,
    tprInterval: groupIntervals[k]!.tpr,
    fprInterval: groupIntervals[k]!.fpr,
  }));

  const sr = groupRates.map((r) => r.selectionRate);
  const tpr = groupRates.map((r) => r.tpr);
  const fpr = groupRates.map((r) => r.fpr);
  const dp = between(sr);
  const eo = between(tpr);
  const fo = between(fpr);
  const eoddsDiff = eo.difference === null && fo.difference === null ? null : Math.max(eo.difference ?? 0, fo.difference ?? 0);
  const eoddsRatio = eo.ratio === null && fo.ratio === null ? null : Math.min(eo.ratio ?? 1, fo.ratio ?? 1);

  // AIF360: privileged vs unprivileged.
  const best = names[sr.indexOf(Math.max(...sr))]!;
  const privileged = options.privileged ?? best;
  if (!byGroup.has(privileged)) throw new ProvenantError(`"${privileged}" is not a group of ${attribute} (groups: ${names.join(', ')})`, { file: data.file, code: 'E_USAGE' });
  const others = names.filter((g) => g !== privileged);
  if (others.length === 0) throw new ProvenantError(`the attribute ${attribute} has a single group (${privileged}) in these predictions: nothing to compare`, { file: data.file, code: 'E_ATTRIBUTE' });
  const unprivileged = others.reduce((lo, g) => (sr[names.indexOf(g)]! < sr[names.indexOf(lo)]! ? g : lo), others[0]!);
  const P = groupRates[names.indexOf(privileged)]!;
  const U = groupRates[names.indexOf(unprivileged)]!;

  // Four-fifths: the lowest rate over the highest, with an interval from resampling within groups.
  const mm = minMax(sr)!;
  const fourRatio = ratio(mm.min, mm.max);
  let fourInterval: [number, number] | null = null;
  if (settings.resamples) {
    const rng = new Random(settings.seed);
    const draws = new Float64Array(settings.resamples);
    for (let b = 0; b < settings.resamples; b++) {
      const rs = names.map((g) => {
        const idx = byGroup.get(g)!;
        let sel = 0;
        for (let k = 0; k < idx.length; k++) sel += d[idx[rng.int(idx.length)]!]!;
        return sel / idx.length;
      });
      draws[b] = ratio(Math.min(...rs), Math.max(...rs));
    }
    const e = m.interval(fourRatio, draws, settings.level);
    fourInterval = e.low === null || e.high === null ? null : [e.low, e.high];
  }
  const flagged = names.filter((_, k) => sr[k]! < limit * mm.max);
  const smallGroups = names.filter((_, k) => groupRates[k]!.n < minGroupSize);
  const warnings: string[] = [];
  if (smallGroups.length) {
    warnings.push(
      `${smallGroups.map((g) => `${g} (n=${groupRates[names.indexOf(g)]!.n})`).join(', ')} ${smallGroups.length === 1 ? 'is' : 'are'} smaller than ${minGroupSize} rows: the four-fifths ratio ${fourRatio.toFixed(3)} means little` +
        (fourInterval ? ` (its ${Math.round(settings.level * 100)}% interval is ${fourInterval[0].toFixed(3)}–${fourInterval[1].toFixed(3)})` : '') + '.',
    );
  }
  const share = limit === DEFAULT_FOUR_FIFTHS ? 'four fifths' : `${limit} (checks.four_fifths)`;
  if (!(fourRatio >= limit)) warnings.push(`selection rate of ${flagged.join(', ')} is below ${share} of ${best}'s (ratio ${fourRatio.toFixed(3)}): evidence of adverse impact under the four-fifths rule.`);
  if (groupRates.some((r) => r.positives === 0)) warnings.push('a group has no positive rows: its true positive rate is undefined and left out of equal opportunity.');

  return {
    attribute,
    threshold: data.yScore ? threshold : null,
    groups,
    overall: { n: overall.n, selectionRate: overall.selectionRate, tpr: overall.tpr, fpr: overall.fpr },
    demographicParityDifference: dp.difference!,
    demographicParityRatio: dp.ratio!,
    equalOpportunityDifference: eo.difference,
    equalOpportunityRatio: eo.ratio,
    equalizedOddsDifference: eoddsDiff,
    equalizedOddsRatio: eoddsRatio,
    toOverall: {
      demographicParityDifference: toOverall(sr, overall.selectionRate)!,
      demographicParityRatio: toOverallRatio(sr, overall.selectionRate),
      equalOpportunityDifference: toOverall(tpr, overall.tpr),
      equalizedOddsDifference: (() => {
        const a = toOverall(tpr, overall.tpr);
        const b = toOverall(fpr, overall.fpr);
        return a === null && b === null ? null : Math.max(a ?? 0, b ?? 0);
      })(),
    },
    privileged,
    unprivileged,
    statisticalParityDifference: U.selectionRate - P.selectionRate,
    disparateImpact: ratio(U.selectionRate, P.selectionRate),
    aif360EqualOpportunityDifference: U.tpr !== null && P.tpr !== null ? U.tpr - P.tpr : null,
    averageOddsDifference: U.tpr !== null && P.tpr !== null && U.fpr !== null && P.fpr !== null ? ((U.fpr - P.fpr) + (U.tpr - P.tpr)) / 2 : null,
    fourFifths: { pass: fourRatio >= limit, ratio: fourRatio, interval: fourInterval, flagged, smallGroups, minGroupSize, threshold: limit },
    bootstrap: settings,
    warnings,
  };
}

/** Per-group rates on a grid of thresholds (needs scores). */
export function thresholdExplorer(data: PredictionData, attribute: string, steps = 100, bins?: number): ThresholdExplorer {
  refuseMulticlass(data);
  if (!data.yScore) throw new ProvenantError('the threshold explorer needs scores (y_score) in the predictions', { file: data.file, hint: 'Log y_score=proba[:, 1] with the predictions.', code: 'E_NO_SCORES' });
  const thresholds = thresholdGrid(steps);
  const byGroup = rowsByGroup(groupLabels(data, attribute, bins));
  return {
    attribute,
    thresholds,
    groups: [...byGroup.entries()].map(([g, idx]) => thresholdCurve(g, data.yTrue, data.yScore!, idx, thresholds)),
    overall: thresholdCurve('overall', data.yTrue, data.yScore, m.allRows(data.rows), thresholds),
  };
}
