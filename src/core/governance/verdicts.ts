/**
 * The reproduction verdicts as people read them, one vocabulary for the CLI, the report, the
 * packet, the checks and the editor. Pure (no I/O): webviews import it too.
 */
import type { ReproductionVerdict } from '../runs/types';

export const VERDICT_LABELS: Record<ReproductionVerdict, string> = {
  identical: 'Bit-identical',
  'within-tolerance': 'Within tolerance',
  diverged: 'Diverged',
  unverified: 'Unverified (nothing comparable)',
  'missing-input': 'Could not reproduce (missing input)',
};

/** Only these show that a run reproduces: only they may pass a check or be certified by a packet. */
export const reproducedOk = (verdict: ReproductionVerdict): boolean => verdict === 'identical' || verdict === 'within-tolerance';

/** The check verdict a reproduction verdict amounts to (the badge of the report and the packet). */
export function reproductionBadge(verdict: ReproductionVerdict): 'pass' | 'warn' | 'fail' {
  return reproducedOk(verdict) ? 'pass' : verdict === 'unverified' ? 'warn' : 'fail';
}
