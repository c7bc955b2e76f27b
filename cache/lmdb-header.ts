/**
 * A sanity check of an LMDB data file's two meta pages, made before the file is opened: lmdb-js
 * (LMDB 1.0 layout, data version 2) crashes the whole process with a segmentation fault on a
 * damaged header instead of returning MDB_INVALID, so a cache whose first pages were overwritten
 * would kill `snem run` / `snem cache verify` with exit 139 and no word. Here a damaged header is
 * one message naming the file.
 *
 * Layout on 64-bit builds (liblmdb mdb.c, MDB_page_header + MDB_meta): a 24-byte page header
 * (pgno u64, txnid u64, pad u16, flags u16, lower/upper u16) then the meta: magic u32, version
 * u32, fixed-map address u64, map size u64, two MDB_db records of 48 bytes (free-page DB, main DB;
 * the first one's `md_pad` is the page size), last page u64, txnid u64. Meta page 1 starts one page
 * after meta page 0.
 */
import fs from 'node:fs';

export const LMDB_MAGIC = 0xbeefc0de;
export const LMDB_DATA_VERSION = 2;
const PAGE_HEADER = 24;
const P_META = 0x08;
const META_BYTES = PAGE_HEADER + 4 + 4 + 8 + 8 + 2 * 48 + 8 + 8;
const DB_RECORD = 48;
/** `P_INVALID`: a tree with no root page (an empty database). */
const NO_PAGE = 0xffffffffffffffffn;
/** Far beyond any real map (128 TiB): a map size above it is garbage, not a setting. */
const MAX_MAP = 2n ** 47n;

/** What is wrong with one meta page, or null when it is plausible. */
function metaProblem(b: Buffer, index: number): string | null {
  const where = `meta page ${index}`;
  if (b.length < META_BYTES) return `${where} is cut short (${b.length} of ${META_BYTES} bytes)`;
  const pgno = b.readBigUInt64LE(0);
  const flags = b.readUInt16LE(18);
  const magic = b.readUInt32LE(PAGE_HEADER);
  const version = b.readUInt32LE(PAGE_HEADER + 4);
  if (magic !== LMDB_MAGIC)
    return `${where}: magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${LMDB_MAGIC.toString(16)}`;
  if (version !== LMDB_DATA_VERSION)
    return `${where}: data version ${version}, expected ${LMDB_DATA_VERSION}`;
  if (!(flags & P_META) || pgno !== BigInt(index))
    return `${where}: page header says page ${pgno} with flags 0x${flags.toString(16)}, expected page ${index} marked as meta`;
  const mapSize = b.readBigUInt64LE(PAGE_HEADER + 16);
  const dbs = PAGE_HEADER + 24;
  const pageSize = b.readUInt32LE(dbs);
  const lastPage = b.readBigUInt64LE(dbs + 2 * DB_RECORD);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return `${where}: page size ${pageSize}, expected a power of two from 512 to 65536`;
  if (mapSize > MAX_MAP || lastPage * BigInt(pageSize) > (mapSize || MAX_MAP))
    return `${where}: map size ${mapSize} B with last page ${lastPage} of ${pageSize} B is impossible`;
  for (const [name, at] of [
    ['free-page', dbs],
    ['main', dbs + DB_RECORD],
  ] as const) {
    const depth = b.readUInt16LE(at + 6);
    const root = b.readBigUInt64LE(at + 40);
    if (root === NO_PAGE ? depth !== 0 : root < 2n || root > lastPage || depth === 0 || depth > 64) {
      return `${where}: the ${name} tree's root page ${root === NO_PAGE ? 'none' : root} (depth ${depth}) lies outside the file's ${lastPage + 1n} pages`;
    }
  }
  return null;
}

function readAt(fd: number, offset: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  return b.subarray(0, fs.readSync(fd, b, 0, n, offset));
}

/**
 * Why the LMDB file cannot be opened safely, or null when it looks sound (or does not exist yet,
 * or is empty: LMDB creates it). Reads 2 × 168 bytes.
 */
export function lmdbHeaderProblem(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null; // missing (created on open) or unreadable (LMDB's own open says so)
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return null;
    const m0 = readAt(fd, 0, META_BYTES);
    const p0 = metaProblem(m0, 0);
    if (p0) return p0;
    const pageSize = m0.readUInt32LE(PAGE_HEADER + 24);
    if (size < 2 * pageSize) return `the file is ${size} B, shorter than its two ${pageSize}-B meta pages`;
    return metaProblem(readAt(fd, pageSize, META_BYTES), 1);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The check as the cache makes it: a failure is read again after 50 ms (a meta page another
 * process is committing at that instant could in principle be read half-written) before it counts.
 */
export function checkLmdbHeader(file: string): string | null {
  const first = lmdbHeaderProblem(file);
  if (!first) return null;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  return lmdbHeaderProblem(file);
}
