/**
 * Streaming-read check: writes a paper-size dataset (289 × 132 positions of 144 × 144 uint8 =
 * 791 MB) as .npy and as .blo in a temp dir, streams every frame back in chunks of 256 positions
 * through `openDataset`, and reports the peak RSS above the baseline (target < 300 MB) and the read
 * throughput. Each file is read in a fresh child process, so its baseline (RSS after loading the
 * code, before opening the file) is not disturbed by writing or by the other format's run. The
 * files are deleted afterwards. The files were just written, so reads mostly hit
 * the page cache: the throughput is the reader's, not the disk's.
 *
 *   node --import tsx bench/read-memory.ts [--scan 289x132] [--size 144]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.ts';
import { BloStreamWriter } from '../formats/blo.ts';
import { NpyStreamWriter } from '../formats/npy.ts';
import { openDataset } from '../formats/open.ts';

const CHUNK = 256;

function fillChunk(buf: Uint8Array, start: number, frames: number, px: number): void {
  for (let k = 0; k < frames; k++) {
    const base = k * px;
    const s = (start + k) & 255;
    for (let i = 0; i < px; i++) buf[base + i] = (i + s) & 255;
  }
}

function writeFiles(dir: string, ny: number, nx: number, size: number): { npy: string; blo: string } {
  const px = size * size;
  const positions = ny * nx;
  const npy = path.join(dir, 'frames.npy');
  const blo = path.join(dir, 'frames.blo');
  const wn = new NpyStreamWriter(npy, 'uint8', [ny, nx, size, size], 2);
  const wb = new BloStreamWriter(blo, { scan: { ny, nx }, dpSize: size, scanStepNm: 2, beamEnergyKeV: 200 });
  const buf = new Uint8Array(CHUNK * px);
  for (let start = 0; start < positions; start += CHUNK) {
    const n = Math.min(CHUNK, positions - start);
    fillChunk(buf, start, n, px);
    wn.writeRows(start, buf.subarray(0, n * px));
    wb.writeFrames(start, buf.subarray(0, n * px));
  }
  wn.close();
  wb.close();
  return { npy, blo };
}

/** Stream every frame; returns peak RSS increase (bytes), seconds, and a checksum to keep the reads honest. */
function streamAll(file: string): { peakAbove: number; seconds: number; bytes: number; checksum: number } {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const t0 = performance.now();
  const h = openDataset(file);
  const positions = h.scan.ny * h.scan.nx;
  let bytes = 0;
  let checksum = 0;
  try {
    for (let start = 0; start < positions; start += CHUNK) {
      const n = Math.min(CHUNK, positions - start);
      const fr = h.read(start, n);
      bytes += fr.data.byteLength;
      checksum = (checksum + fr.data[fr.data.length - 1]) | 0;
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    }
  } finally {
    h.close();
  }
  return { peakAbove: peak - baseline, seconds: (performance.now() - t0) / 1000, bytes, checksum };
}

function readInChild(file: string): ReturnType<typeof streamAll> {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--read', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

export async function bench(opts: { scan?: string; size?: number } = {}): Promise<BenchRow[]> {
  const [ny, nx] = (opts.scan ?? '289x132').split('x').map(Number);
  const size = opts.size ?? 144;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-read-memory-'));
  const rows: BenchRow[] = [];
  try {
    const t0 = performance.now();
    const files = writeFiles(dir, ny, nx, size);
    const writeS = (performance.now() - t0) / 1000;
    const mb = (ny * nx * size * size) / 1e6;
    rows.push({
      name: `write npy + blo (${ny}×${nx}×${size}², ${mb.toFixed(0)} MB each)`,
      value: writeS,
      unit: 's',
    });
    for (const [fmt, file] of Object.entries(files)) {
      const r = readInChild(file);
      if (r.bytes !== ny * nx * size * size)
        throw new Error(`${fmt}: read ${r.bytes} bytes, expected ${ny * nx * size * size}`);
      rows.push({
        name: `read ${fmt}: peak RSS above baseline (chunks of ${CHUNK})`,
        value: r.peakAbove / 1e6,
        unit: 'MB',
        target: '< 300 MB',
      });
      rows.push({
        name: `read ${fmt}: throughput (page cache warm)`,
        value: r.bytes / 1e6 / r.seconds,
        unit: 'MB/s',
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const readOnly = arg('read');
  if (readOnly) {
    process.stdout.write(`${JSON.stringify(streamAll(readOnly))}\n`);
    process.exit(0);
  }
  const rows = await bench({ scan: arg('scan'), size: arg('size') ? Number(arg('size')) : undefined });
  for (const r of rows)
    console.log(
      `${r.name.padEnd(62)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${r.target ? `  (target ${r.target})` : ''}`,
    );
}
