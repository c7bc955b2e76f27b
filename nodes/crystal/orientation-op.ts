/**
 * map.orientation: what a crystal.match result looks like as maps — inverse-pole-figure colours of
 * the beam direction (ipf [ny, nx, 3], RGB 0–1; the report draws it with its colour key), the
 * quality reliability × correlation, and the crystalline / glass masks for mask-consuming nodes
 * (map.pearson region/mask, map.smooth, decompose.nmf: `"mask": "orientation.glass"`) and
 * map.threshold (on `quality`).
 */
import { UserError } from '../../engine/errors.ts';
import { inputField } from '../../engine/inputs.ts';
import { f32, zeros } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { ipfColor } from './ipf.ts';
import type { LaueClass, Vec3 } from './symmetry.ts';

export const mapOrientation = defineOp({
  name: 'map.orientation',
  version: 1,
  scope: 'dataset',
  title: 'Orientation maps (IPF colours) and the crystalline mask',
  description:
    'From crystal.match: ipf [ny, nx, 3] inverse-pole-figure colours (RGB 0–1) of the beam direction (cubic: red [001], green [011], blue [111]; NaN where no crystal), quality = reliability × correlation [ny, nx], and masks crystalline / glass (uint8, 1 = selected) — by "phase" (crystal.match found a phase: correlation ≥ its minCorrelation) or by "quality" ≥ minQuality (ASTAR\'s index × reliability product).',
  inputs: { match: { scope: 'any', description: 'crystal.match' } },
  params: {
    by: {
      type: 'enum',
      values: ['phase', 'quality'],
      default: 'phase',
      description: 'what makes a position crystalline: a matched phase, or quality ≥ minQuality',
    },
    minQuality: {
      type: 'number',
      min: 0,
      default: 1,
      description: 'by "quality": threshold on reliability (0–100) × correlation (0–1)',
    },
    laue: {
      type: 'string',
      default: 'm-3m',
      description: 'Laue class of the colour key (m-3m for cubic phases)',
    },
  },
  outputs: {
    fields: {
      ipf: { dims: ['ny', 'nx', '3'], description: 'IPF colour (RGB 0–1) of the beam direction' },
      quality: { dims: ['ny', 'nx'], description: 'reliability × correlation' },
      crystalline: { dims: ['ny', 'nx'], description: 'mask: 1 = crystal, 0 = not' },
      glass: {
        dims: ['ny', 'nx'],
        description: 'mask: 1 = no crystal (keep for the glass analysis), 0 = crystal',
      },
    },
  },
  async run({ node, params: p, inputs, scan }) {
    const m = inputs.match;
    if (!m) throw new UserError(`node '${node}', input 'match': connect a crystal.match node`);
    const zone = await inputField(m, 'zoneAxis', node, 'match');
    const phase = await inputField(m, 'phase', node, 'match');
    const corr = await inputField(m, 'correlation', node, 'match');
    const rel = await inputField(m, 'reliability', node, 'match');
    const n = scan.ny * scan.nx;
    if (phase.data.length !== n || zone.data.length !== 3 * n)
      throw new UserError(
        `node '${node}', input 'match': expected ${n} positions, got shape [${phase.shape}]`,
      );
    const ipf = f32([scan.ny, scan.nx, 3]);
    const quality = f32([scan.ny, scan.nx]);
    const crystalline = zeros('uint8', [scan.ny, scan.nx]);
    const glass = zeros('uint8', [scan.ny, scan.nx]);
    let count = 0;
    for (let i = 0; i < n; i++) {
      quality.data[i] = corr.data[i] * rel.data[i];
      const d: Vec3 = [zone.data[3 * i], zone.data[3 * i + 1], zone.data[3 * i + 2]];
      if (Number.isFinite(d[0])) ipfColor(d, p.laue as LaueClass, ipf.data, 3 * i);
      else ipf.data.fill(NaN, 3 * i, 3 * i + 3);
      const cryst = p.by === 'phase' ? phase.data[i] >= 0 : quality.data[i] >= p.minQuality;
      crystalline.data[i] = cryst ? 1 : 0;
      glass.data[i] = cryst ? 0 : 1;
      count += cryst ? 1 : 0;
    }
    return {
      fields: { ipf, quality, crystalline, glass },
      meta: {
        crystalline: count,
        glass: n - count,
        by: p.by,
        laue: p.laue,
        ipfKey: 'red [001], green [011], blue [111]',
        meaning: 'masks: 1 = selected',
      },
    };
  },
});
