/**
 * Per-position centre shifts (descan) without rebuilding geometry tables per position: shifts are
 * rounded to a quantum (default 1/8 px, so the centre is off by at most 1/16 px) and the table for
 * each rounded shift is built once and kept in a small LRU cache.
 */
import type { Geometry } from './geometry-model.ts';

export class ShiftBuckets<T> {
  private readonly cache = new Map<string, T>();
  private unshifted: T | undefined;

  constructor(
    /** Rounding step of the shift, px; 0 = exact shifts (one table per distinct shift). */
    readonly quantum: number,
    private readonly build: (sx: number, sy: number) => T,
    readonly capacity = 64,
  ) {}

  round(s: number): number {
    return this.quantum > 0 ? Math.round(s / this.quantum) * this.quantum : s;
  }

  get(dx: number, dy: number): T {
    const sx = this.round(Number.isFinite(dx) ? dx : 0);
    const sy = this.round(Number.isFinite(dy) ? dy : 0);
    const key = `${sx},${sy}`;
    let t = this.cache.get(key);
    if (t !== undefined) {
      // Refresh recency.
      this.cache.delete(key);
      this.cache.set(key, t);
      return t;
    }
    t = this.build(sx, sy);
    this.cache.set(key, t);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return t;
  }

  /** The table for scan position `pos` of geometry `g` (no descan → the unshifted table). */
  forPosition(g: Geometry, pos: number): T {
    if (!g.dx && !g.dy) return (this.unshifted ??= this.get(0, 0));
    return this.get(g.dx ? g.dx[pos] : 0, g.dy ? g.dy[pos] : 0);
  }
}
