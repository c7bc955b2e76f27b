/**
 * Files the page asks for or hands over: a mask image saved for `mask.static` (read by content),
 * exports of what is shown (float TIFF, CSV, npy as `snem export` writes them, with provenance;
 * the run's PNG figures), and the difference map of two runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportRun, type ExportFormat } from '../../report/exports/export-node.ts';
import { readNpy, writeNpy } from '../../formats/npy.ts';
import { readManifest } from '../../report/run-data.ts';
import { HttpError } from './http-errors.ts';
import type { NDArray } from '../../engine/types.ts';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Decode an NDArrayJson body field and check it is a uint8 mask of the detector's shape. */
export function saveMask(
  body: Record<string, unknown>,
  frameShape: number[] | null,
  datasetPath: string | null,
): { file: string; path: string; excluded: number } {
  if (!frameShape || !datasetPath)
    throw new HttpError(409, 'this session has no 4D dataset to make a detector mask for');
  const name = body.name;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new HttpError(400, "mask: 'name' must be 1–64 letters, digits, '_' or '-'", { field: 'name' });
  const m = body.mask as { dtype?: unknown; shape?: unknown; b64?: unknown } | undefined;
  const [h, w] = frameShape;
  if (
    m?.dtype !== 'uint8' ||
    !Array.isArray(m.shape) ||
    m.shape[0] !== h ||
    m.shape[1] !== w ||
    typeof m.b64 !== 'string'
  ) {
    throw new HttpError(400, `mask: expected {dtype: "uint8", shape: [${h}, ${w}], b64} (1 = excluded)`, {
      field: 'mask',
    });
  }
  const bytes = Buffer.from(m.b64, 'base64');
  if (bytes.length !== h * w)
    throw new HttpError(400, `mask: ${bytes.length} bytes of data, expected ${h * w}`, { field: 'mask' });
  const data = new Uint8Array(h * w);
  let excluded = 0;
  for (let i = 0; i < data.length; i++) excluded += data[i] = bytes[i] ? 1 : 0;
  // Beside the dataset: mask.static looks there for a relative maskFile, so the saved graph stays portable.
  const file = `${name}.mask.npy`;
  const target = path.join(path.dirname(datasetPath), file);
  try {
    if (fs.lstatSync(target).isSymbolicLink())
      throw new HttpError(403, `${target} is a symbolic link: not written`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  writeNpy(tmp, { dtype: 'uint8', shape: [h, w], data });
  fs.renameSync(tmp, target);
  return { file, path: target, excluded };
}

const FORMATS: Record<string, { ext: string; type: string }> = {
  tiff: { ext: '.tif', type: 'image/tiff' },
  csv: { ext: '.csv', type: 'text/csv; charset=utf-8' },
  npy: { ext: '.npy', type: 'application/octet-stream' },
  png: { ext: '.png', type: 'image/png' },
};

/** One exported file of a node (field) of a finished run. */
export async function exportFile(
  runDir: string | null,
  cacheDir: string | null,
  node: string,
  field: string | null,
  format: string,
): Promise<{ name: string; type: string; body: Buffer }> {
  if (!runDir) throw new HttpError(409, 'nothing to export yet: run the graph first');
  const f = FORMATS[format];
  if (!f) throw new HttpError(400, `format '${format}': expected png, tiff, csv or npy`, { field: 'format' });
  const m = readManifest(runDir);
  if (!m.nodes[node]) throw new HttpError(404, `the run has no node '${node}'`, { node });
  const base = field ? `${node}.${field}` : node;
  if (format === 'png') {
    const png = [base, node].map((b) => path.join(runDir, `${b}.png`)).find((p) => fs.existsSync(p));
    if (!png)
      throw new HttpError(
        409,
        `no PNG for '${base}' in the run: run with {report: true} (PNGs are drawn with the report), or export tiff`,
        { node },
      );
    return { name: path.basename(png), type: f.type, body: fs.readFileSync(png) };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-studio-export-'));
  try {
    const r = await exportRun(runDir, {
      node,
      format: format as ExportFormat,
      to: dir,
      cacheDir: cacheDir ?? undefined,
    });
    const want =
      r.files.find((p) => path.basename(p) === `${base}${f.ext}`) ??
      (r.files.length === 1 ? r.files[0] : null);
    if (!want)
      throw new HttpError(
        400,
        `node '${node}' has several fields (${r.files.map((p) => path.basename(p)).join(', ')}): give field=`,
        { node, field: 'field' },
      );
    return { name: path.basename(want), type: f.type, body: fs.readFileSync(want) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** b − a for one map written by two runs, with max |Δ|, RMS and Pearson r. */
export function mapDifference(
  dirA: string,
  dirB: string,
  node: string,
  field: string | null,
): { array: NDArray; header: Record<string, unknown> } {
  const pick = (dir: string) => {
    const m = readManifest(dir);
    const o = m.outputs.find((w) => w.node === node && w.kind === 'map' && (!field || w.field === field));
    if (!o)
      throw new HttpError(404, `run ${m.run} wrote no map for '${field ? `${node}.${field}` : node}'`, {
        node,
      });
    return readNpy(path.join(dir, o.file));
  };
  const a = pick(dirA);
  const b = pick(dirB);
  if (a.data.length !== b.data.length)
    throw new HttpError(400, `the two maps differ in shape ([${a.shape}] vs [${b.shape}])`, { node });
  const d = new Float32Array(a.data.length);
  let maxAbs = 0;
  let ss = 0;
  let n = 0;
  let sa = 0,
    sb = 0,
    saa = 0,
    sbb = 0,
    sab = 0;
  for (let i = 0; i < d.length; i++) {
    const x = a.data[i] as number;
    const y = b.data[i] as number;
    d[i] = y - x;
    if (!Number.isFinite(d[i])) continue;
    n++;
    maxAbs = Math.max(maxAbs, Math.abs(d[i]));
    ss += d[i] * d[i];
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  const cov = sab - (sa * sb) / n;
  const pearson = cov / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
  return {
    array: { dtype: 'float32', shape: a.shape, data: d },
    header: {
      node,
      field,
      maxAbs,
      rms: n ? Math.sqrt(ss / n) : NaN,
      pearson: Number.isFinite(pearson) ? pearson : null,
    },
  };
}
