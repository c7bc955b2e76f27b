/**
 * Files the studio serves: the built page (studio/web/dist) and nothing outside the directories it
 * was started on. Containment is checked on real paths, so a symlink pointing out is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from './http-errors.ts';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.npy': 'application/octet-stream',
  '.tif': 'image/tiff',
  '.csv': 'text/csv; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Is real path `p` inside real directory `dir`? */
export function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolve a URL path (already percent-decoded) against `root`; the file's real path must lie
 * inside one of `allowed` real directories. Returns null when there is no such regular file.
 */
export function containedFile(root: string, relPath: string, allowed: string[]): string | null {
  if (relPath.includes('\0')) throw new HttpError(400, 'bad path');
  const parts = relPath.split('/').filter((s) => s !== '');
  if (parts.some((s) => s === '..' || s.startsWith('.'))) return null;
  const joined = path.join(root, ...parts);
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    return null;
  }
  if (!allowed.some((d) => inside(d, real))) return null;
  const st = fs.statSync(real);
  return st.isFile() ? real : null;
}

/** Percent-decode a URL path; malformed escapes are a 400, not a crash. */
export function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in path '${p}'`);
  }
}

export function realDir(d: string): string | null {
  try {
    return fs.realpathSync(d);
  } catch {
    return null;
  }
}

export function distMissingPage(): string {
  return `<!doctype html><meta charset="utf-8"><title>snem studio</title><body style="font-family:sans-serif">
<h1>snem studio</h1><p>The studio page is not built: <code>${WEB_DIST}/index.html</code> is missing.
Build it (see studio/web, e.g. <code>npm run build:studio</code>) and reload. The API at <code>/api/session</code> works already.</p>`;
}
