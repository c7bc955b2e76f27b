/**
 * Minimal baseline TIFF for float maps: little-endian, one uncompressed strip per page,
 * BitsPerSample 32 + SampleFormat 3 (IEEE float), one page per map (a [ny, nx, k] stack is k
 * contiguous pages). ImageDescription starts with an ImageJ header (unit nm, page count, display
 * range) so ImageJ/Fiji opens it calibrated, and carries the provenance on its `snem=` line;
 * X/YResolution are pixels per nm.
 */
import fs from 'node:fs';
import { encodeTiff as encodeStack, TIFF_TYPE_BYTES } from '../../formats/tiff.ts';

export interface TiffPage {
  width: number;
  height: number;
  data: Float32Array;
}

export interface TiffOptions {
  /** Scan step in nm (y, x) for the resolution tags. */
  stepNm?: { y: number; x: number } | null;
  /** Provenance (any JSON) for the ImageDescription. */
  provenance?: unknown;
  /** Display range for ImageJ. */
  displayRange?: [number, number];
}

const T = { SHORT: 3, RATIONAL: 5 } as const;

/** JSON with every non-ASCII character escaped (TIFF ASCII fields are 7-bit). */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function imageDescription(pages: number, opts: TiffOptions): string {
  const lines = ['ImageJ=1.11a'];
  if (pages > 1) lines.push(`images=${pages}`, `slices=${pages}`);
  if (opts.stepNm) lines.push('unit=nm');
  if (opts.displayRange?.every(Number.isFinite))
    lines.push(`min=${opts.displayRange[0]}`, `max=${opts.displayRange[1]}`);
  if (opts.provenance !== undefined) lines.push(`snem=${asciiJson(opts.provenance)}`);
  return `${lines.join('\n')}\n`;
}

function rational(v: number): [number, number] {
  const den = 1_000_000;
  return [Math.max(1, Math.min(0xffffffff, Math.round(v * den))), den];
}

/**
 * The pages as one float32 stack through the format's writer (formats/tiff.ts), with the ImageJ
 * description, X/YResolution in pixels per nm and ResolutionUnit "none" added.
 */
export function encodeTiff(pages: TiffPage[], opts: TiffOptions = {}): Buffer {
  if (pages.length === 0) throw new Error('TIFF needs at least one page');
  const { width, height } = pages[0];
  const stack = new Float32Array(pages.length * width * height);
  pages.forEach((p, i) => {
    if (p.data.length !== p.width * p.height)
      throw new Error(`TIFF page ${p.width}×${p.height} has ${p.data.length} values`);
    if (p.width !== width || p.height !== height)
      throw new Error(
        `TIFF page ${i} is ${p.width}×${p.height}; every page must be ${width}×${height} like page 0`,
      );
    stack.set(p.data, i * width * height);
  });
  return encodeStack(
    { dtype: 'float32', shape: [pages.length, height, width], data: stack },
    {
      description: imageDescription(pages.length, opts),
      tags: [
        { id: 282, type: T.RATIONAL, values: rational(opts.stepNm ? 1 / opts.stepNm.x : 1) },
        { id: 283, type: T.RATIONAL, values: rational(opts.stepNm ? 1 / opts.stepNm.y : 1) },
        { id: 296, type: T.SHORT, values: [1] },
      ],
    },
  );
}

export function writeTiff(file: string, pages: TiffPage[], opts: TiffOptions = {}): void {
  fs.writeFileSync(file, encodeTiff(pages, opts));
}

export interface DecodedTiff {
  pages: TiffPage[];
  description: string | null;
}

/** Read a TIFF of uncompressed single-sample pages (float32, or 8/16/32-bit integers), either byte order. */
export function decodeTiff(buf: Buffer): DecodedTiff {
  const order = buf.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw new Error('not a TIFF file (no II/MM byte-order mark)');
  const le = order === 'II';
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u16(2) !== 42) throw new Error('not a classic TIFF (magic 42 missing)');
  const pages: TiffPage[] = [];
  let description: string | null = null;
  let ifd = u32(4);
  const seen = new Set<number>();
  while (ifd && !seen.has(ifd)) {
    seen.add(ifd);
    const n = u16(ifd);
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + 12 * i;
      const id = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = (TIFF_TYPE_BYTES[type] ?? 1) * count;
      const at = size <= 4 ? e + 8 : u32(e + 8);
      if (type === 2) {
        const s = buf.toString('latin1', at, at + count).replace(/\0+$/, '');
        if (id === 270 && description === null) description = s;
        continue;
      }
      const vals: number[] = [];
      for (let k = 0; k < Math.min(count, 1 << 16); k++)
        vals.push(type === 3 ? u16(at + 2 * k) : u32(at + 4 * k));
      tags.set(id, vals);
    }
    const width = tags.get(256)![0];
    const height = tags.get(257)![0];
    const bits = tags.get(258)?.[0] ?? 1;
    const format = tags.get(339)?.[0] ?? 1;
    if ((tags.get(259)?.[0] ?? 1) !== 1) throw new Error('compressed TIFF pages are not supported');
    const offsets = tags.get(273)!;
    const counts = tags.get(279)!;
    const raw = Buffer.concat(offsets.map((o, i) => buf.subarray(o, o + counts[i])));
    const data = new Float32Array(width * height);
    const bpp = bits / 8;
    for (let i = 0; i < data.length; i++) {
      const o = i * bpp;
      if (format === 3 && bits === 32) data[i] = le ? raw.readFloatLE(o) : raw.readFloatBE(o);
      else if (bits === 8) data[i] = raw[o];
      else if (bits === 16) data[i] = le ? raw.readUInt16LE(o) : raw.readUInt16BE(o);
      else if (bits === 32) data[i] = le ? raw.readUInt32LE(o) : raw.readUInt32BE(o);
      else throw new Error(`unsupported TIFF sample: ${bits} bits, format ${format}`);
    }
    pages.push({ width, height, data });
    ifd = u32(ifd + 2 + 12 * n);
  }
  return { pages, description };
}

/** The provenance JSON on the `snem=` line of an ImageDescription, if any. */
export function provenanceFromDescription(desc: string | null): unknown {
  const line = desc?.split('\n').find((l) => l.startsWith('snem='));
  return line ? JSON.parse(line.slice(5)) : null;
}
