/**
 * Histogram of a map's finite values with two draggable colour limits (the colourbar beneath).
 * Dragging reports limits live; releasing commits them (the caller saves them as `display`).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { cssGradient, finiteRange, fmt, type Scale } from '../lib/colour.ts';

export function Histogram(p: {
  values: Float32Array;
  scale: Scale;
  unit?: string | null;
  width: number;
  onLimits: (lo: number, hi: number, commit: boolean) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const h = 64;
  const [range, counts] = useMemo(() => {
    const [a, b] = finiteRange(p.values);
    const lo = Math.min(a, p.scale.lo);
    const hi = Math.max(b, p.scale.hi);
    const n = 96;
    const c = new Uint32Array(n);
    const k = n / (hi - lo || 1);
    for (const v of p.values) if (Number.isFinite(v)) c[Math.min(n - 1, Math.floor((v - lo) * k))]++;
    return [[lo, hi] as [number, number], c];
  }, [p.values]);
  const [drag, setDrag] = useState<null | 'lo' | 'hi'>(null);
  const xOf = (v: number) => ((v - range[0]) / (range[1] - range[0] || 1)) * p.width;
  const vOf = (x: number) => range[0] + (x / p.width) * (range[1] - range[0]);
  useEffect(() => {
    const c = ref.current!;
    const dpr = window.devicePixelRatio || 1;
    c.width = p.width * dpr;
    c.height = h * dpr;
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, p.width, h);
    const max = Math.max(1, ...counts);
    const bw = p.width / counts.length;
    counts.forEach((n, i) => {
      const v = range[0] + ((i + 0.5) / counts.length) * (range[1] - range[0]);
      g.fillStyle = v >= p.scale.lo && v <= p.scale.hi ? '#8fa3c7' : '#4a5060';
      const bh = (Math.log1p(n) / Math.log1p(max)) * (h - 4);
      g.fillRect(i * bw, h - bh, Math.max(1, bw - 0.5), bh);
    });
    for (const v of [p.scale.lo, p.scale.hi]) {
      g.fillStyle = '#ffd84a';
      g.fillRect(xOf(v) - 1, 0, 2, h);
    }
  }, [counts, p.scale.lo, p.scale.hi, p.width]);
  const at = (e: PointerEvent) => vOf(e.clientX - ref.current!.getBoundingClientRect().left);
  return (
    <div class="histogram" data-testid="histogram">
      <canvas
        ref={ref}
        style={{ width: `${p.width}px`, height: `${h}px`, cursor: 'ew-resize' }}
        onPointerDown={(e) => {
          const v = at(e);
          const which = Math.abs(v - p.scale.lo) < Math.abs(v - p.scale.hi) ? 'lo' : 'hi';
          ref.current!.setPointerCapture(e.pointerId);
          setDrag(which);
        }}
        onPointerMove={(e) => {
          if (!drag) return;
          const v = at(e);
          if (drag === 'lo' && v < p.scale.hi) p.onLimits(v, p.scale.hi, false);
          if (drag === 'hi' && v > p.scale.lo) p.onLimits(p.scale.lo, v, false);
        }}
        onPointerUp={() => {
          if (drag) p.onLimits(p.scale.lo, p.scale.hi, true);
          setDrag(null);
        }}
      />
      <div
        class="colourbar-ramp"
        style={{ width: `${p.width}px`, background: cssGradient(p.scale.colormap) }}
      />
      <div class="colourbar-ticks" style={{ width: `${p.width}px` }}>
        <span>{fmt(range[0])}</span>
        <span>
          limits {fmt(p.scale.lo)} … {fmt(p.scale.hi)} {p.unit ?? ''}
        </span>
        <span>{fmt(range[1])}</span>
      </div>
    </div>
  );
}
