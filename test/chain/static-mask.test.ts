import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { f64, nd } from '../../engine/ndarray.ts';
import type { Value } from '../../engine/types.ts';
import { writeNpy } from '../../formats/npy.ts';
import { maskStatic } from '../../nodes/mask/static.ts';
import { runDataset } from './harness.ts';
import { addPoisson, amorphousProfile, renderRings } from './synth.ts';

describe('mask.static', () => {
  const h = 64;
  const w = 64;
  const n = 8;
  const clean = renderRings({
    h,
    w,
    cx: 31.5,
    cy: 32.5,
    axisRatio: 1,
    angleDeg: 0,
    profile: amorphousProfile({ beam: 400, bg: 40, ring: 50, ringR: 20 }),
    supersample: 2,
  });
  const data = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++)
    data.set(
      Uint8Array.from(addPoisson(clean, i + 3), (v) => Math.min(255, v)),
      i * h * w,
    );
  const dead = 40 * w + 10;
  const hot = 12 * w + 50;
  const flaky = 5 * w + 5; // saturated in 1 of 8 frames only
  for (let i = 0; i < n; i++) {
    data[i * h * w + dead] = 0;
    data[i * h * w + hot] = 250;
  }
  data[2 * h * w + flaky] = 255;
  const frames: Value = { fields: { frames: { dtype: 'uint8', shape: [n, h, w], data } } };
  const geometry: Value = {
    fields: { center: f64([2], [31.5, 32.5]), qPerPixel: f64([1], [0.2]), detectorShape: f64([2], [h, w]) },
  };
  const chunk = { index: 0, start: 0, count: n };

  it('masks the beam-stop disc, the saturated beam core, dead and hot pixels, and a user mask file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-mask-'));
    const user = new Uint8Array(h * w);
    user[60 * w + 60] = 1;
    writeNpy(path.join(dir, 'user.npy'), nd(user, [h, w]));
    try {
      const out = await runDataset(
        maskStatic,
        { beamstopRadius: 3, maskFile: path.join(dir, 'user.npy') },
        { frames: { frames, chunk }, geometry },
      );
      const m = out.fields.mask.data;
      expect(out.fields.mask.shape).toEqual([h, w]);
      // Beam stop: within 3 px of (31.5, 32.5).
      expect(m[32 * w + 31]).toBe(1);
      const counts = out.meta!.counts as Record<string, number>;
      expect(counts.beamstop).toBeGreaterThanOrEqual(24);
      expect(counts.beamstop).toBeLessThanOrEqual(32);
      // Beyond the disc, the beam core (≈ 290 counts at r = 3.5, clipped at 255) is saturated.
      expect(m[32 * w + 35]).toBe(1);
      expect(counts.saturated).toBeGreaterThan(0);
      expect(m[dead]).toBe(1);
      expect(m[hot]).toBe(1);
      expect(m[60 * w + 60]).toBe(1);
      expect(m[flaky]).toBe(0);
      // Ordinary ring pixels stay in.
      let ring = 0;
      let masked = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const r = Math.hypot(x - 31.5, y - 32.5);
          if (r > 15 && r < 25) {
            ring++;
            masked += m[y * w + x];
          }
        }
      }
      expect(masked / ring).toBeLessThan(0.01);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the node and param for a missing mask file', async () => {
    await expect(
      runDataset(maskStatic, { maskFile: '/nonexistent/m.npy' }, { geometry }, undefined, 'st'),
    ).rejects.toThrow(/node 'st', param 'maskFile'/);
  });
});
