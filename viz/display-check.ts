/**
 * Semantic checks of a node's `display` settings (the schema has checked the types): known
 * colormap (with a suggestion), limits lo < hi, percentiles 0 ≤ plo < phi ≤ 100, symmetric limits
 * centred on 0, and field names the op produces. Each problem names the node and the field.
 * A graph check (engine/graph.ts `NodeCheck`), wired in by app/wiring.ts.
 */
import { fieldMatcherFor } from '../engine/display-check.ts';
import type { Hint, NodeCheck } from '../engine/graph.ts';
import type { OpDef } from '../engine/types.ts';
import { COLORMAPS } from './colormaps.ts';
import { displayFor, type DisplaySettings, type NodeDisplay } from './display.ts';

function settingsProblems(where: string, s: DisplaySettings, hint: Hint): string[] {
  const problems: string[] = [];
  const at = (k: string) => `${where}.${k}'`;
  if (s.colormap !== undefined && !(COLORMAPS as readonly string[]).includes(s.colormap)) {
    problems.push(
      `${at('colormap')}: unknown colormap '${s.colormap}'${hint(s.colormap, COLORMAPS)}; expected one of ${COLORMAPS.join(', ')}`,
    );
  }
  if (s.limits) {
    const [lo, hi] = s.limits;
    if (!Number.isFinite(lo) || !Number.isFinite(hi))
      problems.push(`${at('limits')}: expected two finite numbers [lo, hi], got ${JSON.stringify(s.limits)}`);
    else if (!(lo < hi))
      problems.push(
        `${at('limits')}: expected [lo, hi] with lo < hi (in the field's unit), got [${lo}, ${hi}]`,
      );
  }
  if (s.percentiles) {
    const [plo, phi] = s.percentiles;
    if (!(plo >= 0 && phi <= 100 && plo < phi))
      problems.push(
        `${at('percentiles')}: expected [plo, phi] with 0 ≤ plo < phi ≤ 100, got [${plo}, ${phi}]`,
      );
  }
  return problems;
}

/** Explicit limits with symmetric: true must already be centred on 0 (limits are never moved). */
function symmetricProblem(where: string, s: DisplaySettings): string[] {
  if (s.symmetric !== true || !s.limits || s.limits[0] === -s.limits[1]) return [];
  return [
    `${where}.limits': [${s.limits[0]}, ${s.limits[1]}] is not centred on 0 but symmetric is true; give [-m, m] or drop symmetric`,
  ];
}

/** Problems with one node's display settings; each name in `fields` is checked against the op's fields. */
export function displayProblems(
  id: string,
  display: NodeDisplay | undefined,
  op: OpDef | undefined,
  hint: Hint,
  params?: Record<string, unknown>,
): string[] {
  if (!display) return [];
  const where = `node '${id}', field 'display`;
  const problems = settingsProblems(where, display, hint);
  const nodeSymmetric = symmetricProblem(where, display);
  problems.push(...nodeSymmetric);
  const fields = op ? fieldMatcherFor(op, id, params) : null;
  const known = fields ? fields.known : () => true;
  for (const [field, s] of Object.entries(display.fields ?? {})) {
    const at = `${where}.fields.${field}`;
    if (!known(field)) {
      const declared = fields!.declared;
      problems.push(
        `${at}': op '${op!.name}' has no field '${field}'${hint(field, declared)}; its fields: ${declared.join(', ')}`,
      );
      continue;
    }
    problems.push(...settingsProblems(at, s, hint));
    // The field's settings on top of the node's: report a mismatch not already reported for the node.
    if (!nodeSymmetric.length || s.limits || s.symmetric !== undefined)
      problems.push(...symmetricProblem(at, displayFor(display, field)));
  }
  return problems;
}

/** displayProblems as a graph check. */
export const displayCheck: NodeCheck = (id, spec, op, hint) =>
  displayProblems(id, spec.display, op, hint, spec.params as Record<string, unknown> | undefined);
