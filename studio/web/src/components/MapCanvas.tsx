/**
 * A scan map drawn crisply on a canvas from a Float32Array (nearest-neighbour, one block per
 * position), with the cursor, pinned positions, a rectangle / lasso ROI and a line for profiles.
 * Mouse: click picks a position; with the rect / lasso / line tool a drag draws. The parent owns
 * all state; this only draws and reports gestures in scan coordinates (x = column, y = row).
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { toImageData, type Scale } from '../lib/colour.ts';
import type { Roi } from '../lib/roi.ts';

export type MapTool = 'pick' | 'rect' | 'lasso' | 'line';

export interface MapCanvasProps {
  values: Float32Array | null;
  ny: number;
  nx: number;
  scale: Scale;
  /** Physical aspect: height / width of one position's block. */
  aspect?: number;
  width: number;
  cursor?: { iy: number; ix: number } | null;
  pinned?: { iy: number; ix: number; colour: string }[];
  roi?: Roi | null;
  line?: [[number, number], [number, number]] | null;
  tool?: MapTool;
  testid?: string;
  onPick?: (iy: number, ix: number) => void;
  onRoi?: (roi: Roi) => void;
  onLine?: (a: [number, number], b: [number, number]) => void;
}

export function MapCanvas(p: MapCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ start: [number, number]; points: [number, number][] } | null>(null);
  const height = Math.max(1, Math.round((p.width * p.ny * (p.aspect ?? 1)) / p.nx));
  // Coloured once per array and scale; cursor moves only redraw the overlays.
  const image = useMemo(() => {
    if (!p.values || p.values.length !== p.ny * p.nx) return null;
    const off = new OffscreenCanvas(p.nx, p.ny);
    off.getContext('2d')!.putImageData(toImageData(p.values, p.nx, p.ny, p.scale), 0, 0);
    return off;
  }, [p.values, p.nx, p.ny, p.scale.colormap, p.scale.lo, p.scale.hi, p.scale.log]);

  const draw = (live?: { roi?: Roi; line?: [[number, number], [number, number]] }) => {
    const c = ref.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(p.width * dpr);
    c.height = Math.round(height * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#15171c';
    g.fillRect(0, 0, p.width, height);
    if (image) {
      g.imageSmoothingEnabled = false;
      g.drawImage(image, 0, 0, p.width, height);
    }
    const sx = p.width / p.nx;
    const sy = height / p.ny;
    const roi = live?.roi ?? p.roi;
    if (roi) {
      g.save();
      g.strokeStyle = '#ffd84a';
      g.lineWidth = 1.5;
      g.setLineDash([4, 3]);
      g.fillStyle = 'rgba(255,216,74,0.12)';
      g.beginPath();
      if (roi.kind === 'rect')
        g.rect(
          Math.min(roi.x0, roi.x1) * sx,
          Math.min(roi.y0, roi.y1) * sy,
          Math.abs(roi.x1 - roi.x0) * sx,
          Math.abs(roi.y1 - roi.y0) * sy,
        );
      else
        for (const [i, [x, y]] of roi.points.entries()) {
          if (i) g.lineTo(x * sx, y * sy);
          else g.moveTo(x * sx, y * sy);
        }
      g.closePath();
      g.fill();
      g.stroke();
      g.restore();
    }
    const line = live?.line ?? p.line;
    if (line) {
      g.save();
      g.strokeStyle = '#7ee0ff';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(line[0][0] * sx, line[0][1] * sy);
      g.lineTo(line[1][0] * sx, line[1][1] * sy);
      g.stroke();
      for (const [x, y] of line) {
        g.beginPath();
        g.arc(x * sx, y * sy, 3, 0, 2 * Math.PI);
        g.fillStyle = '#7ee0ff';
        g.fill();
      }
      g.restore();
    }
    for (const pin of p.pinned ?? []) box(g, pin.ix * sx, pin.iy * sy, sx, sy, pin.colour, 1.5);
    if (p.cursor) box(g, p.cursor.ix * sx, p.cursor.iy * sy, sx, sy, '#ff4fd8', 2);
  };

  useEffect(() => draw(), [image, p.width, height, p.cursor, p.pinned, p.roi, p.line]);

  const toScan = (e: PointerEvent): [number, number] => {
    const r = ref.current!.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * p.nx, ((e.clientY - r.top) / r.height) * p.ny];
  };
  const tool = p.tool ?? 'pick';
  const onDown = (e: PointerEvent) => {
    const pt = toScan(e);
    if (tool === 'pick') {
      p.onPick?.(clamp(Math.floor(pt[1]), p.ny), clamp(Math.floor(pt[0]), p.nx));
      return;
    }
    ref.current!.setPointerCapture(e.pointerId);
    drag.current = { start: pt, points: [pt] };
  };
  const liveShape = (d: { start: [number, number]; points: [number, number][] }, pt: [number, number]) => {
    if (tool === 'rect')
      return { roi: { kind: 'rect' as const, x0: d.start[0], y0: d.start[1], x1: pt[0], y1: pt[1] } };
    if (tool === 'lasso') return { roi: { kind: 'lasso' as const, points: d.points } };
    return { line: [d.start, pt] as [[number, number], [number, number]] };
  };
  const onMove = (e: PointerEvent) => {
    if (!drag.current) return;
    const pt = toScan(e);
    drag.current.points.push(pt);
    draw(liveShape(drag.current, pt));
  };
  const onUp = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    drag.current = null;
    const pt = toScan(e);
    const shape = liveShape(d, pt);
    if (
      shape.roi &&
      (shape.roi.kind === 'lasso'
        ? d.points.length > 2
        : Math.abs(pt[0] - d.start[0]) + Math.abs(pt[1] - d.start[1]) > 0.5)
    )
      p.onRoi?.(shape.roi);
    else if (shape.line && Math.hypot(pt[0] - d.start[0], pt[1] - d.start[1]) > 1) p.onLine?.(d.start, pt);
    else draw();
  };
  return (
    <canvas
      ref={ref}
      class={`map-canvas tool-${tool}`}
      data-testid={p.testid}
      style={{ width: `${p.width}px`, height: `${height}px` }}
      onPointerDown={onDown}
      onPointerMove={onMove}
      onPointerUp={onUp}
    />
  );
}

function box(
  g: CanvasRenderingContext2D,
  x: number,
  y: number,
  w: number,
  h: number,
  colour: string,
  lw: number,
) {
  const m = Math.max(w, h, 5);
  g.save();
  g.strokeStyle = '#000';
  g.lineWidth = lw + 2;
  g.strokeRect(x + w / 2 - m / 2, y + h / 2 - m / 2, m, m);
  g.strokeStyle = colour;
  g.lineWidth = lw;
  g.strokeRect(x + w / 2 - m / 2, y + h / 2 - m / 2, m, m);
  g.restore();
}

const clamp = (i: number, n: number) => Math.max(0, Math.min(n - 1, i));
