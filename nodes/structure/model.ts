/**
 * The quasi-binary close-packed model as a least-squares model: three FCC "phases" (X–X, Zr–Zr,
 * Zr–X), each counting only its own pair type, weighted by f_i f_j / ⟨f⟩², with a free scale s_k and
 * lattice parameter a_k each:
 *   G(r) = Σ_k s_k w_k [ Σ_n m_n P(r, a_k d_n) − 4π ρ_k B(r) ]
 * (shells n of FCC at a·d_n with m_n neighbours; P and B the band-limited shell and baseline of
 * shell-table.ts; ρ_k = 4/a_k³ the phase's own density, as PDFgui takes it from the unit cell, or one
 * fixed ρ₀ for every phase). Parameter vector: [s_XX, a_XX, s_ZrZr, a_ZrZr, s_ZrX, a_ZrX].
 */
import { fccDensity, type Shells } from './fcc.ts';
import type { LsqModel } from '../fit/trust-region.ts';
import type { ShellTable } from './shell-table.ts';

export const PHASES = ['XX', 'ZrZr', 'ZrX'] as const;
export type Phase = (typeof PHASES)[number];
export const N_PHASES = 3;
export const N_PARAMS = 6;

export class StructureModel implements LsqModel {
  /** Data at the fit points used (valid rows); `rows[i]` = table row of data point i. */
  readonly y: Float64Array;
  readonly rows: Int32Array;
  /** Number of data points in use. */
  count = 0;
  /** Per phase: basis (bracket above, × w_k) and its a-derivative on every table row. */
  private readonly basis: Float64Array;
  private readonly dbasis: Float64Array;
  private readonly fourPi = 4 * Math.PI;

  constructor(
    readonly table: ShellTable,
    readonly shells: Shells,
    /** Pair weights f_i f_j / ⟨f⟩² in PHASES order. */
    readonly weights: ArrayLike<number>,
    /** Fixed number density for every phase (Å⁻³), or null for each phase's own 4/a³. */
    readonly rho0: number | null,
  ) {
    const m = table.m;
    this.y = new Float64Array(m);
    this.rows = new Int32Array(m);
    this.basis = new Float64Array(N_PHASES * m);
    this.dbasis = new Float64Array(N_PHASES * m);
  }

  /** Phase k's basis w_k[Σ m_n P − 4πρB] and its derivative in a, into basis/dbasis rows k. */
  phaseBasis(k: number, a: number, withDerivative: boolean): void {
    const { table, shells } = this;
    const m = table.m;
    const { pd, h, s0, ncol, sMax } = table;
    const off = k * m;
    const b = this.basis;
    const db = this.dbasis;
    const w = this.weights[k];
    const rho = this.rho0 ?? fccDensity(a);
    const drho = this.rho0 === null ? (-3 * rho) / a : 0;
    const base = table.base;
    const c0 = -this.fourPi * rho * w;
    const c1 = -this.fourPi * drho * w;
    for (let i = 0; i < m; i++) b[off + i] = c0 * base[i];
    if (withDerivative) for (let i = 0; i < m; i++) db[off + i] = c1 * base[i];
    const nShell = shells.d.length;
    for (let n = 0; n < nShell; n++) {
      const s = a * shells.d[n];
      if (s >= sMax) break;
      const x = (s - s0) / h;
      const j = Math.floor(x);
      if (j < 0 || j + 1 >= ncol) continue; // outside the table: bounds on a keep shells inside
      const t = x - j;
      const t2 = t * t;
      const t3 = t2 * t;
      const mw = shells.m[n] * w;
      // Hermite basis (values use h·∂P/∂s as the end slopes)
      const a00 = mw * (2 * t3 - 3 * t2 + 1);
      const a10 = mw * h * (t3 - 2 * t2 + t);
      const a01 = mw * (-2 * t3 + 3 * t2);
      const a11 = mw * h * (t3 - t2);
      const p0 = 2 * j * m; // column j, interleaved (P, ∂P/∂s)
      const p1 = p0 + 2 * m; // column j + 1
      if (!withDerivative) {
        for (let i = 0; i < m; i++) {
          const i2 = 2 * i;
          b[off + i] += a00 * pd[p0 + i2] + a10 * pd[p0 + i2 + 1] + a01 * pd[p1 + i2] + a11 * pd[p1 + i2 + 1];
        }
        continue;
      }
      // d/da = d_n · d/ds; d/ds of the Hermite interpolant = (d/dt)/h
      const ds = (mw * shells.d[n]) / h;
      const b00 = ds * (6 * t2 - 6 * t);
      const b10 = ds * h * (3 * t2 - 4 * t + 1);
      const b01 = ds * (-6 * t2 + 6 * t);
      const b11 = ds * h * (3 * t2 - 2 * t);
      for (let i = 0; i < m; i++) {
        const i2 = 2 * i;
        const q0 = pd[p0 + i2];
        const d0 = pd[p0 + i2 + 1];
        const q1 = pd[p1 + i2];
        const d1 = pd[p1 + i2 + 1];
        b[off + i] += a00 * q0 + a10 * d0 + a01 * q1 + a11 * d1;
        db[off + i] += b00 * q0 + b10 * d0 + b01 * q1 + b11 * d1;
      }
    }
  }

  /** Basis row of phase k (valid after phaseBasis). */
  basisRow(k: number): Float64Array {
    const m = this.table.m;
    return this.basis.subarray(k * m, (k + 1) * m);
  }

  evaluate(x: Float64Array, r: Float64Array, J: Float64Array | null): void {
    const m = this.table.m;
    const b = this.basis;
    const db = this.dbasis;
    for (let k = 0; k < N_PHASES; k++) this.phaseBasis(k, x[2 * k + 1], J !== null);
    const s0 = x[0];
    const s1 = x[2];
    const s2 = x[4];
    const { rows, y, count } = this;
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      const v0 = b[row];
      const v1 = b[m + row];
      const v2 = b[2 * m + row];
      r[i] = s0 * v0 + s1 * v1 + s2 * v2 - y[i];
      if (J) {
        // column-major: J[a·count + i]
        J[i] = v0;
        J[count + i] = s0 * db[row];
        J[2 * count + i] = v1;
        J[3 * count + i] = s1 * db[m + row];
        J[4 * count + i] = v2;
        J[5 * count + i] = s2 * db[2 * m + row];
      }
    }
  }

  /** The model on every table row (after evaluate at x, or any x). */
  curve(x: ArrayLike<number>, out: Float32Array | Float64Array, offset = 0): void {
    const m = this.table.m;
    for (let k = 0; k < N_PHASES; k++) this.phaseBasis(k, x[2 * k + 1], false);
    const b = this.basis;
    for (let i = 0; i < m; i++) out[offset + i] = x[0] * b[i] + x[2] * b[m + i] + x[4] * b[2 * m + i];
  }

  /**
   * Starting scales for lattice parameters a (x[1], x[3], x[5]): non-negative linear least squares
   * over the 3 scales (the model is linear in them), by trying every active set. Writes x[0,2,4].
   */
  linearScales(x: Float64Array): void {
    const m = this.table.m;
    for (let k = 0; k < N_PHASES; k++) this.phaseBasis(k, x[2 * k + 1], false);
    const b = this.basis;
    const { rows, y, count } = this;
    // normal equations A s = v
    const A = new Float64Array(9);
    const v = new Float64Array(3);
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      for (let p = 0; p < 3; p++) {
        const bp = b[p * m + row];
        v[p] += bp * y[i];
        for (let q = 0; q <= p; q++) A[p * 3 + q] += bp * b[q * m + row];
      }
    }
    for (let p = 0; p < 3; p++) for (let q = 0; q < p; q++) A[q * 3 + p] = A[p * 3 + q];
    let best = -Infinity;
    const sol = [0, 0, 0];
    const trial = [0, 0, 0];
    for (let set = 1; set < 8; set++) {
      if (!solveSubset(A, v, set, trial)) continue;
      if (trial.some((s) => s < 0)) continue;
      // gain = 2 sᵀv − sᵀAs (the decrease of Σ(y − Bs)² from s = 0)
      let gain = 0;
      for (let p = 0; p < 3; p++) {
        gain += 2 * trial[p] * v[p];
        for (let q = 0; q < 3; q++) gain -= trial[p] * A[p * 3 + q] * trial[q];
      }
      if (gain > best) {
        best = gain;
        sol[0] = trial[0];
        sol[1] = trial[1];
        sol[2] = trial[2];
      }
    }
    const total = sol[0] + sol[1] + sol[2];
    // A phase held at exactly 0 has no a-gradient; start it slightly above so it can come back.
    const floor = total > 0 ? 0.02 * total : 0.1;
    for (let k = 0; k < 3; k++) x[2 * k] = Math.max(sol[k], floor);
  }
}

/** Solve the subsystem of A s = v on the indices in bitmask `set` (others 0); false if singular. */
function solveSubset(A: Float64Array, v: Float64Array, set: number, out: number[]): boolean {
  const idx: number[] = [];
  for (let p = 0; p < 3; p++) if (set & (1 << p)) idx.push(p);
  const n = idx.length;
  const M = new Float64Array(n * (n + 1));
  for (let a = 0; a < n; a++) {
    for (let b2 = 0; b2 < n; b2++) M[a * (n + 1) + b2] = A[idx[a] * 3 + idx[b2]];
    M[a * (n + 1) + n] = v[idx[a]];
  }
  // Gaussian elimination with partial pivoting (n ≤ 3)
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(M[r * (n + 1) + c]) > Math.abs(M[piv * (n + 1) + c])) piv = r;
    if (!(Math.abs(M[piv * (n + 1) + c]) > 1e-300)) return false;
    if (piv !== c)
      for (let k = 0; k <= n; k++)
        [M[c * (n + 1) + k], M[piv * (n + 1) + k]] = [M[piv * (n + 1) + k], M[c * (n + 1) + k]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * (n + 1) + c] / M[c * (n + 1) + c];
      for (let k = c; k <= n; k++) M[r * (n + 1) + k] -= f * M[c * (n + 1) + k];
    }
  }
  out[0] = out[1] = out[2] = 0;
  for (let a = 0; a < n; a++) out[idx[a]] = M[a * (n + 1) + n] / M[a * (n + 1) + a];
  return true;
}
