/**
 * Layered drawing of the analysis graph: a node sits one layer right of its deepest input, and a
 * few barycentre sweeps order each layer to reduce crossings. O(sweeps · edges).
 */
import type { Graph } from './api.ts';

export interface DagBox {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface DagDrawing {
  boxes: Map<string, DagBox>;
  edges: { from: string; to: string; port: string; field?: string }[];
  width: number;
  height: number;
}

export const refNodeId = (ref: string, g: Graph) => (g.nodes[ref] ? ref : ref.split('.')[0]);

export function layoutGraph(g: Graph, box = { w: 118, h: 34, gapX: 36, gapY: 10 }): DagDrawing {
  const ids = Object.keys(g.nodes);
  const edges: DagDrawing['edges'] = [];
  for (const id of ids)
    for (const [port, ref] of Object.entries(g.nodes[id].in ?? {})) {
      const from = refNodeId(ref, g);
      if (g.nodes[from]) edges.push({ from, to: id, port, field: ref === from ? undefined : ref.slice(from.length + 1) });
    }
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) preds.get(e.to)!.push(e.from);
  const layer = new Map<string, number>();
  const seen = new Set<string>();
  const depth = (id: string): number => {
    const k = layer.get(id);
    if (k !== undefined) return k;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...preds.get(id)!.map(depth)) + 1;
    layer.set(id, d);
    return d;
  };
  ids.forEach(depth);
  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  for (let sweep = 0; sweep < 4; sweep++)
    for (let l = 1; l < layers.length; l++) {
      if (!layers[l - 1] || !layers[l]) continue;
      const pos = new Map(layers[l - 1].map((id, i) => [id, i]));
      const bary = (id: string) => {
        const ps = preds.get(id)!.filter((p) => pos.has(p));
        return ps.length ? ps.reduce((s, p) => s + pos.get(p)!, 0) / ps.length : layers[l].indexOf(id);
      };
      const b = new Map(layers[l].map((id) => [id, bary(id)]));
      layers[l] = [...layers[l]].sort((a, c) => b.get(a)! - b.get(c)!);
    }
  const rows = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const height = rows * (box.h + box.gapY) + box.gapY;
  const boxes = new Map<string, DagBox>();
  layers.forEach((ls, l) => {
    if (!ls) return;
    const off = (height - ls.length * (box.h + box.gapY) - box.gapY) / 2;
    ls.forEach((id, i) => boxes.set(id, { id, x: 8 + l * (box.w + box.gapX), y: off + box.gapY + i * (box.h + box.gapY), w: box.w, h: box.h }));
  });
  return { boxes, edges, width: 16 + layers.length * (box.w + box.gapX) - box.gapX, height };
}
