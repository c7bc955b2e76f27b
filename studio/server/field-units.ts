/**
 * The physical unit of a node's output field, as the page labels maps, colour bars and QoI values.
 * Ops declare units in `outputs` (and some put them in `meta.units`); a fit or a peak of a curve
 * declares them relative to that curve ("curve unit / Å", "curve x unit"), and a family of fields
 * under one name ("A1…An", "<param>_err"). This resolves those against the graph: the curve's unit
 * is the declared unit of the field the node reads (G(r) → Å⁻², so a Gaussian's area is Å⁻¹ and
 * the baseline slope Å⁻³), its x unit the axis the node reports (r → Å, Q → Å⁻¹).
 */
import { parseRef, type GraphDoc } from '../../engine/graph.ts';
import { catalogueOutputs, declaredOutputs, fieldDecl } from '../../engine/declared-outputs.ts';
import { resolveParams } from '../../engine/params.ts';
import type { Json, OpDef, OutputDecl } from '../../engine/types.ts';
import { registry } from '../../nodes/registry.ts';

/** Axis names of per-position curves (SCIENCE.md): Q = 2π/d in Å⁻¹, r in Å. */
const AXIS_UNITS: Record<string, string> = { q: 'Å⁻¹', r: 'Å' };
const CURVE_Y = 'curve unit';
const CURVE_X = 'curve x unit';
/** Curve fields a node reads when its params name none (engine/curves.ts curveOf's order). */
const PREFERRED = ['G', 'F', 'S', 'I'];

/** The declared unit of `field` for the node's params (its unit, else its unit relative to the curve read). */
function declared(op: OpDef, node: string, params: Record<string, unknown> | undefined, field: string) {
  let decl: OutputDecl;
  try {
    decl = declaredOutputs(op, resolveParams(node, op, params ?? {}));
  } catch {
    decl = catalogueOutputs(op);
  }
  const d = fieldDecl(decl, field);
  return d?.unit ?? d?.relativeUnit;
}

/**
 * `node`'s field `field` in `doc`: from the value's `meta` when at hand (units, xAxis), else the
 * op's declaration, with curve-relative units resolved. null when unknown (better than a wrong one).
 */
export function fieldUnit(
  doc: GraphDoc,
  node: string,
  field: string,
  meta?: Record<string, Json> | null,
): string | null {
  const spec = doc.nodes[node];
  const op = spec ? registry().get(spec.op) : undefined;
  const metaUnits = (meta?.units ?? {}) as Record<string, Json>;
  const given = metaUnits[field];
  if (typeof given === 'string' && given !== '') return /[×·]/.test(given) ? simplify(given) : given;
  if (!op) return null;
  const u = declared(op, node, spec.params as Record<string, unknown> | undefined, field);
  if (u === undefined) {
    const err = /^(.+)_err$/.exec(field);
    return err ? fieldUnit(doc, node, err[1], meta) : null;
  }
  if (!u.includes('curve')) return u;
  const curve = curveRead(doc, node);
  const y = curve ? fieldUnit(doc, curve.node, curve.field) : null;
  const axis = typeof meta?.xAxis === 'string' ? meta.xAxis : null;
  const x = axis ? (AXIS_UNITS[axis] ?? axis) : null;
  if ((u.includes(CURVE_Y) && y === null) || (u.includes(CURVE_X) && x === null)) return null;
  // 'curve x unit' first: 'curve unit' is not a substring of it, but keep the order obvious.
  return simplify(u.replaceAll(CURVE_X, x ?? '').replaceAll(CURVE_Y, y ?? ''));
}

/** The node and field whose curve `node` reads through its `curve` input (or its only input). */
function curveRead(doc: GraphDoc, node: string): { node: string; field: string } | null {
  const spec = doc.nodes[node];
  const ins = Object.values(spec.in ?? {});
  const ref = spec.in?.curve ?? (ins.length === 1 ? ins[0] : undefined);
  if (!ref) return null;
  const r = parseRef(ref, doc.nodes);
  const up = doc.nodes[r.node];
  const upOp = up ? registry().get(up.op) : undefined;
  if (!upOp) return null;
  const named = r.field ?? (typeof spec.params?.field === 'string' ? spec.params.field : undefined);
  if (named) return { node: r.node, field: named };
  const fields = Object.keys(upOp.outputs ?? {});
  const field = fields.length === 1 ? fields[0] : PREFERRED.find((f) => fields.includes(f));
  return field ? { node: r.node, field } : null;
}

const SUPER = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const toSuper = (n: number) =>
  (n < 0 ? '⁻' : '') +
  String(Math.abs(n))
    .split('')
    .map((d) => SUPER[Number(d)])
    .join('');
const fromSuper = (s: string) =>
  (s.startsWith('⁻') ? -1 : 1) *
  Number(
    s
      .replace('⁻', '')
      .split('')
      .map((c) => SUPER.indexOf(c))
      .join('') || '1',
  );

/**
 * A product / quotient of powers ("Å⁻² × Å", "Å⁻² / Å", "counts / pixel × Å⁻¹") as one product of
 * powers ("Å⁻¹", "Å⁻³", "counts·pixel⁻¹·Å⁻¹"); explanations in parentheses dropped. A unit it cannot
 * read is returned as written.
 */
export function simplify(unit: string): string {
  const text = unit.replace(/\s*\([^)]*\)/g, '').trim();
  const powers = new Map<string, number>();
  let sign = 1;
  for (const tok of text.split(/\s*([×·/])\s*|\s+/).filter((t) => t !== undefined && t !== '')) {
    if (tok === '/') sign = -1;
    else if (tok === '×' || tok === '·') sign = 1;
    else {
      const m = /^(1|[\p{L}°%]+)(⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]*)$/u.exec(tok);
      if (!m) return unit;
      if (m[1] !== '1') powers.set(m[1], (powers.get(m[1]) ?? 0) + sign * fromSuper(m[2]));
      sign = 1;
    }
  }
  const parts = [...powers].filter(([, p]) => p !== 0);
  parts.sort((a, b) => Number(b[1] > 0) - Number(a[1] > 0));
  return parts.map(([s, p]) => (p === 1 ? s : `${s}${toSuper(p)}`)).join('·');
}
