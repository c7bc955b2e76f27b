/**
 * Layers for drawing a DAG left-to-right or top-to-bottom: longest-path layering (a node sits one
 * layer past its deepest input), then a few barycentre sweeps that order each layer by the mean
 * position of its inputs in the layer before, to reduce crossings. O(sweeps · edges). Shared by the
 * report's SVG and the studio's graph view. A cycle (never in a valid graph) does not loop; empty
 * layers are dropped.
 */
export function layerDag(ids: readonly string[], edges: readonly { from: string; to: string }[]): string[][] {
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) preds.get(e.to)?.push(e.from);
  const layerOf = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layerOf.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...preds.get(id)!.map(depth)) + 1;
    layerOf.set(id, d);
    return d;
  };
  ids.forEach(depth);
  const sparse: string[][] = [];
  for (const id of ids) (sparse[layerOf.get(id)!] ??= []).push(id);
  const layers = sparse.filter(Boolean);
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let l = 1; l < layers.length; l++) {
      const pos = new Map(layers[l - 1].map((id, i) => [id, i]));
      const bary = (id: string) => {
        const ps = preds.get(id)!.filter((p) => pos.has(p));
        return ps.length ? ps.reduce((s, p) => s + pos.get(p)!, 0) / ps.length : layers[l].indexOf(id);
      };
      const b = new Map(layers[l].map((id) => [id, bary(id)]));
      layers[l] = [...layers[l]].sort((a, c) => b.get(a)! - b.get(c)!);
    }
  }
  return layers;
}
