/** Nice axis ticks, nice scale-bar lengths and compact number labels. */

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` ticks over [lo, hi]. */
export function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/** Tick values inside [lo, hi], on multiples of a nice step. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const step = niceStep(lo, hi, count);
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The largest 1, 2 or 5 × 10^k not above `max` (a scale-bar length). */
export function niceLength(max: number): number {
  if (!(max > 0)) return 0;
  const p = 10 ** Math.floor(Math.log10(max));
  const f = max / p;
  return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
}

/** Short label: up to 3–4 significant digits, exponent form for very large or small magnitudes. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${trimZeros(m)}e${Number(e)}`;
  }
  return trimZeros(v.toPrecision(digits + (a >= 1000 ? 1 : 0)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Scale-bar text: nm below 1 µm, µm above. */
export function formatLength(nm: number): string {
  return nm >= 1000 ? `${formatNumber(nm / 1000)} µm` : `${formatNumber(nm)} nm`;
}

/** Tick label with just enough decimals for the tick step (so 3.305 and 3.31 stay distinct). */
export function formatTick(v: number, step: number): string {
  const a = Math.max(Math.abs(v), Math.abs(step));
  if (a >= 1e5 || (a < 1e-3 && v !== 0)) return formatNumber(v, 3);
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return (Math.abs(v) < step * 1e-6 ? 0 : v).toFixed(decimals);
}
