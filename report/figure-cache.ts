/**
 * Rendered figures kept by what they draw (CACHE/figures/), so a re-run redraws only the figures
 * whose data or display changed. The key hashes the renderer's code (report/ and viz/ sources and
 * the versions of the drawing libraries) and the figure's whole input: the values drawn (typed
 * arrays by their bytes), the display style, titles, labels, file name and scan step. Nothing a
 * figure shows can change without changing its key.
 *
 * An entry holds the PNG *without* its provenance text chunks — those name the run and are added
 * per run with viz/png.ts addPngText, which gives the same bytes as encoding with them — plus the
 * SVG and the display record where the figure has them. Entries are written to a temp name and
 * renamed; a missing or unreadable entry is a miss. Rendering without a cache (`snem report`,
 * tests) is unchanged: the drawing functions run every time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleCodeHash, sourceFileOf } from '../engine/code-hash.ts';
import type { Json } from '../engine/types.ts';
import { writeFileAtomic } from '../engine/write-atomic.ts';

export interface Drawing {
  /** PNG bytes without text chunks. */
  png?: Buffer;
  svg?: string;
  /** Whatever else the figure derived while drawing (display records, limits). */
  extra?: Json;
}

interface EntryMeta {
  png: boolean;
  svg?: string;
  extra?: Json;
}

/** Libraries whose version changes the pixels. */
const DRAWING_LIBRARIES = ['vega', 'vega-lite', '@resvg/resvg-js', 'pngjs'];

let rendererHash: string | undefined;
/** The code that draws: report/ and viz/ as sources (so dist and tsx agree) and the drawing libraries' versions. */
function rendererCode(): string {
  if (rendererHash) return rendererHash;
  const index = sourceFileOf(fileURLToPath(new URL('./index.ts', import.meta.url)));
  const require = createRequire(import.meta.url);
  const versions = DRAWING_LIBRARIES.map((name) => {
    try {
      let dir = path.dirname(require.resolve(name));
      while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir)
        dir = path.dirname(dir);
      return `${name}@${(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version}`;
    } catch {
      return `${name}@?`;
    }
  });
  return (rendererHash = `${moduleCodeHash(index)}:${versions.join(',')}`);
}

/** The key of a figure: its kind and complete input, typed arrays hashed by content. */
export function figureKey(what: string, inputs: unknown): string {
  const h = createHash('sha256');
  h.update(`${rendererCode()}\0${what}\0`);
  h.update(
    JSON.stringify(inputs, (_k, v: unknown) => {
      if (ArrayBuffer.isView(v)) {
        const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        return { [v.constructor.name]: createHash('sha256').update(bytes).digest('hex') };
      }
      // JSON would write NaN and ±Infinity as null, and figures draw them differently
      return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
    }),
  );
  return h.digest('hex').slice(0, 40);
}

export class FigureCache {
  hits = 0;
  misses = 0;

  constructor(readonly dir: string) {}

  /** The figure cache of a cache directory. */
  static beside(cacheDir: string): FigureCache {
    return new FigureCache(path.join(cacheDir, 'figures'));
  }

  private base(key: string): string {
    return path.join(this.dir, key.slice(0, 2), key);
  }

  get(key: string): Drawing | null {
    try {
      const meta = JSON.parse(fs.readFileSync(`${this.base(key)}.json`, 'utf8')) as EntryMeta;
      const d: Drawing = {};
      if (meta.png) d.png = fs.readFileSync(`${this.base(key)}.png`);
      if (meta.svg !== undefined) d.svg = meta.svg;
      if (meta.extra !== undefined) d.extra = meta.extra;
      const now = new Date();
      fs.utimesSync(`${this.base(key)}.json`, now, now); // used now: `cache gc` keeps it with the runs using it
      return d;
    } catch {
      return null;
    }
  }

  /** Store a drawing; a cache that cannot be written (full disk, read-only) only costs the next redraw. */
  put(key: string, d: Drawing): void {
    const base = this.base(key);
    try {
      fs.mkdirSync(path.dirname(base), { recursive: true });
      if (d.png) writeFileAtomic(`${base}.png`, d.png);
      const meta: EntryMeta = {
        png: !!d.png,
        ...(d.svg !== undefined ? { svg: d.svg } : {}),
        ...(d.extra !== undefined ? { extra: d.extra } : {}),
      };
      writeFileAtomic(`${base}.json`, JSON.stringify(meta)); // last: an entry is whole once its .json is there
    } catch {
      /* not cached */
    }
  }
}

/**
 * Remove figures no run has drawn or reused since `before` (ms since the epoch; `snem cache gc`
 * passes the time of the oldest run it keeps). Returns the entries and bytes removed.
 */
export function pruneFigures(dir: string, before: number): { entries: number; bytes: number } {
  let entries = 0;
  let bytes = 0;
  if (!fs.existsSync(dir)) return { entries, bytes };
  for (const shard of fs.readdirSync(dir)) {
    const shardDir = path.join(dir, shard);
    for (const name of fs.readdirSync(shardDir).filter((f) => f.endsWith('.json'))) {
      const json = path.join(shardDir, name);
      if (fs.statSync(json).mtimeMs >= before) continue;
      for (const f of [json, json.replace(/\.json$/, '.png')]) {
        const st = fs.statSync(f, { throwIfNoEntry: false });
        if (!st) continue;
        bytes += st.size;
        fs.rmSync(f, { force: true });
      }
      entries++;
    }
    if (!fs.readdirSync(shardDir).length) fs.rmSync(shardDir, { recursive: true, force: true });
  }
  return { entries, bytes };
}

const active = new AsyncLocalStorage<FigureCache>();

/** Run `fn` with figures drawn through `cache` (null: no cache). */
export function withFigureCache<T>(cache: FigureCache | null, fn: () => Promise<T>): Promise<T> {
  return cache ? active.run(cache, fn) : fn();
}

/** The active cache's entry for `inputs`: the stored drawing, or how to store the one drawn now; null without a cache. */
function entryFor(
  what: string,
  inputs: unknown,
): { hit: Drawing } | { keep: (d: Drawing) => Drawing } | null {
  const cache = active.getStore();
  if (!cache) return null;
  const key = figureKey(what, inputs);
  const hit = cache.get(key);
  if (hit) {
    cache.hits++;
    return { hit };
  }
  return {
    keep: (d) => {
      cache.misses++;
      cache.put(key, d);
      return d;
    },
  };
}

/** The drawing for `inputs` from the active cache, or drawn now (and stored). */
export function drawCached(what: string, inputs: unknown, draw: () => Drawing): Drawing {
  const e = entryFor(what, inputs);
  if (!e) return draw();
  return 'hit' in e ? e.hit : e.keep(draw());
}

/** drawCached for drawings made asynchronously (Vega). */
export async function drawCachedAsync(
  what: string,
  inputs: unknown,
  draw: () => Promise<Drawing>,
): Promise<Drawing> {
  const e = entryFor(what, inputs);
  if (!e) return draw();
  return 'hit' in e ? e.hit : e.keep(await draw());
}
