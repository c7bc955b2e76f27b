/**
 * Layered drawing of the analysis graph, left to right: the layers of viz/dag-layers.ts (the
 * report's drawing uses the same), boxes placed and centred per layer.
 */
import type { Graph } from './api.ts';
import { layerDag } from '../../../../viz/dag-layers.ts';

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
      if (g.nodes[from])
        edges.push({ from, to: id, port, field: ref === from ? undefined : ref.slice(from.length + 1) });
    }
  const layers = layerDag(ids, edges);
  const rows = Math.max(1, ...layers.map((l) => l.length));
  const height = rows * (box.h + box.gapY) + box.gapY;
  const boxes = new Map<string, DagBox>();
  layers.forEach((ls, l) => {
    const off = (height - ls.length * (box.h + box.gapY) - box.gapY) / 2;
    ls.forEach((id, i) => {
      boxes.set(id, {
        id,
        x: 8 + l * (box.w + box.gapX),
        y: off + box.gapY + i * (box.h + box.gapY),
        w: box.w,
        h: box.h,
      });
    });
  });
  return { boxes, edges, width: 16 + layers.length * (box.w + box.gapX) - box.gapX, height };
}
