/**
 * qoi.sro: the chemical short-range-order parameter α (source definition, corrected sign) and the
 * Warren–Cowley α from three pair-fraction maps (ZrZr, ZrX, XX), e.g. from decompose.assign.
 */
import { UserError } from '../../engine/errors.ts';
import { inputField } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { sroAlpha, warrenCowleyAlpha } from './sro-formulas.ts';

export const qoiSro = defineOp({
  name: 'qoi.sro',
  version: 1,
  scope: 'dataset',
  title: 'Chemical short-range order α',
  description:
    "From pair fractions P_ZrZr, P_ZrX, P_XX (normalised to sum 1): α = P_ZrX / P_random − 1 with P_random = P_max/2, P_max = P_ZrX + 2·min(P_XX, P_ZrZr) (the source's minus sign corrected); Warren–Cowley α_WC = 1 − P_ZrX/(2c(1−c)), c = P_ZrZr + P_ZrX/2.",
  inputs: {
    pairs: {
      scope: 'any',
      description: 'pair-fraction maps with fields named by params zrzr, zrx, xx (decompose.assign)',
    },
  },
  params: {
    zrzr: { type: 'string', default: 'ZrZr', description: 'field holding the Zr–Zr fraction' },
    zrx: { type: 'string', default: 'ZrX', description: 'field holding the Zr–X fraction' },
    xx: { type: 'string', default: 'XX', description: 'field holding the X–X fraction' },
  },
  outputs: {
    fields: {
      alpha: { dims: ['ny', 'nx'], description: 'α (> 0 ordering, < 0 clustering, 0 random)' },
      alphaWC: { dims: ['ny', 'nx'], description: 'Warren–Cowley α' },
    },
  },
  async run({ node, params: p, inputs, scan }) {
    const total = scan.ny * scan.nx;
    const [a, b, c] = await Promise.all(
      [p.zrzr, p.zrx, p.xx].map((f) => inputField(inputs.pairs, f, node, 'pairs')),
    );
    for (const f of [a, b, c])
      if (f.data.length !== total)
        throw new UserError(
          `node '${node}', input 'pairs': expected maps of ${total} positions, got shape [${f.shape}]`,
        );
    const alpha = f32([scan.ny, scan.nx]);
    const alphaWC = f32([scan.ny, scan.nx]);
    for (let i = 0; i < total; i++) {
      alpha.data[i] = sroAlpha(a.data[i], b.data[i], c.data[i]);
      alphaWC.data[i] = warrenCowleyAlpha(a.data[i], b.data[i], c.data[i]);
    }
    return {
      fields: { alpha, alphaWC },
      meta: { definition: 'alpha = P_ZrX / (P_max/2) - 1, P_max = P_ZrX + 2 min(P_XX, P_ZrZr)' },
    };
  },
});
