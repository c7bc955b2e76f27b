/**
 * The run's graph as an SVG drawing: longest-path layering (a node sits one row below its deepest
 * input), a few barycentre sweeps to reduce crossings, boxes coloured by cache status.
 */
import type { Manifest } from '../engine/run-types.ts';
import { escapeXml, FONT_FAMILY, textWidth } from '../viz/raster.ts';
import { refNode } from './run-data.ts';
import { layerDag } from '../viz/dag-layers.ts';

export interface DagLayout {
  layers: string[][];
  edges: { from: string; to: string; port: string }[];
}

export function layoutDag(m: Manifest): DagLayout {
  const ids = Object.keys(m.nodes);
  const edges: DagLayout['edges'] = [];
  for (const id of ids) {
    for (const [port, ref] of Object.entries(m.nodes[id].inputNodes ?? {})) {
      const from = refNode(ref, m).node;
      if (m.nodes[from]) edges.push({ from, to: id, port });
    }
  }
  return { layers: layerDag(ids, edges), edges };
}

const STATUS_FILL: Record<string, string> = { computed: '#dbeafe', cached: '#dcfce7', cutoff: '#fef3c7' };
const BOX_H = 46;
const ROW_GAP = 40;
const COL_GAP = 22;

export function dagSvg(m: Manifest): string {
  const { layers, edges } = layoutDag(m);
  const outputs = new Set(m.outputs.map((o) => o.node));
  const boxW = (id: string) => Math.max(110, textWidth(id, 12) + 20, textWidth(m.nodes[id].op, 10) + 20);
  const rowW = layers.map((row) => row.reduce((s, id) => s + boxW(id), 0) + COL_GAP * (row.length - 1));
  const width = Math.ceil(Math.max(300, ...rowW) + 20);
  const height = layers.length * (BOX_H + ROW_GAP) - ROW_GAP + 20 + 26;
  const at = new Map<string, { x: number; y: number; w: number }>();
  layers.forEach((row, l) => {
    let x = 10 + (width - 20 - rowW[l]) / 2;
    for (const id of row) {
      const w = boxW(id);
      at.set(id, { x, y: 10 + l * (BOX_H + ROW_GAP), w });
      x += w + COL_GAP;
    }
  });
  const parts: string[] = [];
  parts.push(
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>`,
  );
  for (const e of edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const x1 = a.x + a.w / 2;
    const y1 = a.y + BOX_H;
    const x2 = b.x + b.w / 2;
    const y2 = b.y;
    const my = (y1 + y2) / 2;
    parts.push(
      `<path d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 2}" fill="none" stroke="#888" stroke-width="1.3" marker-end="url(#arrow)"><title>${escapeXml(`${e.from} → ${e.to}.${e.port}`)}</title></path>`,
    );
  }
  for (const [id, p] of at) {
    const n = m.nodes[id];
    const fill = STATUS_FILL[n.status] ?? '#eee';
    const stroke = outputs.has(id) ? '#111' : '#888';
    const sw = outputs.has(id) ? 2 : 1;
    const chunks = n.chunks ? ` · ${n.chunks.cached}/${n.chunks.total} chunks cached` : '';
    parts.push(
      `<g class="dag-node" data-node="${escapeXml(id)}"><title>${escapeXml(`${id} (${n.op} v${n.opVersion}) ${n.status}, ${n.seconds.toFixed(3)} s${chunks}\nkey ${n.key}\nparams ${JSON.stringify(n.params)}`)}</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${BOX_H}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>` +
        `<text x="${p.x + p.w / 2}" y="${p.y + 18}" text-anchor="middle" font-size="12" font-weight="bold" fill="#111">${escapeXml(id)}</text>` +
        `<text x="${p.x + p.w / 2}" y="${p.y + 32}" text-anchor="middle" font-size="10" fill="#444">${escapeXml(n.op)}</text>` +
        `<text x="${p.x + p.w / 2}" y="${p.y + 42}" text-anchor="middle" font-size="9" fill="#666">${escapeXml(`${n.status} · ${n.seconds.toFixed(2)} s`)}</text></g>`,
    );
  }
  const ly = height - 14;
  let lx = 10;
  for (const [status, fill] of Object.entries(STATUS_FILL)) {
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="12" height="12" rx="2" fill="${fill}" stroke="#888"/><text x="${lx + 16}" y="${ly + 1}" font-size="10" fill="#333">${status}</text>`,
    );
    lx += 90;
  }
  parts.push(
    `<rect x="${lx}" y="${ly - 9}" width="12" height="12" rx="2" fill="#fff" stroke="#111" stroke-width="2"/><text x="${lx + 16}" y="${ly + 1}" font-size="10" fill="#333">output (written)</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY.replace(/"/g, "'")}">${parts.join('')}</svg>`;
}
