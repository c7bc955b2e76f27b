/** Title, file, undo / redo, save / save as, versions with `snem diff` between two, status line. */
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useSelect } from '../lib/store.ts';
import { redo, report, save, store, undo } from '../state.ts';

export function TopBar() {
  const session = useSelect(store, (s) => s.session);
  const canUndo = useSelect(store, (s) => s.canUndo);
  const canRedo = useSelect(store, (s) => s.canRedo);
  const dirty = useSelect(store, (s) => s.dirty);
  const notice = useSelect(store, (s) => s.notice);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const graph = useSelect(store, (s) => s.graph);
  const [versions, setVersions] = useState<{ versionId: string; file: string; time: string }[] | null>(null);
  const [va, setVa] = useState('');
  const [vb, setVb] = useState('current');
  const [diff, setDiff] = useState<{
    changes: { node: string; change: string; detail: string }[];
    recomputes: string[];
  } | null>(null);
  const file = session?.graphFile ?? session?.runDir ?? '';
  return (
    <div class="topbar">
      <span class="brand">snem studio</span>
      <span class="file mono" title={file}>
        {graph?.name ?? ''} · {file.split('/').slice(-2).join('/')}
        {dirty ? ' •' : ''}
      </span>
      {readOnly && <span class="badge">read-only run</span>}
      <span class="spacer" />
      {!readOnly && (
        <>
          <button
            type="button"
            data-testid="undo"
            disabled={!canUndo}
            title="undo (Ctrl+Z)"
            onClick={() => void undo()}
          >
            ↶ Undo
          </button>
          <button
            type="button"
            data-testid="redo"
            disabled={!canRedo}
            title="redo (Ctrl+Shift+Z)"
            onClick={() => void redo()}
          >
            ↷ Redo
          </button>
          <button type="button" data-testid="save" disabled={!session?.graphFile} onClick={() => void save()}>
            Save
          </button>
          <button
            type="button"
            data-testid="save-as"
            onClick={() => {
              const name = prompt(
                'Save as (a new .json file beside the graph / dataset):',
                `${graph?.name ?? 'graph'}-v2.json`,
              );
              if (name) void save(name);
            }}
          >
            Save as…
          </button>
          <button
            type="button"
            onClick={async () => {
              try {
                setVersions(versions ? null : await api.versions());
              } catch (e) {
                report(e, 'versions');
              }
            }}
          >
            Versions
          </button>
        </>
      )}
      <span class="notice" data-testid="notice" title={notice}>
        {notice}
      </span>
      {versions && (
        <div class="versions">
          <b>Saved versions</b>
          <ul>
            {versions.map((v) => (
              <li class="mono">
                {v.versionId} · {v.time} · {v.file.split('/').pop()}
              </li>
            ))}
          </ul>
          <div class="row small">
            diff
            <select value={va} onChange={(e) => setVa((e.target as HTMLSelectElement).value)}>
              <option value="">a</option>
              {versions.map((v) => (
                <option value={v.versionId}>{v.versionId}</option>
              ))}
            </select>
            <select value={vb} onChange={(e) => setVb((e.target as HTMLSelectElement).value)}>
              <option value="current">current (unsaved)</option>
              {versions.map((v) => (
                <option value={v.versionId}>{v.versionId}</option>
              ))}
            </select>
            <button
              type="button"
              disabled={!va}
              onClick={() => api.diff(va, vb).then(setDiff, (e) => report(e, 'diff'))}
            >
              snem diff
            </button>
          </div>
          {diff && (
            <ul class="small">
              {diff.changes.map((c) => (
                <li>
                  <b>{c.node}</b> {c.change} <span class="muted">{c.detail}</span>
                </li>
              ))}
              <li class="muted">recomputes: {diff.recomputes.join(', ') || 'nothing'}</li>
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
