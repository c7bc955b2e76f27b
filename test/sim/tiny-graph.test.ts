/** `snem simulate --preset tiny` writes a graph.json that runs end to end (issue #17: NMF had 0 positions). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runGraph } from '../../app/run.ts';
import { readNpy } from '../../formats/npy.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';

it('the tiny preset: simulate, then run the graph.json it wrote', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-tiny-'));
  try {
    await simulateToDir({ outDir: path.join(dir, 'data'), params: resolveSimParams('tiny', {}), workers: 2 });
    const graph = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'graph.json'), 'utf8'));
    expect(graph.nodes.amorphous.params.above).toBe(0.2);
    const { runDir } = await runGraph({
      graphFile: path.join(dir, 'data', 'graph.json'),
      outDir: path.join(dir, 'run'),
      cacheDir: path.join(dir, 'cache'),
      quiet: true,
      noReport: true,
      workers: 2,
    });
    // the NMF ran over glass positions: finite fractions where the region is, NaN elsewhere
    const fractions = readNpy(path.join(runDir, 'nmf.fractions.npy'));
    const k = graph.nodes.nmf.params.components;
    let positions = 0;
    for (let p = 0; p < fractions.data.length / k; p++)
      if (Array.from(fractions.data.subarray(p * k, (p + 1) * k)).some(Number.isFinite)) positions++;
    expect(positions).toBeGreaterThanOrEqual(k);
    expect(fs.existsSync(path.join(runDir, 'bonds.ZrZr.npy'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
