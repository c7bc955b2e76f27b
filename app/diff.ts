/**
 * `snem diff A B`: two graphs → which nodes and params changed and what that recomputes; two run
 * directories → the same for their graphs, plus per output file the max |Δ|, RMS of Δ, Pearson r
 * and a difference array written as `DIFF_DIR/NAME.diff.npy`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../engine/errors.ts';
import { readGraphFile, type GraphDoc } from '../engine/graph.ts';
import { readNpy, writeNpy } from '../formats/npy.ts';
import { f32 } from '../engine/ndarray.ts';
import { pearson } from '../nodes/map/pearson-core.ts';
import type { Manifest } from '../engine/run-types.ts';

export interface GraphChange {
  node: string;
  change: 'added' | 'removed' | 'op' | 'params' | 'inputs';
  detail: string;
}

export interface OutputDiff {
  file: string;
  shape: number[];
  maxAbs: number;
  rms: number;
  pearson: number;
  diffFile?: string;
  note?: string;
}

export function diffGraphs(a: GraphDoc, b: GraphDoc): { changes: GraphChange[]; recomputes: string[] } {
  const changes: GraphChange[] = [];
  const changed = new Set<string>();
  for (const id of Object.keys(a.nodes))
    if (!(id in b.nodes)) changes.push({ node: id, change: 'removed', detail: a.nodes[id].op });
  for (const [id, nb] of Object.entries(b.nodes)) {
    const na = a.nodes[id];
    if (!na) {
      changes.push({ node: id, change: 'added', detail: nb.op });
      changed.add(id);
      continue;
    }
    if (na.op !== nb.op) {
      changes.push({ node: id, change: 'op', detail: `${na.op} → ${nb.op}` });
      changed.add(id);
    }
    const pa = na.params ?? {};
    const pb = nb.params ?? {};
    for (const k of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
      if (JSON.stringify(pa[k]) !== JSON.stringify(pb[k])) {
        changes.push({
          node: id,
          change: 'params',
          detail: `${k}: ${JSON.stringify(pa[k])} → ${JSON.stringify(pb[k])}`,
        });
        changed.add(id);
      }
    }
    if (JSON.stringify(sortObj(na.in ?? {})) !== JSON.stringify(sortObj(nb.in ?? {}))) {
      changes.push({
        node: id,
        change: 'inputs',
        detail: `${JSON.stringify(na.in ?? {})} → ${JSON.stringify(nb.in ?? {})}`,
      });
      changed.add(id);
    }
  }
  if (JSON.stringify(a.dataset ?? null) !== JSON.stringify(b.dataset ?? null)) {
    changes.push({
      node: '(dataset)',
      change: 'inputs',
      detail: `${JSON.stringify(a.dataset ?? null)} → ${JSON.stringify(b.dataset ?? null)}`,
    });
    for (const [id, n] of Object.entries(b.nodes))
      if (!n.in || Object.keys(n.in).length === 0) changed.add(id);
  }
  // Everything downstream of a changed node may recompute (early cutoff can still spare some).
  const downstream = new Set(changed);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, n] of Object.entries(b.nodes)) {
      if (downstream.has(id)) continue;
      if (Object.values(n.in ?? {}).some((ref) => downstream.has(ref.split('.')[0]))) {
        downstream.add(id);
        grew = true;
      }
    }
  }
  return { changes, recomputes: [...downstream] };
}

function sortObj(o: Record<string, string>) {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
}

function readManifest(dir: string): Manifest {
  const f = path.join(dir, 'manifest.json');
  if (!fs.existsSync(f)) throw new UserError(`${dir}: not a run directory (no manifest.json)`);
  return JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest;
}

export function diffOutputs(dirA: string, dirB: string, outDir?: string): OutputDiff[] {
  const ma = readManifest(dirA);
  const mb = readManifest(dirB);
  const filesA = new Map(ma.outputs.map((o) => [o.file, o]));
  const res: OutputDiff[] = [];
  for (const ob of mb.outputs) {
    if (!filesA.has(ob.file)) {
      res.push({
        file: ob.file,
        shape: ob.shape,
        maxAbs: NaN,
        rms: NaN,
        pearson: NaN,
        note: `only in ${dirB}`,
      });
      continue;
    }
    const x = readNpy(path.join(dirA, ob.file));
    const y = readNpy(path.join(dirB, ob.file));
    if (x.data.length !== y.data.length) {
      res.push({
        file: ob.file,
        shape: ob.shape,
        maxAbs: NaN,
        rms: NaN,
        pearson: NaN,
        note: `shapes differ: [${x.shape}] vs [${y.shape}]`,
      });
      continue;
    }
    const d = f32(y.shape);
    let maxAbs = 0;
    let ss = 0;
    let n = 0;
    for (let i = 0; i < d.data.length; i++) {
      const a = Number(x.data[i]);
      const b = Number(y.data[i]);
      d.data[i] = b - a;
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      const v = b - a;
      maxAbs = Math.max(maxAbs, Math.abs(v));
      ss += v * v;
      n++;
    }
    const r = pearson(x.data as ArrayLike<number>, y.data as ArrayLike<number>);
    const entry: OutputDiff = {
      file: ob.file,
      shape: ob.shape,
      maxAbs,
      rms: n ? Math.sqrt(ss / n) : NaN,
      pearson: r,
    };
    if (outDir && ob.kind !== 'array') {
      fs.mkdirSync(outDir, { recursive: true });
      entry.diffFile = path.join(outDir, ob.file.replace(/\.npy$/, '.diff.npy'));
      writeNpy(entry.diffFile, d);
    }
    res.push(entry);
  }
  for (const oa of ma.outputs)
    if (!mb.outputs.some((o) => o.file === oa.file))
      res.push({
        file: oa.file,
        shape: oa.shape,
        maxAbs: NaN,
        rms: NaN,
        pearson: NaN,
        note: `only in ${dirA}`,
      });
  return res;
}

/** A graph from a graph file or a run directory's manifest. */
export function graphOf(p: string): { doc: GraphDoc; isRun: boolean } {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory())
    return { doc: readManifest(p).graph as unknown as GraphDoc, isRun: true };
  return { doc: readGraphFile(p), isRun: false };
}
