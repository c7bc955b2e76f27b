/**
 * The per-pattern chain on one core (issue 4): 144 × 144 uint8 patterns, 400 Q bins, a fresh
 * automatic mask per pattern. Ops are called directly (prepare once, process chunks of 256), so
 * the figures include output allocation but no engine or cache. Targets: integration ≤ 0.1 ms and
 * automask + integration + reduction ≤ 0.5 ms per pattern.
 * Run alone: node --import tsx bench/chain.ts [--quick]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { f64 } from '../engine/ndarray.ts';
import { resolveParams } from '../engine/params.ts';
import type { OpDef, Value } from '../engine/types.ts';
import { ellipseMetric } from '../nodes/calib/geometry-model.ts';
import { integrateAzimuthal } from '../nodes/integrate/azimuthal.ts';
import { maskAuto } from '../nodes/mask/auto.ts';
import { pdfReduce } from '../nodes/pdf/reduce-op.ts';
import type { BenchRow } from './types.ts';

const H = 144;
const W = 144;
const CHUNK = 256;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An amorphous pattern (beam, background, ring) with Poisson noise and a few Bragg spots, uint8. */
export function makeFrames(count: number, cx: number, cy: number): Uint8Array {
  const m = ellipseMetric(0.98, 20);
  const clean = new Float64Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const r = Math.sqrt(m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy);
      clean[y * W + x] =
        250 / (1 + Math.exp((r - 4) / 0.5)) + 30 * Math.exp(-r / 35) + 60 * Math.exp(-((r - 40) ** 2) / 18);
    }
  }
  const rand = rng(1);
  const out = new Uint8Array(count * H * W);
  for (let i = 0; i < count; i++) {
    const frame = Float64Array.from(clean);
    for (let s = 0; s < 4; s++) {
      const a = rand() * 2 * Math.PI;
      const sx = cx + 40 * Math.cos(a);
      const sy = cy + 40 * Math.sin(a);
      for (let y = Math.floor(sy) - 2; y <= Math.floor(sy) + 2; y++)
        for (let x = Math.floor(sx) - 2; x <= Math.floor(sx) + 2; x++) frame[y * W + x] += 120;
    }
    for (let p = 0; p < H * W; p++) {
      // Poisson by inversion (λ ≤ ~400 here; a normal approximation above 60 keeps it quick).
      const lam = frame[p];
      let k: number;
      if (lam > 60)
        k = Math.round(
          lam +
            Math.sqrt(lam) *
              Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-300))) *
              Math.cos(2 * Math.PI * rand()),
        );
      else {
        const L = Math.exp(-lam);
        let pr = 1;
        k = -1;
        do {
          k++;
          pr *= rand();
        } while (pr > L);
      }
      out[i * H * W + p] = Math.max(0, Math.min(255, k));
    }
  }
  return out;
}

async function prepared(op: OpDef, given: Record<string, unknown>, inputs: Record<string, Value>) {
  const params = resolveParams(op.name, op, given);
  const base = { node: op.name, params, scan: { ny: 1, nx: CHUNK }, dataset: null, log: () => {} };
  const state = op.prepare ? await op.prepare({ ...base, inputs }) : undefined;
  return (chunkInputs: Record<string, Value>) =>
    op.process!({
      ...base,
      chunk: { index: 0, start: 0, count: CHUNK },
      inputs: { ...inputs, ...chunkInputs },
      state,
    }) as Value;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

/**
 * Per-pattern time of fn() on one chunk (after two warm-up calls): the median over `runs` of the
 * wall time, and of this process's CPU time (the fairer figure on a shared, loaded machine).
 */
function time(fn: () => unknown, runs: number): { wall: number; cpu: number } {
  fn();
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push((performance.now() - t0) / CHUNK);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / CHUNK);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

export async function bench(opts: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const runs = opts.quick ? 5 : 21;
  const cx = 71.3;
  const cy = 72.4;
  const frames: Value = {
    fields: { frames: { dtype: 'uint8', shape: [CHUNK, H, W], data: makeFrames(CHUNK, cx, cy) } },
  };
  const geometry: Value = {
    fields: {
      center: f64([2], [cx, cy]),
      qPerPixel: f64([1], [0.2]),
      ellipse: f64([2], [0.98, 20]),
      wavelength: f64([1], [0.02508]),
      detectorShape: f64([2], [H, W]),
    },
  };
  const automask = await prepared(maskAuto, {}, { geometry });
  const mask = automask({ frames });
  const rows: BenchRow[] = [];
  const row = (name: string, t: { wall: number; cpu: number }, target?: string): BenchRow => ({
    name,
    value: t.wall,
    unit: 'ms/pattern',
    target,
    note: `wall-clock median of ${runs} runs of a ${CHUNK}-pattern chunk (CPU time ${t.cpu.toFixed(4)} ms)`,
  });
  const integrators: Record<string, (c: Record<string, Value>) => Value> = {};
  for (const split of ['bbox', 'none', 'full'] as const) {
    integrators[split] = await prepared(integrateAzimuthal, { bins: 400, split }, { geometry });
    const t = time(() => integrators[split]({ frames, mask }), runs);
    rows.push(
      row(
        `integrate.azimuthal (split ${split}${split === 'bbox' ? ', default' : ''}), per-frame mask`,
        t,
        split === 'bbox' ? '≤ 0.1' : undefined,
      ),
    );
  }
  rows.push(
    row(
      'mask.auto (mean strategy, α 3.5)',
      time(() => automask({ frames }), runs),
    ),
  );
  const iq = integrators.bbox({ frames, mask });
  const reduce = await prepared(pdfReduce, { composition: 'Zr65Cu17.5Ni10Al7.5' }, {});
  rows.push(
    row(
      'pdf.reduce (qmax 8.1, G on 0–20 Å step 0.01)',
      time(() => reduce({ iq }), runs),
    ),
  );
  const chain = () => {
    const m = automask({ frames });
    const i = integrators.bbox({ frames, mask: m });
    return reduce({ iq: i });
  };
  rows.push(row('automask + integration (bbox) + reduction', time(chain, runs), '≤ 0.5'));
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await bench({ quick: process.argv.includes('--quick') })) {
    console.log(
      `${r.name}: ${r.value.toFixed(4)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
    );
  }
}
