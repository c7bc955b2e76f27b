/** The run on the scan: a bar for the current pass's chunks, each node's status and time, cancel. */
import { useSelect } from '../lib/store.ts';
import { cancelRun, startRun, store } from '../state.ts';

export function RunProgress() {
  const run = useSelect(store, (s) => s.run);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const plan = useSelect(store, (s) => s.plan);
  const pct = run.total ? Math.round((100 * run.done) / run.total) : run.running ? 0 : run.runId ? 100 : 0;
  const willRun = plan.filter((p) => p.status === 'will run').length;
  const finished = Object.values(run.status).filter((s) => s !== 'pending').length;
  // While running: the chunk count first (it must stay readable), then which nodes this pass computes.
  const label = run.running
    ? `${run.done}/${run.total} chunks${run.pass ? ` · ${run.pass}` : ''}`
    : !run.runId
      ? 'not run yet: ▶ computes every node over the scan (cached chunks are read, not recomputed)'
      : run.error
        ? 'failed (finished chunks are kept)'
        : /cancelled/.test(run.message)
          ? 'cancelled (finished chunks are kept)'
          : `finished: ${run.nodes.length} nodes`;
  return (
    <section class="panel" data-testid="run-progress" data-running={run.running ? 'yes' : 'no'}>
      <header>
        <h2>Run</h2>
        <span class="sub">
          {run.running
            ? `${finished}/${run.nodes.length} nodes`
            : run.message || `${willRun} node(s) will run`}
        </span>
        <span class="spacer" />
        {!readOnly && (
          <>
            <button
              type="button"
              class="primary"
              data-testid="run"
              disabled={run.running}
              onClick={() => void startRun()}
            >
              ▶ Run on the scan
            </button>
            <button
              type="button"
              data-testid="cancel"
              disabled={!run.running}
              onClick={() => void cancelRun()}
            >
              ■ Cancel
            </button>
          </>
        )}
      </header>
      <div class="progress" title={run.running ? run.pass : run.message}>
        <div class="bar" style={{ width: `${pct}%` }} />
        <span data-testid="run-progress-label">{label}</span>
      </div>
      {run.error && <div class="error">{run.error.error}</div>}
      {run.nodes.length > 0 && (
        <div class="node-status">
          {run.nodes.map((n) => (
            <span
              class={`chip st-${(run.status[n] ?? 'pending').replace(' ', '-')}`}
              title={`${n}: ${run.status[n] ?? 'pending'}${run.seconds[n] !== undefined ? ` · ${run.seconds[n].toFixed(2)} s` : ''}`}
              data-node={n}
              data-status={run.status[n] ?? 'pending'}
            >
              {n}
            </span>
          ))}
        </div>
      )}
    </section>
  );
}
