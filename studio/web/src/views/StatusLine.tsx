/**
 * The status line at the foot of the page: the selected position (or the ROI), the chain's timing,
 * the position's QoI values with their units, and the run state — what a person reads without
 * looking for it in the panels.
 */
import { useMemo } from 'preact/hooks';
import { fmt } from '../lib/colour.ts';
import { chainCurves, shortUnit } from '../lib/preview-curves.ts';
import { useSelect } from '../lib/store.ts';
import { store } from '../state.ts';

/** The quantities a person derived first (peaks, integrals, expressions), then fits; the rest after (unsigned −1 ranks last). */
const PRIORITY = ['qoi.peak', 'qoi.integral', 'qoi.expr', 'qoi.sro', 'fit.gaussians'];
/** How many QoI values fit on the line; the rest are in the chain view. */
const SHOWN = 8;

export function StatusLine() {
  const cursor = useSelect(store, (s) => s.cursor);
  const preview = useSelect(store, (s) => s.preview);
  const previewError = useSelect(store, (s) => s.previewError);
  const ops = useSelect(store, (s) => s.ops);
  const graph = useSelect(store, (s) => s.graph);
  const roiCurves = useSelect(store, (s) => s.roiCurves);
  const roi = useSelect(store, (s) => s.roi);
  const run = useSelect(store, (s) => s.run);
  const scan = useSelect(store, (s) => s.session?.scan);
  const values = useMemo(() => {
    if (!preview) return [];
    const vs = chainCurves(preview, ops, graph).values.filter(
      (v) => !/_err$|\.(iterations|chi2|status)$/.test(v.key),
    );
    const rank = (key: string) => PRIORITY.indexOf(graph?.nodes[key.split('.')[0]]?.op ?? '') >>> 0;
    return vs
      .map((v, i) => ({ v, i }))
      .sort((a, b) => rank(a.v.key) - rank(b.v.key) || a.i - b.i)
      .map((x) => x.v);
  }, [preview, ops]);
  const fresh = preview && preview.iy === cursor.iy && preview.ix === cursor.ix;
  return (
    <footer class="status-line" data-testid="status-line">
      <span class="status-pos mono" data-testid="status-position">
        position ({cursor.iy}, {cursor.ix}){scan ? ` of ${scan[0]} × ${scan[1]}` : ''}
      </span>
      {roi && <span class="status-roi">ROI {roiCurves ? `${roiCurves.positions} positions` : '…'}</span>}
      <span class="status-qoi mono" data-testid="status-qoi">
        {previewError ? (
          <span class="status-err">chain: {previewError}</span>
        ) : !fresh ? (
          <span class="muted">computing the chain…</span>
        ) : (
          values.slice(0, SHOWN).map((v) => (
            <span class="kv" title={`${v.key} ${v.unit}`}>
              <span class="k">{v.key}</span> {fmt(v.value)}
              {v.unit ? <span class="u"> {shortUnit(v.unit)}</span> : null}
            </span>
          ))
        )}
      </span>
      <span class="spacer" />
      {fresh && preview && <span class="muted mono">chain {fmt(preview.ms, 3)} ms</span>}
      <span class={run.running ? 'status-run on' : 'status-run'}>
        {run.running
          ? `running ${run.pass ? `${run.pass} ` : ''}${run.done}/${run.total}`
          : run.message || 'idle'}
      </span>
    </footer>
  );
}
