/**
 * Writing output nodes into the run directory (CONTRACT.md): one `NAME.npy` per single-field node,
 * `NAME.FIELD.npy` otherwise, float32; per-position results reshaped to [ny, nx, ...]; each curve's
 * x axis beside it as `….axis.npy`.
 *
 * Per-position (frame) outputs are streamed: each chunk's rows go to every field's file and the
 * chunk is dropped, so writing a [38148, 1001] G(r) holds one chunk, not the whole stack. The
 * bytes equal those of writing the concatenated value at once (writeNodeOutputs).
 *
 * A node whose value was written before (same value hash, scan shape and writer code) is not
 * read or written again: its files are hard links into the output store beside the cache
 * (cache/output-store.ts), so an edit's run directory costs only what changed.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputStore } from '../cache/output-store.ts';
import { moduleCodeHash, sourceFileOf } from '../engine/code-hash.ts';
import { NpyStreamWriter, writeNpy } from '../formats/npy.ts';
import { sizeOf, toFloat32 } from '../engine/ndarray.ts';
import type { Executor } from '../engine/executor.ts';
import {
  resultScope,
  type ChunkInfo,
  type DType,
  type NDArray,
  type ScanShape,
  type Value,
} from '../engine/types.ts';
import type { WrittenOutput } from '../engine/run-types.ts';

export interface OutputSource {
  node: string;
  op: string;
  scope: 'frame' | 'dataset';
  key: string;
  valueHash: string;
}

function classify(shape: number[], scan: ScanShape): WrittenOutput['kind'] {
  if (shape[0] === scan.ny && shape[1] === scan.nx) {
    if (shape.length === 2) return 'map';
    if (shape.length === 3) return 'maps';
  }
  return 'array';
}

/** How one field is written: file name, shape on disk, kind and dtype (float32 unless packed or huge integers). */
interface FieldPlan {
  field: string;
  base: string;
  shape: number[];
  kind: WrittenOutput['kind'];
  dtype: DType;
}

function planField(
  src: OutputSource,
  value: Value,
  f: string,
  shape: number[],
  dtype: DType,
  scan: ScanShape,
): FieldPlan {
  const names = Object.keys(value.fields);
  const packed = value.meta?.packed === 'bits';
  if (src.scope === 'frame' && shape[0] === scan.ny * scan.nx) shape = [scan.ny, scan.nx, ...shape.slice(1)];
  let kind = classify(shape, scan);
  if (src.scope === 'frame' && shape.length === 3) kind = 'curves';
  const keep = packed || (dtype !== 'float64' && dtype !== 'float32' && sizeOf(shape) > 1 << 24);
  return {
    field: f,
    base: names.length === 1 ? src.node : `${src.node}.${f}`,
    shape,
    kind,
    dtype: keep ? dtype : 'float32',
  };
}

/** The manifest entry of a written field, and its axis file (from the value's axes and meta). */
function describe(runDir: string, src: OutputSource, value: Value, p: FieldPlan): WrittenOutput {
  const names = Object.keys(value.fields);
  const axisOf = (value.meta?.axisOf ?? {}) as Record<string, string>;
  const units = (value.meta?.units ?? {}) as Record<string, string>;
  const w: WrittenOutput = {
    node: src.node,
    op: src.op,
    field: p.field,
    file: `${p.base}.npy`,
    kind: p.kind,
    shape: p.shape,
    key: src.key,
    valueHash: src.valueHash,
  };
  if (units[p.field]) w.unit = units[p.field];
  const axisName =
    axisOf[p.field] ??
    (names.length === 1 && value.axes && Object.keys(value.axes).length === 1
      ? Object.keys(value.axes)[0]
      : undefined);
  const axis = axisName ? value.axes?.[axisName] : undefined;
  if (axis && axisName) {
    const axisFile = `${p.base}.axis.npy`;
    writeNpy(path.join(runDir, axisFile), toFloat32(axis));
    w.axisFile = axisFile;
    w.axisName = axisName;
  }
  return w;
}

function converted(a: NDArray, dtype: DType): NDArray {
  return dtype === 'float32' ? toFloat32(a) : a;
}

/** A whole value (dataset-level nodes, or a frame node already concatenated over its chunks). */
export function writeNodeOutputs(
  runDir: string,
  src: OutputSource & { value: Value },
  scan: ScanShape,
): WrittenOutput[] {
  const { value } = src;
  const written: WrittenOutput[] = [];
  for (const f of Object.keys(value.fields)) {
    const a = value.fields[f];
    const p = planField(src, value, f, a.shape, a.dtype, scan);
    writeNpy(path.join(runDir, `${p.base}.npy`), { ...converted(a, p.dtype), shape: p.shape });
    written.push(describe(runDir, src, value, p));
  }
  return written;
}

/**
 * A frame node, chunk by chunk. Every field of every chunk must have the chunk's positions as its
 * first axis and the first chunk's dtype and inner shape; otherwise (null) nothing is left behind
 * and the caller writes the concatenated value with writeNodeOutputs.
 */
export async function streamFrameOutputs(
  runDir: string,
  src: OutputSource,
  chunks: ChunkInfo[],
  read: (i: number) => Promise<Value>,
  scan: ScanShape,
): Promise<WrittenOutput[] | null> {
  const positions = scan.ny * scan.nx;
  const first = await read(0);
  const names = Object.keys(first.fields);
  const fits = (v: Value, c: ChunkInfo) =>
    Object.keys(v.fields).length === names.length &&
    names.every((f) => {
      const a = v.fields[f];
      const a0 = first.fields[f];
      return (
        a &&
        a.dtype === a0.dtype &&
        a.shape[0] === c.count &&
        a.shape.length === a0.shape.length &&
        a.shape.every((s, d) => d === 0 || s === a0.shape[d])
      );
    });
  if (chunks.reduce((s, c) => s + c.count, 0) !== positions || !fits(first, chunks[0])) return null;
  const plans = names.map((f) =>
    planField(src, first, f, [positions, ...first.fields[f].shape.slice(1)], first.fields[f].dtype, scan),
  );
  const writers: NpyStreamWriter[] = [];
  try {
    // planField shaped each file [ny, nx, ...]: rows are addressed by position over the first two axes.
    for (const p of plans)
      writers.push(new NpyStreamWriter(path.join(runDir, `${p.base}.npy`), p.dtype, p.shape, 2));
    for (let i = 0; i < chunks.length; i++) {
      const v = i === 0 ? first : await read(i);
      if (!fits(v, chunks[i])) {
        for (const w of writers) w.abort();
        return null;
      }
      plans.forEach((p, k) => {
        writers[k].writeRows(chunks[i].start, converted(v.fields[p.field], p.dtype).data);
      });
    }
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  for (const w of writers) w.close();
  return plans.map((p) => describe(runDir, src, first, p));
}

/** How a node's written files are described in the output store (everything but its names). */
interface StoredOutput {
  field: string;
  /** File named after the node alone (single-field value) or NODE.FIELD. */
  single: boolean;
  kind: WrittenOutput['kind'];
  shape: number[];
  unit?: string;
  axisName?: string;
  axis: boolean;
}

let writerHash: string | undefined;
/** The code that turns a value into files: this module and what it imports (as sources, so dist and tsx agree). */
function writerCode(): string {
  return (writerHash ??= moduleCodeHash(sourceFileOf(fileURLToPath(import.meta.url))));
}

/** The store id of a node's files: what fixes their bytes. */
export function outputStoreId(valueHash: string, scan: ScanShape): string {
  return createHash('sha256')
    .update(JSON.stringify(['snem-output', writerCode(), valueHash, scan.ny, scan.nx]))
    .digest('hex')
    .slice(0, 32);
}

/** Files of one node, in store order: each field's data, then its axis if it has one. */
function filesOf(written: WrittenOutput[]): string[] {
  return written.flatMap((w) => (w.axisFile ? [w.file, w.axisFile] : [w.file]));
}

/** The node's files linked from the store, described as a fresh write would; null if not stored. */
function placeStored(
  store: OutputStore,
  id: string,
  runDir: string,
  src: OutputSource,
): WrittenOutput[] | null {
  const hit = store.lookup<StoredOutput[]>(id);
  if (!hit) return null;
  const written = hit.meta.map((s) => {
    const base = s.single ? src.node : `${src.node}.${s.field}`;
    const w: WrittenOutput = {
      node: src.node,
      op: src.op,
      field: s.field,
      file: `${base}.npy`,
      kind: s.kind,
      shape: s.shape,
      key: src.key,
      valueHash: src.valueHash,
    };
    if (s.unit) w.unit = s.unit;
    if (s.axis) {
      w.axisFile = `${base}.axis.npy`;
      w.axisName = s.axisName;
    }
    return w;
  });
  const files = filesOf(written);
  if (files.length !== hit.files) return null;
  files.forEach((f, i) => {
    store.place(id, i, path.join(runDir, f));
  });
  return written;
}

function storeWritten(
  store: OutputStore,
  id: string,
  runDir: string,
  src: OutputSource,
  written: WrittenOutput[],
): void {
  const meta: StoredOutput[] = written.map((w) => ({
    field: w.field,
    single: w.file === `${src.node}.npy`,
    kind: w.kind,
    shape: w.shape,
    ...(w.unit ? { unit: w.unit } : {}),
    ...(w.axisName ? { axisName: w.axisName } : {}),
    axis: !!w.axisFile,
  }));
  store.record(
    id,
    filesOf(written).map((f) => path.join(runDir, f)),
    meta,
  );
}

/**
 * Write every output node of a finished execution into the run directory (frame nodes streamed
 * chunk by chunk); with a store, unchanged outputs are linked from it and new ones added to it.
 */
export async function writeRunOutputs(
  runDir: string,
  exec: Executor,
  store: OutputStore | null = null,
): Promise<WrittenOutput[]> {
  const { graph, scan } = exec.env;
  const outputs: WrittenOutput[] = [];
  for (const node of graph.outputs) {
    const n = graph.nodes.get(node)!;
    const s = exec.states.get(node)!;
    const src: OutputSource = {
      node,
      op: n.op.name,
      scope: resultScope(n.op),
      key: s.key,
      valueHash: s.hashes.hash,
    };
    const id = store ? outputStoreId(src.valueHash, scan) : '';
    const stored = store ? placeStored(store, id, runDir, src) : null;
    if (stored) {
      outputs.push(...stored);
      continue;
    }
    const input = s.chunks ? exec.chunkedInput(node, undefined) : null;
    const streamed = input
      ? await streamFrameOutputs(runDir, src, exec.chunks, (i) => input.chunk(i), scan)
      : null;
    const written = streamed ?? writeNodeOutputs(runDir, { ...src, value: await exec.nodeValue(node) }, scan);
    if (store) storeWritten(store, id, runDir, src, written);
    outputs.push(...written);
  }
  return outputs;
}
