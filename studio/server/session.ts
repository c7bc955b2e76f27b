/**
 * The studio session's graph: the current document, always valid, with an undo/redo history in
 * which every accepted request is one step. Edits go through a copy and the engine's validator;
 * a refused edit leaves everything as it was.
 */
import type { GraphDoc } from '../../engine/graph.ts';
import { applyEdit, danglingUsers, type Edit } from './graph-edits.ts';
import { badRequestFrom, HttpError } from './http-errors.ts';
import { changedParamFiles, type EngineContext, type ParamFile, type Resolved } from './engine-context.ts';

export interface GraphState {
  graph: GraphDoc;
  version: number;
  canUndo: boolean;
  canRedo: boolean;
  dirty: boolean;
  warnings: string[];
}

const HISTORY_LIMIT = 500;

export class GraphSession {
  private undoStack: { doc: GraphDoc; label: string }[] = [];
  private redoStack: { doc: GraphDoc; label: string }[] = [];
  private savedHash: string;
  version = 0;
  private resolvedMemo: { version: number; value: Resolved } | null = null;

  constructor(
    private doc: GraphDoc,
    private readonly ctx: EngineContext,
  ) {
    this.resolve(doc);
    this.savedHash = hashOf(doc);
  }

  get graph(): GraphDoc {
    return this.doc;
  }

  /** Told which param files were rewritten on disk (the studio shows it to the page). */
  onParamFilesChanged: (files: ParamFile[]) => void = () => {};

  /**
   * The current graph resolved against the dataset: memoised per version while the files its
   * file params name stay as they were hashed. A file rewritten on disk (same path, no edit) is
   * re-hashed, so previews and runs use its new content; `fresh` re-resolves regardless (a run's start).
   */
  resolved(opts: { fresh?: boolean } = {}): Resolved {
    const memo = this.resolvedMemo;
    const current = memo?.version === this.version;
    const changed = memo && current ? changedParamFiles(memo.value) : [];
    if (memo && current && !changed.length && !opts.fresh) return memo.value;
    this.resolvedMemo = null; // if the rewritten file is refused (gone, wrong shape), the next call tries again
    if (changed.length) this.onParamFilesChanged(changed);
    this.resolvedMemo = { version: this.version, value: this.resolve(this.doc) };
    return this.resolvedMemo.value;
  }

  /** Validate a document; a problem becomes a 400 naming node and field. */
  resolve(doc: GraphDoc): Resolved {
    try {
      return this.ctx.resolve(doc);
    } catch (e) {
      throw badRequestFrom(e);
    }
  }

  /** Apply a batch of edits atomically: all of them and a valid graph, or nothing. */
  edit(edits: unknown, label = 'edit'): GraphState {
    if (!Array.isArray(edits) || edits.length === 0)
      throw new HttpError(400, 'body: expected {edits: [{op, …}, …]} with at least one edit', {
        field: 'edits',
      });
    const next = structuredClone(this.doc);
    for (const e of edits as Edit[]) applyEdit(next, e);
    const dangling = danglingUsers(next);
    if (dangling.length) {
      const d = dangling[0];
      throw new HttpError(
        400,
        `node '${d.node}', input '${d.port}': uses '${d.ref}', which this edit removes (delete or rewire '${d.node}' in the same edit)`,
        { node: d.node, field: d.port },
      );
    }
    const resolved = this.resolve(next);
    this.undoStack.push({ doc: this.doc, label });
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
    this.doc = next;
    this.version++;
    this.resolvedMemo = { version: this.version, value: resolved };
    return this.state();
  }

  undo(): GraphState {
    const prev = this.undoStack.pop();
    if (!prev) throw new HttpError(409, 'nothing to undo');
    this.redoStack.push({ doc: this.doc, label: prev.label });
    this.doc = prev.doc;
    this.version++;
    return this.state();
  }

  redo(): GraphState {
    const next = this.redoStack.pop();
    if (!next) throw new HttpError(409, 'nothing to redo');
    this.undoStack.push({ doc: this.doc, label: next.label });
    this.doc = next.doc;
    this.version++;
    return this.state();
  }

  markSaved(): void {
    this.savedHash = hashOf(this.doc);
  }

  /** The graph's warnings; a param file gone from disk is the problem the next request reports, not the state's. */
  private warnings(): string[] {
    try {
      return this.resolved().graph.warnings;
    } catch {
      return [];
    }
  }

  state(): GraphState {
    return {
      graph: this.doc,
      version: this.version,
      canUndo: this.undoStack.length > 0,
      canRedo: this.redoStack.length > 0,
      dirty: hashOf(this.doc) !== this.savedHash,
      warnings: this.warnings(),
    };
  }
}

function hashOf(doc: GraphDoc): string {
  return JSON.stringify(doc);
}
