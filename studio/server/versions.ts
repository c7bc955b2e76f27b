/**
 * Save, Save as and the history of saved versions. A saved graph is schema-valid JSON (the session
 * graph is always valid) with its dataset path made relative to where the file is written, so
 * `snem run SAVED.json` reads the same data. Every save is also kept as a numbered snapshot in
 * `DIR/.snem-versions/NAME/`, which is what `snem diff` between any two versions compares.
 * Files are written only inside the graph's or the dataset's directory, never through a symlink.
 */
import fs from 'node:fs';
import path from 'node:path';
import { diffGraphs } from '../../app/diff.ts';
import { hashValue } from '../../engine/hash.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import type { Json } from '../../engine/types.ts';
import { HttpError } from './http-errors.ts';
import { inside, realDir } from './static-files.ts';
import type { Studio } from './studio.ts';

export interface VersionInfo {
  versionId: string;
  file: string;
  time: string;
  graphHash: string;
}

/** Write `text` to `file` atomically (temp file + rename), refusing symlinks at the target. */
function writeAtomic(file: string, text: string) {
  try {
    if (fs.lstatSync(file).isSymbolicLink())
      throw new HttpError(403, `${file} is a symbolic link: not written`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export class Versions {
  constructor(private readonly s: Studio) {}

  /** Where a graph may be saved: a .json file directly inside an allowed directory. */
  target(p: string): string {
    if (typeof p !== 'string' || !p.toLowerCase().endsWith('.json') || p.includes('\0'))
      throw new HttpError(400, `save: 'path' must name a .json file, got ${JSON.stringify(p)}`, {
        field: 'path',
      });
    const base = this.s.graphFile ? path.dirname(this.s.graphFile) : process.cwd();
    const abs = path.resolve(base, p);
    const dir = realDir(path.dirname(abs));
    const allowed = this.s.allowedDirs();
    if (!dir || !allowed.some((d) => inside(d, dir)))
      throw new HttpError(
        403,
        `save: ${abs} is outside the graph's and the dataset's directories (${allowed.join(', ')})`,
        { field: 'path' },
      );
    return path.join(dir, path.basename(abs));
  }

  /** The graph as written to `file`: dataset path relative to the file's directory. */
  docFor(file: string): GraphDoc {
    const doc = structuredClone(this.s.session.graph);
    const ds =
      this.s.ctx.dataset?.path ??
      (doc.dataset?.path
        ? path.resolve(
            this.s.ctx.graphFile ? path.dirname(this.s.ctx.graphFile) : process.cwd(),
            doc.dataset.path,
          )
        : null);
    if (doc.dataset && ds)
      doc.dataset = { ...doc.dataset, path: path.relative(path.dirname(file), ds) || path.basename(ds) };
    return doc;
  }

  save(body: Record<string, unknown>): VersionInfo {
    const saveAs = body.path !== undefined;
    if (!saveAs && !this.s.graphFile)
      throw new HttpError(409, 'this session has no graph file yet: use Save as with a path');
    const file = saveAs ? this.target(body.path as string) : this.target(this.s.graphFile!);
    if (saveAs && fs.existsSync(file) && body.overwrite !== true)
      throw new HttpError(409, `${file} exists: choose another name or pass overwrite: true`, {
        field: 'path',
      });
    const doc = this.docFor(file);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    writeAtomic(file, text);
    const info = this.snapshot(file, doc, text);
    this.s.graphFile = file;
    this.s.session.markSaved();
    return info;
  }

  private dir(file: string): string {
    return path.join(path.dirname(file), '.snem-versions', path.basename(file, '.json'));
  }

  private snapshot(file: string, doc: GraphDoc, text: string): VersionInfo {
    const dir = this.dir(file);
    fs.mkdirSync(dir, { recursive: true });
    const n = fs.readdirSync(dir).filter((f) => /^\d+\.json$/.test(f)).length + 1;
    const versionId = `${path.basename(file, '.json')}@${n}`;
    writeAtomic(path.join(dir, `${String(n).padStart(4, '0')}.json`), text);
    return { versionId, file, time: new Date().toISOString(), graphHash: hashValue(doc as unknown as Json) };
  }

  list(): VersionInfo[] {
    if (!this.s.graphFile) return [];
    const dir = this.dir(this.s.graphFile);
    if (!fs.existsSync(dir)) return [];
    const name = path.basename(this.s.graphFile, '.json');
    return fs
      .readdirSync(dir)
      .filter((f) => /^\d+\.json$/.test(f))
      .sort()
      .map((f) => {
        const p = path.join(dir, f);
        const doc = JSON.parse(fs.readFileSync(p, 'utf8')) as Json;
        return {
          versionId: `${name}@${Number(f.slice(0, -5))}`,
          file: this.s.graphFile!,
          time: fs.statSync(p).mtime.toISOString(),
          graphHash: hashValue(doc),
        };
      });
  }

  /** A saved version's graph (`NAME@N`), or the current unsaved graph (`current`). */
  graph(id: string): GraphDoc {
    if (id === 'current') return this.s.session.graph;
    const m = /^(.+)@(\d+)$/.exec(id);
    if (!m || !this.s.graphFile || m[1] !== path.basename(this.s.graphFile, '.json'))
      throw new HttpError(404, `no version '${id}' (see /api/versions)`, { field: 'version' });
    const p = path.join(this.dir(this.s.graphFile), `${m[2].padStart(4, '0')}.json`);
    if (!fs.existsSync(p)) throw new HttpError(404, `no version '${id}'`, { field: 'version' });
    return JSON.parse(fs.readFileSync(p, 'utf8')) as GraphDoc;
  }

  diff(a: string, b: string) {
    return diffGraphs(this.graph(a), this.graph(b));
  }
}
