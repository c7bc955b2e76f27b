/**
 * map.register at the reference study's size: a 289 × 132 reference (3 nm step) and a 325 × 149
 * map (2.4 nm pixels) of a synthetic laminate with blobs, rotated 3.5° and shifted; offset and
 * rotation estimated (±10°). CPU time of one thread per registration, median of the runs, and how
 * far the result lands from the truth.
 */
import { linearOf, type Pose } from '../nodes/map/register-core.ts';
import { registerFromIdentity, registrationPair, worstCornerError } from '../sim/registration-pair.ts';
import type { BenchRow } from './types.ts';

function scene(X: number, Y: number): number {
  let v =
    (60 + 10 * Math.tanh((X - 200) / 50)) *
    0.25 *
    (1 + Math.tanh((X - 50) / 8)) *
    (1 + Math.tanh((350 - X) / 8));
  for (let k = 0; k < 30; k++) {
    const bx = (k * 137) % 396,
      by = (k * 311) % 867,
      r = 10 + (k % 5) * 3;
    v += 20 * Math.exp(-((X - bx) ** 2 + (Y - by) ** 2) / (2 * r * r));
  }
  return v;
}

export async function bench(opts: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const ny = 289,
    nx = 132,
    step = 3,
    H = 325,
    W = 149;
  const fr = { stepX: step, stepY: step, pixX: 2.4, pixY: 2.4 };
  const truth: Pose = { s: 1, thetaDeg: 3.5, tu: 5, tv: -4 };
  let seed = 1;
  const lcg = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  const { ref, map, a } = registrationPair(scene, {
    ny,
    nx,
    step,
    H,
    W,
    truth,
    frame: fr,
    noise: (amp) => 2 * amp * lcg(),
    refNoise: 0.5,
    mapNoise: 0.5,
  });
  const cpu: number[] = [];
  let err = 0;
  let steps = 0;
  for (let k = 0; k < (opts.quick ? 1 : 3); k++) {
    const c0 = process.cpuUsage();
    const res = registerFromIdentity(ref, map, { ny, nx, H, W, frame: fr }, { sign: 1 });
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    err = worstCornerError(
      linearOf(res.pose, fr),
      [res.pose.tu, res.pose.tv],
      a,
      [truth.tu, truth.tv],
      ny,
      nx,
    );
    steps = res.evaluations;
  }
  cpu.sort((x, y) => x - y);
  return [
    {
      name: 'map.register, 289 × 132 scan, 325 × 149 map, offset + rotation',
      value: cpu[cpu.length >> 1],
      unit: 's CPU',
      note: `median of ${cpu.length}; ${steps} refinement evaluations; worst corner ${err.toFixed(3)} scan px from the truth`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await bench({ quick: process.argv.includes('--quick') });
  for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(3)} ${r.unit} (${r.note})`);
}
