/**
 * map.correlate: how two maps on the scan grid go together — a registered EELS map against a bond
 * map, a QoI against composition: Pearson r and Spearman ρ within a mask, the 2-D histogram behind
 * the scatter figure, and both maps along line cuts with the correlation along each cut.
 */
import { ParamError } from '../../engine/errors.ts';
import { inputField, inputInfo } from '../../engine/inputs.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import { defineOp, type DatasetInput, type Json, type NDArray } from '../../engine/types.ts';
import { maskOf } from '../decompose/stack.ts';
import { bilinear, cutPoints } from './cut.ts';
import { pearson } from './pearson-core.ts';
import { finitePairs, spearman } from './rank-stats.ts';

interface Cut {
  row?: number;
  col?: number;
  from?: [number, number];
  to?: [number, number];
}

/** The cuts param: a list of {row} | {col} | {from: [x, y], to: [x, y]}. */
function parseCuts(node: string, v: Json): Cut[] {
  if (v === null) return [];
  if (!Array.isArray(v))
    throw new ParamError(
      node,
      'cuts',
      'expected a list of cuts, e.g. [{"row": 10}, {"from": [0, 5], "to": [40, 5]}]',
    );
  return v.map((c, i) => {
    const o = c as Record<string, Json>;
    const ok =
      o &&
      typeof o === 'object' &&
      !Array.isArray(o) &&
      ((Object.keys(o).length === 1 && (Number.isInteger(o.row) || Number.isInteger(o.col))) ||
        (Object.keys(o).length === 2 &&
          [o.from, o.to].every(
            (p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'),
          )));
    if (!ok)
      throw new ParamError(
        node,
        'cuts',
        `cut ${i + 1}: expected {"row": N}, {"col": N} or {"from": [x, y], "to": [x, y]} (scan px), got ${JSON.stringify(c)}`,
      );
    return o as Cut;
  });
}

/** File named by an input's meta (source.map / map.register), for messages. */
async function fileOf(input: DatasetInput | undefined): Promise<string | null> {
  if (!input) return null;
  const m = (await inputInfo(input)).meta ?? {};
  return typeof m.path === 'string' ? m.path : typeof m.file === 'string' ? m.file : null;
}

export const mapCorrelate = defineOp({
  name: 'map.correlate',
  version: 2, // 2: binsA/binsB fields instead of axes
  scope: 'dataset',
  title: 'Correlation of two maps',
  description:
    'Pearson r and Spearman ρ of maps a and b over the positions where both are finite and the mask is nonzero; the 2-D histogram of the pairs ' +
    '(the scatter figure); and a and b sampled along each line cut in `cuts` with r and ρ along it.',
  inputs: {
    a: { scope: 'any', description: 'first map [ny, nx] (e.g. a registered EELS map)' },
    b: { scope: 'any', description: 'second map [ny, nx] (e.g. a bond map or QoI)' },
    mask: { scope: 'dataset', optional: true, description: 'positions to include [ny, nx] (nonzero = in)' },
  },
  params: {
    fieldA: { type: 'string', optional: true, description: 'field of input a (default: the only one)' },
    fieldB: { type: 'string', optional: true, description: 'field of input b (default: the only one)' },
    bins: {
      type: 'integer',
      default: 32,
      min: 2,
      max: 512,
      description: 'bins per axis of the 2-D histogram',
    },
    cuts: {
      type: 'json',
      default: null,
      description: 'line cuts: a list of {"row": N}, {"col": N} or {"from": [x, y], "to": [x, y]} (scan px)',
    },
    cutSamples: {
      type: 'integer',
      optional: true,
      min: 2,
      description: 'samples per cut (default: one per scan step of the longest cut)',
    },
    stepNm: {
      type: 'number',
      optional: true,
      exclusiveMin: 0,
      unit: 'nm',
      description: "scan step for the cut distance (default: the dataset's scanStepNm)",
    },
  },
  outputs: (p) => ({
    fields: {
      pearson: { dims: ['1'], description: 'Pearson r over the included positions' },
      spearman: { dims: ['1'], description: 'Spearman ρ over the included positions' },
      histogram: {
        dims: ['bins of b', 'bins of a'],
        description: 'counts of (a, b) pairs (the scatter as a 2-D histogram)',
      },
      binsA: { dims: ['bins'], description: 'bin centres of a' },
      binsB: { dims: ['bins'], description: 'bin centres of b' },
      ...(Array.isArray(p.cuts) && p.cuts.length
        ? {
            cutA: { dims: ['cuts', 'samples'], description: 'a along each cut' },
            cutB: { dims: ['cuts', 'samples'], description: 'b along each cut' },
            cutDistance: {
              dims: ['cuts', 'samples'],
              description: 'distance along each cut: nm when the scan step is known, else scan px',
            },
            cutPearson: { dims: ['cuts'], description: 'Pearson r along each cut' },
            cutSpearman: { dims: ['cuts'], description: 'Spearman ρ along each cut' },
          }
        : {}),
    },
  }),
  check(p, { node }) {
    parseCuts(node, p.cuts);
  },
  async run({ node, params: p, inputs, scan, dataset }) {
    const { ny, nx } = scan;
    const total = ny * nx;
    const file = (await fileOf(inputs.a)) ?? (await fileOf(inputs.b));
    const where = file ? `${file}: ` : '';
    const load = async (port: 'a' | 'b', field: string | null): Promise<NDArray> => {
      const v = await inputField(inputs[port], field ?? undefined, node, port);
      if (v.data.length !== total)
        throw new ParamError(
          node,
          port === 'a' ? 'fieldA' : 'fieldB',
          `${where}input '${port}': expected a map of ${ny} × ${nx} positions (on the scan grid: register external maps with map.register first), got shape [${v.shape}]`,
        );
      return v;
    };
    const A = (await load('a', p.fieldA)).data as ArrayLike<number>;
    const B = (await load('b', p.fieldB)).data as ArrayLike<number>;
    const mask = await maskOf(inputs.mask, node, total);
    const pairs = finitePairs(A, B, mask);
    const n = pairs.a.length;
    if (n < 3)
      throw new ParamError(
        node,
        'mask',
        `${where}${n} position(s) have both maps finite${mask ? ' inside the mask' : ''}; a correlation needs at least 3`,
      );
    const r = pearson(pairs.a, pairs.b);
    const rho = spearman(pairs.a, pairs.b);

    // 2-D histogram over each map's range within the included positions.
    const lim = (v: Float64Array) =>
      v.reduce((m, x) => [Math.min(m[0], x), Math.max(m[1], x)], [Infinity, -Infinity]);
    const [a0, a1] = lim(pairs.a);
    const [b0, b1] = lim(pairs.b);
    const nb = p.bins;
    const hist = f32([nb, nb]);
    const binOf = (x: number, lo: number, hi: number) =>
      hi > lo ? Math.min(nb - 1, Math.floor(((x - lo) / (hi - lo)) * nb)) : 0;
    for (let i = 0; i < n; i++) hist.data[binOf(pairs.b[i], b0, b1) * nb + binOf(pairs.a[i], a0, a1)]++;
    const centres = (lo: number, hi: number) =>
      f64(
        [nb],
        Array.from({ length: nb }, (_, i) => lo + ((i + 0.5) * (hi - lo || 1)) / nb),
      );

    const binsA = centres(a0, a1),
      binsB = centres(b0, b1);
    const fields: Record<string, NDArray> = {
      pearson: f32([1], [r]),
      spearman: f32([1], [rho]),
      histogram: hist,
      binsA,
      binsB,
    };
    const meta: Record<string, Json> = {
      pearson: r,
      spearman: rho,
      positions: n,
      rangeA: [a0, a1],
      rangeB: [b0, b1],
      axesOf: { histogram: ['b', 'a'] },
    };

    const cuts = parseCuts(node, p.cuts);
    if (cuts.length) {
      const pts = cuts.map((c, i) => {
        if (c.row !== undefined && (c.row < 0 || c.row >= ny))
          throw new ParamError(node, 'cuts', `cut ${i + 1}: row ${c.row} is outside the ${ny}-row scan`);
        if (c.col !== undefined && (c.col < 0 || c.col >= nx))
          throw new ParamError(
            node,
            'cuts',
            `cut ${i + 1}: column ${c.col} is outside the ${nx}-column scan`,
          );
        return cutPoints(
          {
            row: c.row ?? null,
            col: c.col ?? null,
            from: c.from ?? null,
            to: c.to ?? null,
            samples: null,
            stepNm: null,
            field: null,
          },
          ny,
          nx,
        );
      });
      const m = p.cutSamples ?? Math.max(...pts.map((q) => q.xs.length));
      const step =
        p.stepNm ??
        (typeof dataset?.meta?.scanStepNm === 'number' ? (dataset.meta.scanStepNm as number) : null);
      const k = cuts.length;
      const cutA = f32([k, m]),
        cutB = f32([k, m]),
        dist = f32([k, m]);
      const cr = f32([k]),
        cs = f32([k]);
      const perCut: Json[] = [];
      pts.forEach((q, c) => {
        const n0 = q.xs.length;
        const [x0, y0, x1, y1] = [q.xs[0], q.ys[0], q.xs[n0 - 1], q.ys[n0 - 1]];
        for (let i = 0; i < m; i++) {
          const t = m > 1 ? i / (m - 1) : 0;
          const x = x0 + t * (x1 - x0),
            y = y0 + t * (y1 - y0);
          const inside = !mask || mask[Math.round(y) * nx + Math.round(x)];
          cutA.data[c * m + i] = inside ? bilinear(A, ny, nx, x, y) : NaN;
          cutB.data[c * m + i] = inside ? bilinear(B, ny, nx, x, y) : NaN;
          dist.data[c * m + i] = Math.hypot(x - x0, y - y0) * (step ?? 1);
        }
        const cp = finitePairs(
          cutA.data.subarray(c * m, (c + 1) * m),
          cutB.data.subarray(c * m, (c + 1) * m),
          null,
        );
        cr.data[c] = cp.a.length >= 3 ? pearson(cp.a, cp.b) : NaN;
        cs.data[c] = cp.a.length >= 3 ? spearman(cp.a, cp.b) : NaN;
        perCut.push({
          from: [x0, y0],
          to: [x1, y1],
          samples: cp.a.length,
          pearson: Number.isFinite(cr.data[c]) ? cr.data[c] : null,
          spearman: Number.isFinite(cs.data[c]) ? cs.data[c] : null,
        });
      });
      Object.assign(fields, { cutA, cutB, cutDistance: dist, cutPearson: cr, cutSpearman: cs });
      meta.cuts = perCut;
      meta.units = { cutDistance: step ? 'nm' : 'scan px' };
    }
    return { fields, meta };
  },
});
