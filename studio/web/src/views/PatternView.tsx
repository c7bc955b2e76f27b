/**
 * The pattern of the selected position (or the ROI mean): log/linear, wheel zoom, drag pan;
 * overlays of the centre, Q rings (ellipses when the geometry has one) with Å⁻¹ labels, the static
 * and automatic masks, calibrant rings and every virtual detector. Tools draw detectors (the
 * virtual image over the scan updates while dragging), drag the centre, edit a mask, or set the
 * Q scale from a calibrant ring.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ndarray, type Edit, type GeometryInfo } from '../lib/api.ts';
import { autoLimits, fmt, toImageData, type ColormapName, type Scale } from '../lib/colour.ts';
import { CALIBRANTS, calibrantRings, qPerPixelFromRing } from '../lib/calibrants.ts';
import {
  angleDeg,
  detectorParams,
  detectorsOf,
  radiiPx,
  virtualRequest,
  withRadiiPx,
  type Detector,
  type DetectorShape,
} from '../lib/detectors.ts';
import { insidePolygon } from '../lib/roi.ts';
import { ellipseFromDrag, ellipseRadius } from '../lib/ellipse-drag.ts';
import { useSelect } from '../lib/store.ts';
import { Colourbar } from '../components/Colourbar.tsx';
import { edit, report, store } from '../state.ts';
import { placeRingLabels, type RingLabel } from '../lib/ring-labels.ts';

type Tool =
  | 'pan'
  | DetectorShape
  | 'centre'
  | 'ellipse'
  | 'mask-rect'
  | 'mask-polygon'
  | 'mask-brush'
  | 'calibrate';
interface View {
  s: number;
  x0: number;
  y0: number;
}
type Drag =
  | { kind: 'pan'; sx: number; sy: number; view: View }
  | { kind: 'draw'; det: Detector; r0: number; a0: number }
  | { kind: 'resize'; det: Detector; edge: 'inner' | 'outer' | 'start' | 'end' }
  | { kind: 'centre' }
  | { kind: 'ellipse'; R: number; at: [number, number] }
  | { kind: 'mask-rect'; c0: number; r0: number; c1: number; r1: number }
  | { kind: 'mask-brush' };

const SIZE = 480;

/** Ring labels (Q rings, calibrant d-spacings, the ellipse being dragged). */
const LABEL_FONT = '11px "DejaVu Sans", sans-serif';

export function PatternView() {
  const pattern = useSelect(store, (s) => s.pattern);
  const graph = useSelect(store, (s) => s.graph);
  const geometries = useSelect(store, (s) => s.geometry);
  const staticMask = useSelect(store, (s) => s.staticMask);
  const preview = useSelect(store, (s) => s.preview);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const roi = useSelect(store, (s) => s.roi);
  const cursor = useSelect(store, (s) => s.cursor);

  const [h, w] = pattern ? [pattern.head.shape[0], pattern.head.shape[1]] : [144, 144];
  const [log, setLog] = useState(true);
  const [cmap, setCmap] = useState<ColormapName>('magma');
  const [tool, setTool] = useState<Tool>('pan');
  const [show, setShow] = useState({ rings: true, masks: true, detectors: true, centre: true });
  const [view, setView] = useState<View>({ s: SIZE / w, x0: -0.5, y0: -0.5 });
  const [draft, setDraft] = useState<Detector | null>(null);
  const [centreDraft, setCentreDraft] = useState<[number, number] | null>(null);
  const [ellipseDraft, setEllipseDraft] = useState<{
    ellipse: [number, number];
    R: number;
    at: [number, number];
  } | null>(null);
  const [maskDraft, setMaskDraft] = useState<Uint8Array | null>(null);
  const [polygon, setPolygon] = useState<[number, number][]>([]);
  const [brush, setBrush] = useState(3);
  const [threshold, setThreshold] = useState('');
  const [calibrant, setCalibrant] = useState(-1);
  const [calRing, setCalRing] = useState(0);
  const [hover, setHover] = useState<{ c: number; r: number } | null>(null);
  const [detUnit, setDetUnit] = useState<'q' | 'px'>('q');
  const canvas = useRef<HTMLCanvasElement>(null);
  const drag = useRef<Drag | null>(null);
  /** One /api/virtual in flight, the newest detector waiting; `gen` moves on when the draft is dropped or added. */
  const liveBusy = useRef<{ inFlight: boolean; next: Detector | null; exact: boolean; gen: number }>({
    inFlight: false,
    next: null,
    exact: false,
    gen: 0,
  });
  /** Stop showing the draft's live image: an answer still on its way must not bring it back. */
  const dropLive = () => {
    liveBusy.current.gen++;
    liveBusy.current.next = null;
    store.set({ live: null });
  };
  const rectDraft = useRef<Drag | null>(null);

  useEffect(() => setView({ s: SIZE / w, x0: -0.5, y0: -0.5 }), [w, h]);

  const geometryId = useMemo(
    () =>
      graph ? (Object.keys(graph.nodes).find((k) => graph.nodes[k].op === 'calib.geometry') ?? null) : null,
    [graph],
  );
  const geomBase: GeometryInfo | null =
    (preview?.extra?.geometry as GeometryInfo | undefined) ??
    (geometryId ? geometries[geometryId] : null) ??
    null;
  // Until the resolved geometry is known, draw about the detector centre in pixels (no Q rings).
  const known = geomBase ?? {
    center: [(w - 1) / 2, (h - 1) / 2] as [number, number],
    ellipse: [1, 0] as [number, number],
    qPerPixel: Number.NaN,
  };
  const geom: GeometryInfo = {
    ...known,
    ...(centreDraft ? { center: centreDraft } : {}),
    ...(ellipseDraft ? { ellipse: ellipseDraft.ellipse } : {}),
  };
  const qKnown = Number.isFinite(geom.qPerPixel) && geom.qPerPixel > 0;
  const detectors = useMemo(() => (graph ? detectorsOf(graph) : []), [graph]);
  const automask = useMemo(() => {
    if (!preview || !graph) return null;
    const id = Object.keys(preview.nodes).find((k) => preview.nodes[k].op === 'mask.auto');
    const f = id ? preview.nodes[id].fields.mask : null;
    return f ? (ndarray(f) as Uint8Array) : null;
  }, [preview]);

  const scale: Scale = useMemo(() => {
    const [lo, hi] = pattern ? autoLimits(pattern.data, log, [0.5, 99.8]) : [1, 10];
    return { colormap: cmap, lo: log ? Math.max(lo, 0.5) : lo, hi, log };
  }, [pattern, log, cmap]);

  const image = useMemo(() => {
    if (!pattern) return null;
    const off = new OffscreenCanvas(w, h);
    off.getContext('2d')!.putImageData(toImageData(pattern.data, w, h, scale), 0, 0);
    return off;
  }, [pattern, scale]);

  const overlay = useMemo(() => {
    if (!show.masks) return null;
    const img = new ImageData(w, h);
    const d = img.data;
    let any = false;
    for (let p = 0; p < w * h; p++) {
      let rgba: number[] | null = null;
      if (staticMask?.[p]) rgba = [40, 140, 255, 120];
      if (automask && (automask[p >> 3] >> (p & 7)) & 1) rgba = [60, 230, 120, 150];
      if (maskDraft?.[p]) rgba = [0, 230, 255, 150];
      if (rgba) {
        d.set(rgba, 4 * p);
        any = true;
      }
    }
    if (!any) return null;
    const off = new OffscreenCanvas(w, h);
    off.getContext('2d')!.putImageData(img, 0, 0);
    return off;
  }, [staticMask, automask, maskDraft, show.masks, w, h]);

  const X = (c: number) => (c - view.x0) * view.s;
  const Y = (r: number) => (r - view.y0) * view.s;

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = SIZE * dpr;
    c.height = SIZE * dpr;
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#0c0d10';
    g.fillRect(0, 0, SIZE, SIZE);
    g.imageSmoothingEnabled = false;
    if (image) g.drawImage(image, X(-0.5), Y(-0.5), w * view.s, h * view.s);
    else {
      // Empty state: say what is coming instead of a black square.
      g.fillStyle = '#8a93a8';
      g.font = '13px "DejaVu Sans", sans-serif';
      g.textAlign = 'center';
      g.fillText(roi ? 'averaging the ROI’s patterns…' : 'loading the pattern…', SIZE / 2, SIZE / 2);
      g.textAlign = 'start';
    }
    if (overlay) g.drawImage(overlay, X(-0.5), Y(-0.5), w * view.s, h * view.s);
    if (geom) {
      const [cx, cy] = geom.center;
      const [ratio, ang] = geom.ellipse ?? [1, 0];
      const labels: RingLabel[] = [];
      g.font = LABEL_FONT;
      const ring = (rPx: number, colour: string, label?: string, dash?: number[], priority = 1) => {
        g.save();
        g.strokeStyle = colour;
        g.lineWidth = 1;
        if (dash) g.setLineDash(dash);
        g.beginPath();
        g.ellipse(
          X(cx),
          Y(cy),
          (rPx / Math.sqrt(ratio)) * view.s,
          rPx * Math.sqrt(ratio) * view.s,
          (ang * Math.PI) / 180,
          0,
          2 * Math.PI,
        );
        g.stroke();
        g.restore();
        if (label)
          labels.push({
            text: label,
            colour,
            cx: X(cx),
            cy: Y(cy),
            r: rPx * view.s,
            priority,
            width: g.measureText(label).width,
            height: 11,
          });
      };
      if (show.rings && qKnown) {
        const qMax = (Math.hypot(w, h) / 2) * geom.qPerPixel;
        const step = qMax > 16 ? 4 : qMax > 8 ? 2 : 1;
        for (let q = step; q < qMax; q += step)
          ring(q / geom.qPerPixel, 'rgba(180,200,255,0.55)', `${q} Å⁻¹`, [3, 4]);
      }
      if (calibrant >= 0 && qKnown) {
        calibrantRings(CALIBRANTS[calibrant]).forEach((r, i) => {
          ring(
            r.q / geom.qPerPixel,
            i === calRing ? '#ffe066' : 'rgba(255,224,102,0.6)',
            `${r.label} · ${fmt(r.q, 3)} Å⁻¹`,
            undefined,
            i === calRing ? 0 : 2,
          );
        });
      }
      if (ellipseDraft) {
        ring(
          ellipseDraft.R,
          '#ffe066',
          `b/a ${ellipseDraft.ellipse[0].toFixed(3)} · ${ellipseDraft.ellipse[1].toFixed(1)}°`,
          undefined,
          0,
        );
        g.save();
        g.fillStyle = '#ffe066';
        g.beginPath();
        g.arc(X(ellipseDraft.at[0]), Y(ellipseDraft.at[1]), 4, 0, 2 * Math.PI);
        g.fill();
        g.restore();
      }
      g.save();
      g.font = LABEL_FONT;
      for (const l of placeRingLabels(labels, SIZE, SIZE)) {
        g.fillStyle = l.colour;
        g.fillText(l.text, l.x, l.y);
      }
      g.restore();
      if (show.detectors) {
        for (const d of [
          ...detectors.filter((x) => !draft || x.node !== draft.node),
          ...(draft ? [draft] : []),
        ])
          drawDetector(g, d, cx, cy, geom.qPerPixel, X, Y, view.s, d === draft);
      }
      if (show.centre) {
        g.save();
        g.strokeStyle = centreDraft ? '#ffe066' : '#00e5ff';
        g.lineWidth = 1.5;
        g.beginPath();
        g.moveTo(X(cx) - 8, Y(cy));
        g.lineTo(X(cx) + 8, Y(cy));
        g.moveTo(X(cx), Y(cy) - 8);
        g.lineTo(X(cx), Y(cy) + 8);
        g.stroke();
        if (ratio !== 1) {
          const a = (ang * Math.PI) / 180;
          g.setLineDash([2, 3]);
          g.beginPath();
          g.moveTo(X(cx) - Math.cos(a) * 30, Y(cy) - Math.sin(a) * 30);
          g.lineTo(X(cx) + Math.cos(a) * 30, Y(cy) + Math.sin(a) * 30);
          g.stroke();
        }
        g.restore();
      }
    }
    const rd = rectDraft.current;
    if (rd && rd.kind === 'mask-rect') {
      g.strokeStyle = '#00e5ff';
      g.strokeRect(
        X(Math.min(rd.c0, rd.c1)),
        Y(Math.min(rd.r0, rd.r1)),
        Math.abs(rd.c1 - rd.c0) * view.s,
        Math.abs(rd.r1 - rd.r0) * view.s,
      );
    }
    if (polygon.length) {
      g.strokeStyle = '#00e5ff';
      g.beginPath();
      for (const [i, [c, r]] of polygon.entries()) {
        if (i) g.lineTo(X(c), Y(r));
        else g.moveTo(X(c), Y(r));
      }
      g.stroke();
    }
  });

  // ---- gestures -------------------------------------------------------------------------------
  const toDet = (e: PointerEvent | WheelEvent | MouseEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    return {
      c: (e.clientX - r.left) / view.s + view.x0,
      r: (e.clientY - r.top) / view.s + view.y0,
      sx: e.clientX - r.left,
      sy: e.clientY - r.top,
    };
  };
  const polar = (c: number, r: number) => {
    const [cx, cy] = geom.center;
    return { rad: Math.hypot(c - cx, r - cy), ang: angleDeg(c - cx, r - cy) };
  };
  /** Radius (px) with the ellipse corrected: what Q = r · qPerPixel is computed from, as in calib.geometry. */
  const ringRadius = (c: number, r: number) => {
    const [ratio, ang] = geom.ellipse ?? [1, 0];
    return ellipseRadius(c - geom.center[0], r - geom.center[1], ratio, ang);
  };

  /** Send the detector to /api/virtual; at most one request in flight, the newest waiting. */
  const sendLive = (d: Detector, exact = false) => {
    const b = liveBusy.current;
    if (b.inFlight) {
      b.next = d;
      b.exact = exact;
      return;
    }
    b.inFlight = true;
    const gen = b.gen;
    api
      .virtual({ ...virtualRequest(d), ...(exact ? { exact: true } : {}) })
      .then(
        (frame) => gen === liveBusy.current.gen && store.set({ live: { detector: d, frame } }),
        (e) => report(e, 'virtual image'),
      )
      .finally(() => {
        b.inFlight = false;
        const n = b.next;
        const ex = b.exact;
        b.next = null;
        b.exact = false;
        if (n) sendLive(n, ex);
      });
  };

  const hitDetector = (c: number, r: number): Drag | null => {
    if (!show.detectors) return null;
    const { rad, ang } = polar(c, r);
    const tol = 5 / view.s;
    for (const d of [...(draft ? [draft] : []), ...detectors]) {
      const { inner, outer } = radiiPx(d, geom.qPerPixel);
      if (d.shape === 'sector') {
        const inArc = angIn(ang, d.startDeg ?? 0, d.endDeg ?? 90);
        if (rad >= inner - tol && rad <= outer + tol) {
          if (Math.abs(angDiff(ang, d.startDeg ?? 0)) * (Math.PI / 180) * rad < tol)
            return { kind: 'resize', det: d, edge: 'start' };
          if (Math.abs(angDiff(ang, d.endDeg ?? 90)) * (Math.PI / 180) * rad < tol)
            return { kind: 'resize', det: d, edge: 'end' };
        }
        if (!inArc) continue;
      }
      if (Math.abs(rad - outer) < tol) return { kind: 'resize', det: d, edge: 'outer' };
      if (d.shape !== 'disc' && Math.abs(rad - inner) < tol) return { kind: 'resize', det: d, edge: 'inner' };
    }
    return null;
  };

  const onDown = (e: PointerEvent) => {
    const p = toDet(e);
    canvas.current!.setPointerCapture(e.pointerId);
    if (tool === 'pan') {
      const hit = readOnly ? null : hitDetector(p.c, p.r);
      drag.current = hit ?? { kind: 'pan', sx: p.sx, sy: p.sy, view };
      if (hit && hit.kind === 'resize') setDraft(hit.det);
      return;
    }
    if (tool === 'disc' || tool === 'annulus' || tool === 'sector') {
      const { rad, ang } = polar(p.c, p.r);
      const q = geom.qPerPixel;
      const det: Detector = withRadiiPx(
        {
          node: null,
          shape: tool,
          unit: qKnown ? detUnit : 'px',
          stat: tool === 'disc' ? 'sum' : 'sum',
          startDeg: Math.round(ang),
          endDeg: Math.round(ang) + 30,
          geometry: geometryId ?? undefined,
        },
        rad,
        rad + 1,
        q,
      );
      drag.current = { kind: 'draw', det, r0: rad, a0: ang };
      setDraft(det);
      return;
    }
    if (tool === 'centre') {
      drag.current = { kind: 'centre' };
      setCentreDraft([p.c, p.r]);
      return;
    }
    if (tool === 'ellipse') {
      const [cx, cy] = geom.center;
      const [ratio, ang] = geom.ellipse ?? [1, 0];
      const R = ellipseRadius(p.c - cx, p.r - cy, ratio, ang);
      if (!(R > 2)) return;
      drag.current = { kind: 'ellipse', R, at: [p.c, p.r] };
      setEllipseDraft({ ellipse: [ratio, ang], R, at: [p.c, p.r] });
      return;
    }
    if (tool === 'mask-rect') {
      rectDraft.current = drag.current = { kind: 'mask-rect', c0: p.c, r0: p.r, c1: p.c, r1: p.r };
      return;
    }
    if (tool === 'mask-brush') {
      drag.current = { kind: 'mask-brush' };
      paint(p.c, p.r);
      return;
    }
    if (tool === 'mask-polygon') {
      setPolygon([...polygon, [p.c, p.r]]);
      return;
    }
    if (tool === 'calibrate' && calibrant >= 0 && geometryId) {
      const ring = calibrantRings(CALIBRANTS[calibrant])[calRing];
      const rad = ringRadius(p.c, p.r);
      const qpp = qPerPixelFromRing(ring.d, rad);
      void edit(
        [
          { op: 'set', node: geometryId, param: 'gPerPixel', value: null },
          { op: 'set', node: geometryId, param: 'dSpacing', value: null },
          { op: 'set', node: geometryId, param: 'radiusPx', value: null },
          { op: 'set', node: geometryId, param: 'qPerPixel', value: Number(qpp.toPrecision(5)) },
        ],
        `Q scale from ${CALIBRANTS[calibrant].name.split(' ')[0]} ${ring.label} at ${rad.toFixed(1)} px`,
      );
    }
  };

  const paint = (c: number, r: number) => {
    const m = maskDraft ? maskDraft.slice() : new Uint8Array(w * h);
    for (let row = Math.max(0, Math.floor(r - brush)); row <= Math.min(h - 1, Math.ceil(r + brush)); row++)
      for (let col = Math.max(0, Math.floor(c - brush)); col <= Math.min(w - 1, Math.ceil(c + brush)); col++)
        if (Math.hypot(col - c, row - r) <= brush) m[row * w + col] = 1;
    setMaskDraft(m);
  };

  const onMove = (e: PointerEvent) => {
    const p = toDet(e);
    setHover({ c: p.c, r: p.r });
    const d = drag.current;
    if (!d) return;
    const q = geom.qPerPixel;
    if (d.kind === 'pan')
      setView({ ...d.view, x0: d.view.x0 - (p.sx - d.sx) / view.s, y0: d.view.y0 - (p.sy - d.sy) / view.s });
    else if (d.kind === 'draw') {
      const { rad, ang } = polar(p.c, p.r);
      let det = withRadiiPx(d.det, d.det.shape === 'disc' ? 0 : d.r0, rad, q);
      if (det.shape === 'sector')
        det = {
          ...det,
          startDeg: Math.round(Math.min(d.a0, ang)),
          endDeg: Math.round(Math.max(d.a0, ang, Math.min(d.a0, ang) + 5)),
        };
      setDraft(det);
      sendLive(det);
    } else if (d.kind === 'resize') {
      const cur = draft ?? d.det;
      const { rad, ang } = polar(p.c, p.r);
      const { inner, outer } = radiiPx(cur, q);
      let det = cur;
      if (d.edge === 'outer') det = withRadiiPx(cur, inner, rad, q);
      else if (d.edge === 'inner') det = withRadiiPx(cur, rad, outer, q);
      else if (d.edge === 'start') det = { ...cur, startDeg: Math.round(ang) };
      else det = { ...cur, endDeg: Math.round(ang) };
      setDraft(det);
      sendLive(det);
    } else if (d.kind === 'centre') setCentreDraft([p.c, p.r]);
    else if (d.kind === 'ellipse') {
      const [cx, cy] = geom.center;
      if (Math.hypot(p.c - cx, p.r - cy) > 2)
        setEllipseDraft({ ellipse: ellipseFromDrag(p.c - cx, p.r - cy, d.R), R: d.R, at: [p.c, p.r] });
    } else if (d.kind === 'mask-rect') {
      d.c1 = p.c;
      d.r1 = p.r;
      setHover({ c: p.c, r: p.r });
    } else if (d.kind === 'mask-brush') paint(p.c, p.r);
  };

  const onUp = () => {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    // While dragging the server may answer from its polar summary; on release ask for the exact image.
    if ((d.kind === 'draw' || d.kind === 'resize') && draft) sendLive({ ...draft }, true);
    if (d.kind === 'resize' && draft?.node) {
      const node = draft.node;
      const p = detectorParams(draft);
      void edit(
        Object.entries(p).map(([param, value]) => ({ op: 'set' as const, node, param, value })),
        `resize detector ${node}`,
      ).then(() => setDraft(null));
    } else if (d.kind === 'centre' && centreDraft && geometryId) {
      const c: [number, number] = [Number(centreDraft[0].toFixed(2)), Number(centreDraft[1].toFixed(2))];
      void edit([{ op: 'set', node: geometryId, param: 'center', value: c }], `centre → [${c}]`).then(() =>
        setCentreDraft(null),
      );
    } else if (d.kind === 'ellipse' && ellipseDraft && geometryId) {
      const e: [number, number] = [
        Number(ellipseDraft.ellipse[0].toFixed(4)),
        Number(ellipseDraft.ellipse[1].toFixed(2)),
      ];
      void edit(
        [{ op: 'set', node: geometryId, param: 'ellipse', value: e }],
        `ellipse → b/a ${e[0]}, ${e[1]}°`,
      ).then(() => setEllipseDraft(null));
    } else if (d.kind === 'mask-rect') {
      const m = maskDraft ? maskDraft.slice() : new Uint8Array(w * h);
      for (
        let row = Math.max(0, Math.round(Math.min(d.r0, d.r1)));
        row <= Math.min(h - 1, Math.round(Math.max(d.r0, d.r1)));
        row++
      )
        for (
          let col = Math.max(0, Math.round(Math.min(d.c0, d.c1)));
          col <= Math.min(w - 1, Math.round(Math.max(d.c0, d.c1)));
          col++
        )
          m[row * w + col] = 1;
      rectDraft.current = null;
      setMaskDraft(m);
    }
  };

  const closePolygon = () => {
    if (polygon.length < 3) return;
    const m = maskDraft ? maskDraft.slice() : new Uint8Array(w * h);
    for (let row = 0; row < h; row++)
      for (let col = 0; col < w; col++) if (insidePolygon(col, row, polygon)) m[row * w + col] = 1;
    setMaskDraft(m);
    setPolygon([]);
  };

  const applyThreshold = () => {
    const t = Number(threshold);
    if (!pattern || !Number.isFinite(t)) return;
    const m = maskDraft ? maskDraft.slice() : new Uint8Array(w * h);
    for (let p = 0; p < w * h; p++) if (pattern.data[p] >= t) m[p] = 1;
    setMaskDraft(m);
  };

  const saveMask = async () => {
    if (!maskDraft || !graph) return;
    const staticId = Object.keys(graph.nodes).find((k) => graph.nodes[k].op === 'mask.static');
    if (!staticId) return report(new Error('the graph has no mask.static node'), 'save mask');
    try {
      const r = await api.saveMask('studio', [h, w], maskDraft);
      if (
        await edit(
          [{ op: 'set', node: staticId, param: 'maskFile', value: r.file }],
          `mask file ${r.file} → ${staticId}`,
        )
      ) {
        setMaskDraft(null);
        store.set({ staticMask: null });
      }
    } catch (e) {
      report(e, 'save mask');
    }
  };

  const addDetector = async () => {
    if (!draft || !graph) return;
    let i = 1;
    while (graph.nodes[`vd${i}`]) i++;
    const id = `vd${i}`;
    const ok = await edit(
      [
        {
          op: 'add',
          node: id,
          def: {
            op: 'qoi.virtual',
            in: { frames: framesId(graph), ...(geometryId ? { geometry: geometryId } : {}) },
            params: detectorParams(draft),
          },
          output: true,
        },
      ],
      `add ${draft.shape} detector ${id}`,
    );
    if (ok) {
      // The detector is a node now: its live image leaves the navigator (pick vd… there to see it).
      setDraft(null);
      dropLive();
    }
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const p = toDet(e);
    const s = Math.min(40, Math.max(SIZE / w / 2, view.s * Math.exp(-e.deltaY * 0.0015)));
    setView({ s, x0: p.c - p.sx / s, y0: p.r - p.sy / s });
  };

  const hoverText = (() => {
    if (!hover || !pattern) return ' ';
    const c = Math.round(hover.c);
    const r = Math.round(hover.r);
    if (c < 0 || r < 0 || c >= w || r >= h) return ' ';
    const v = pattern.data[r * w + c];
    const rad = ringRadius(hover.c, hover.r);
    return `col ${c}, row ${r} · ${fmt(v)} counts · r ${rad.toFixed(1)} px${qKnown ? ` · Q ${fmt(rad * geom.qPerPixel, 3)} Å⁻¹ (Q = 2π/d)` : ''}`;
  })();

  const title = roi
    ? `mean of ROI (${pattern?.head.count ?? '…'} positions)`
    : `pattern at y ${cursor.iy}, x ${cursor.ix}`;
  const tools: [Tool, string, string][] = [
    ['pan', '✥', 'pan / zoom (wheel); drag a detector edge to resize it'],
    ['disc', '●', 'draw a disc detector'],
    ['annulus', '◎', 'draw an annulus detector'],
    ['sector', '◔', 'draw a sector detector'],
    ['centre', '⊕', 'drag the beam centre'],
    [
      'ellipse',
      '⬭',
      'grab a ring and drag: the ellipse (b/a, angle) follows, the ring keeps its radius; sets calib.geometry ellipse',
    ],
    ['mask-rect', '▭', 'mask: rectangle'],
    ['mask-polygon', '⬠', 'mask: polygon (click vertices, double-click closes)'],
    ['mask-brush', '✎', 'mask: brush'],
    ['calibrate', '⌾', 'click a calibrant ring to set the Q scale'],
  ];

  const fitEllipseButton = geometryId && (
    <button
      type="button"
      data-testid="fit-ellipse"
      title="calib.geometry fits the ellipse to the amorphous ring with the centre held where it is (an explicit centre locks it)"
      onClick={() => {
        const p = graph?.nodes[geometryId]?.params ?? {};
        const edits: Edit[] = [{ op: 'set', node: geometryId, param: 'ellipse', value: 'auto' }];
        if ((p.center === undefined || p.center === 'auto') && geomBase)
          edits.push({
            op: 'set',
            node: geometryId,
            param: 'center',
            value: geomBase.center.map((v) => Number(v.toFixed(2))),
          });
        void edit(edits, 'fit the ellipse (centre locked)');
      }}
    >
      fit ellipse (centre locked)
    </button>
  );

  return (
    <section
      class="panel"
      data-testid="pattern"
      data-position={
        pattern && pattern.head.iy !== undefined ? `${pattern.head.iy},${pattern.head.ix}` : roi ? 'roi' : ''
      }
    >
      <header>
        <h2>Pattern</h2>
        <span class="sub">{title}</span>
        <span class="spacer" />
        <label>
          <input
            type="checkbox"
            checked={log}
            onChange={(e) => setLog((e.target as HTMLInputElement).checked)}
          />{' '}
          log
        </label>
        <select
          value={cmap}
          onChange={(e) => setCmap((e.target as HTMLSelectElement).value as ColormapName)}
          title="colormap"
        >
          {['magma', 'viridis', 'gray', 'cividis'].map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
      </header>
      <div class="toolbar">
        {tools.map(([t, icon, tip]) => (
          <button
            type="button"
            class={tool === t ? 'tool on' : 'tool'}
            title={tip}
            data-tool={t}
            disabled={readOnly && t !== 'pan'}
            onClick={() => setTool(t)}
          >
            {icon}
          </button>
        ))}
        <span class="sep" />
        {(['rings', 'masks', 'detectors', 'centre'] as const).map((k) => (
          <label class="chk">
            <input
              type="checkbox"
              checked={show[k]}
              onChange={(e) => setShow({ ...show, [k]: (e.target as HTMLInputElement).checked })}
            />
            {k}
          </label>
        ))}
        <button
          type="button"
          class="tool"
          title="reset zoom"
          onClick={() => setView({ s: SIZE / w, x0: -0.5, y0: -0.5 })}
        >
          1:1
        </button>
      </div>
      <canvas
        ref={canvas}
        class="pattern-canvas"
        data-testid="pattern-canvas"
        style={{ width: `${SIZE}px`, height: `${SIZE}px` }}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerLeave={() => setHover(null)}
        onDblClick={() => (tool === 'mask-polygon' ? closePolygon() : null)}
        onWheel={onWheel}
      />
      <div class="readout">{hoverText}</div>
      <Colourbar scale={scale} unit="counts" width={SIZE} />
      {(tool === 'disc' || tool === 'annulus' || tool === 'sector' || draft) && (
        <div class="drawer">
          radii in
          <select
            value={detUnit}
            onChange={(e) => setDetUnit((e.target as HTMLSelectElement).value as 'q' | 'px')}
          >
            <option value="q">Q (Å⁻¹)</option>
            <option value="px">px</option>
          </select>
          {draft && (
            <>
              <span class="mono">{describe(draft)}</span>
              {!draft.node && (
                <button type="button" data-testid="add-detector" onClick={addDetector}>
                  add as qoi.virtual node
                </button>
              )}
              <button
                type="button"
                onClick={() => {
                  setDraft(null);
                  dropLive();
                }}
              >
                discard
              </button>
            </>
          )}
        </div>
      )}
      {tool.startsWith('mask') && (
        <div class="drawer">
          brush{' '}
          <input
            type="number"
            min={1}
            max={20}
            value={brush}
            onInput={(e) => setBrush(Number((e.target as HTMLInputElement).value))}
          />{' '}
          px · threshold ≥
          <input
            type="number"
            value={threshold}
            placeholder="counts"
            onInput={(e) => setThreshold((e.target as HTMLInputElement).value)}
          />
          <button type="button" onClick={applyThreshold}>
            mask
          </button>
          <span class="spacer" />
          <button type="button" disabled={!maskDraft} onClick={() => setMaskDraft(null)}>
            clear
          </button>
          <button type="button" data-testid="save-mask" disabled={!maskDraft || readOnly} onClick={saveMask}>
            save mask → mask.static
          </button>
        </div>
      )}
      {(tool === 'calibrate' || calibrant >= 0) && (
        <div class="drawer">
          calibrant
          <select
            data-testid="calibrant"
            value={calibrant}
            onChange={(e) => setCalibrant(Number((e.target as HTMLSelectElement).value))}
          >
            <option value={-1}>none</option>
            {CALIBRANTS.map((c, i) => (
              <option value={i}>{c.name}</option>
            ))}
          </select>
          {calibrant >= 0 && (
            <>
              ring
              <select
                data-testid="calibrant-ring"
                value={calRing}
                onChange={(e) => setCalRing(Number((e.target as HTMLSelectElement).value))}
              >
                {calibrantRings(CALIBRANTS[calibrant]).map((r, i) => (
                  <option value={i}>
                    {r.label} d {r.d.toFixed(4)} Å
                  </option>
                ))}
              </select>
              <span class="muted">click that ring on the pattern</span>
            </>
          )}
          {geometryId && fitEllipseButton}
        </div>
      )}
      {tool === 'ellipse' && geometryId && (
        <div class="drawer" data-testid="ellipse-drawer">
          <span class="mono">
            ellipse b/a {fmt(geom.ellipse?.[0] ?? 1, 4)} · {fmt(geom.ellipse?.[1] ?? 0, 3)}° · centre [
            {geom.center.map((v) => v.toFixed(2)).join(', ')}] px
          </span>
          <span class="muted">grab a ring, drag along its major axis</span>
          <span class="spacer" />
          {fitEllipseButton}
          <button
            type="button"
            title="no elliptical distortion: ellipse none"
            onClick={() =>
              void edit([{ op: 'set', node: geometryId, param: 'ellipse', value: 'none' }], 'ellipse → none')
            }
          >
            circular
          </button>
        </div>
      )}
      <div class="legend">
        <span class="sw" style={{ background: 'rgba(40,140,255,0.7)' }} /> static mask{' '}
        <span class="sw" style={{ background: 'rgba(60,230,120,0.8)' }} /> automask (this position)
        <span class="sw" style={{ background: 'rgba(0,230,255,0.8)' }} /> mask being edited{' '}
        <span class="sw ring" /> Q rings
      </div>
    </section>
  );
}

function framesId(g: { nodes: Record<string, { op: string }> }) {
  return Object.keys(g.nodes).find((k) => g.nodes[k].op === 'source.frames') ?? 'frames';
}

function describe(d: Detector): string {
  const u = d.unit === 'q' ? ' Å⁻¹' : ' px';
  const r = (v?: number) => fmt(v ?? NaN, 3);
  if (d.shape === 'disc') return `${d.node ?? 'new'} disc r ${r(d.radius)}${u}`;
  const base = `${d.node ?? 'new'} ${d.shape} ${r(d.inner)}–${r(d.outer)}${u}`;
  return d.shape === 'sector'
    ? `${base}, ${Math.round(d.startDeg ?? 0)}°–${Math.round(d.endDeg ?? 0)}°`
    : base;
}

function angDiff(a: number, b: number) {
  return ((a - b + 540) % 360) - 180;
}
function angIn(a: number, s: number, e: number) {
  const ss = ((s % 360) + 360) % 360;
  const ee = ((e % 360) + 360) % 360;
  return ss <= ee ? a >= ss && a <= ee : a >= ss || a <= ee;
}

function drawDetector(
  g: CanvasRenderingContext2D,
  d: Detector,
  cx: number,
  cy: number,
  qpp: number,
  X: (c: number) => number,
  Y: (r: number) => number,
  s: number,
  active: boolean,
) {
  const { inner, outer } = radiiPx(d, qpp);
  g.save();
  g.strokeStyle = active ? '#ffe066' : '#ff5ec4';
  g.fillStyle = active ? 'rgba(255,224,102,0.16)' : 'rgba(255,94,196,0.10)';
  g.lineWidth = active ? 2 : 1.25;
  g.beginPath();
  if (d.shape === 'sector') {
    const a0 = (-(d.startDeg ?? 0) * Math.PI) / 180;
    const a1 = (-(d.endDeg ?? 90) * Math.PI) / 180;
    g.arc(X(cx), Y(cy), outer * s, a0, a1, true);
    g.arc(X(cx), Y(cy), inner * s, a1, a0, false);
    g.closePath();
  } else {
    g.arc(X(cx), Y(cy), outer * s, 0, 2 * Math.PI);
    if (d.shape === 'annulus') {
      g.moveTo(X(cx) + inner * s, Y(cy));
      g.arc(X(cx), Y(cy), inner * s, 0, 2 * Math.PI, true);
    }
  }
  g.fill('evenodd');
  g.stroke();
  if (d.node) {
    g.fillStyle = g.strokeStyle;
    g.font = '11px "DejaVu Sans", sans-serif';
    g.fillText(d.node, X(cx) + outer * s * 0.72 + 2, Y(cy) + outer * s * 0.72 + 10);
  }
  g.restore();
}
