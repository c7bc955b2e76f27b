/**
 * Seeded, counter-based randomness: every scan position (iy, ix) gets its own generator whose state
 * is a hash of (seed, iy, ix, stream). A position's pattern therefore never depends on which worker
 * rendered it, in what order, or how the scan was chunked.
 */

/** 32-bit avalanche mix (the finaliser of MurmurHash3); bijective on uint32. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a few integers into one uint32 (order matters). */
export function hashInts(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) h = mix32((h ^ mix32(x >>> 0)) + 0x7f4a7c15);
  return h >>> 0;
}

/** Independent random streams used by the simulator (so adding draws to one never shifts another). */
export const STREAM = { poisson: 1, specimen: 2, detector: 3, grains: 4, inclusions: 5 } as const;

/**
 * Small fast generator (sfc32: 128-bit state, passes PractRand to many GB); reseedable without
 * allocation so the hot loop reuses one instance.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(...key: number[]) {
    this.reseed(...key);
  }

  /** Reset the state from a key such as (seed, stream, iy, ix). */
  reseed(...key: number[]): this {
    const h = hashInts(...key);
    this.a = h;
    this.b = mix32(h ^ 0x68e31da4);
    this.c = mix32(h + 0x1b56c4e9);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
    return this;
  }

  /** The raw state (for hot loops that inline the generator; see poisson.ts). */
  state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  setState(a: number, b: number, c: number, d: number): void {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Uniform uint32. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller; for set-up code, not the per-pixel loop). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Inverse standard-normal CDF at the midpoints of 2^16 equal-probability cells: one table lookup
 * per normal deviate in the per-pixel Poisson loop (tails truncated at |z| ≈ 4.3, irrelevant for
 * counting noise).
 */
export const NORMAL_TABLE: Float32Array = (() => {
  const n = 1 << 16;
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) t[i] = inverseNormalCdf((i + 0.5) / n);
  return t;
})();

/** Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9), refined by one Newton step. */
export function inverseNormalCdf(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}
