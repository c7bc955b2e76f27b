/**
 * PNG encoding (png-encode.ts; pngjs decodes) with provenance in text chunks. The encoder writes
 * no text chunks, so we insert iTXt chunks (UTF-8, uncompressed) right after IHDR ourselves, with
 * their CRC-32; readers that do not know a chunk skip it, and tools such as `exiftool`,
 * `identify -verbose` or PIL show them.
 */
import { PNG } from 'pngjs';
import { crc32, encodeRgbaPng, PNG_SIGNATURE as SIGNATURE, pngChunk } from './png-encode.ts';

export { crc32 };

/** An iTXt chunk: keyword (Latin-1, 1–79 bytes), no compression, empty language tags, UTF-8 text. */
function itxtChunk(keyword: string, text: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`invalid PNG text keyword '${keyword}'`);
  const data = Buffer.concat([
    Buffer.from(keyword, 'latin1'),
    Buffer.from([0, 0, 0, 0, 0]),
    Buffer.from(text, 'utf8'),
  ]);
  return pngChunk('iTXt', data);
}

interface RawChunk {
  type: string;
  data: Buffer;
  start: number;
  end: number;
}

function* chunks(png: Buffer): Generator<RawChunk> {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE))
    throw new Error('not a PNG file (bad signature)');
  let pos = 8;
  while (pos + 12 <= png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + len;
    if (end > png.length) throw new Error(`truncated PNG chunk ${type}`);
    yield { type, data: png.subarray(pos + 8, pos + 8 + len), start: pos, end };
    pos = end;
    if (type === 'IEND') return;
  }
}

/** Insert text chunks after IHDR of an encoded PNG. */
export function addPngText(png: Buffer, text: Record<string, string>): Buffer {
  const first = chunks(png).next().value as RawChunk | undefined;
  if (first?.type !== 'IHDR') throw new Error('PNG does not start with IHDR');
  const extra = Object.entries(text).map(([k, v]) => itxtChunk(k, v));
  return Buffer.concat([png.subarray(0, first.end), ...extra, png.subarray(first.end)]);
}

/** Text chunks (tEXt and uncompressed iTXt) of a PNG, keyword → text. */
export function readPngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of chunks(png)) {
    if (c.type === 'tEXt') {
      const z = c.data.indexOf(0);
      if (z > 0) out[c.data.toString('latin1', 0, z)] = c.data.toString('latin1', z + 1);
    } else if (c.type === 'iTXt') {
      const z = c.data.indexOf(0);
      if (z <= 0) continue;
      const compressed = c.data[z + 1];
      const lang = c.data.indexOf(0, z + 3);
      const translated = lang < 0 ? -1 : c.data.indexOf(0, lang + 1);
      if (compressed || translated < 0) continue;
      out[c.data.toString('latin1', 0, z)] = c.data.toString('utf8', translated + 1);
    }
  }
  return out;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** Row-major RGBA, 4 bytes per pixel, not premultiplied. */
  data: Uint8Array;
}

/** Encode RGBA as an 8-bit RGBA PNG with the given text chunks (the bytes pngjs would write, faster). */
export function encodePng(img: RgbaImage, text: Record<string, string> = {}): Buffer {
  const bytes = encodeRgbaPng(img.width, img.height, img.data);
  return Object.keys(text).length ? addPngText(bytes, text) : bytes;
}

export function decodePng(png: Buffer): RgbaImage {
  const p = PNG.sync.read(png);
  return {
    width: p.width,
    height: p.height,
    data: new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength),
  };
}

export function pngDataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}
