/**
 * The per-pattern chain at the selected position, computed by the server with the engine's op
 * code: I(Q) with and without the mask, S(Q), F(Q) with the rpoly polynomial, G(r) with the fit's
 * components and residual, and the position's QoI values. Pinned positions overlay their curves; an
 * ROI on the navigator overlays its mean curves (from the latest run) with a ±1σ or min–max band.
 * Quick params (automask α, qmin, qmax, rpoly) preview live while typing and become an edit on
 * change. A span dragged on I(Q) or G(r) becomes a qoi.peak or qoi.integral map, run at once.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Graph, Preview } from '../lib/api.ts';
import { fmt } from '../lib/colour.ts';
import { chainCurves, shortUnit, type ChainCurves } from '../lib/preview-curves.ts';
import { useSelect } from '../lib/store.ts';
import { useWidth } from '../lib/use-width.ts';
import { Plot, type Series } from '../components/Plot.tsx';
import { PIN_COLOURS } from './Navigator.tsx';
import { withRoi, type BandMode } from '../lib/roi-series.ts';
import { chainAt, edit, refreshPreview, report, setRoiChain, startRun, store } from '../state.ts';

const H = 170;

export function ChainView() {
  const preview = useSelect(store, (s) => s.preview);
  const previewError = useSelect(store, (s) => s.previewError);
  const ops = useSelect(store, (s) => s.ops);
  const graph = useSelect(store, (s) => s.graph);
  const cursor = useSelect(store, (s) => s.cursor);
  const pinned = useSelect(store, (s) => s.pinned);
  const version = useSelect(store, (s) => s.version);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const [logI, setLogI] = useState(false);
  const [span, setSpan] = useState<{ on: 'iq' | 'G'; x0: number; x1: number } | null>(null);
  const [pinPreviews, setPinPreviews] = useState<Preview[]>([]);
  const [box, W] = useWidth<HTMLElement>(440);
  const roi = useSelect(store, (s) => s.roi);
  const roiCurves = useSelect(store, (s) => s.roiCurves);
  const roiError = useSelect(store, (s) => s.roiError);
  const roiChain = useSelect(store, (s) => s.roiChain);
  const [band, setBand] = useState<BandMode>('sigma');
  const roiLabel = roiCurves ? `ROI mean (${roiCurves.positions})` : 'ROI mean';
  const plotWith = (series: Series[], key: 'I' | 'S' | 'F' | 'G') =>
    withRoi(series, roiCurves?.curves[key], band, roiLabel);

  const c = useMemo(() => (preview ? chainCurves(preview, ops, graph) : null), [preview, ops]);

  useEffect(() => {
    let stop = false;
    Promise.all(pinned.map((p) => chainAt(p.iy, p.ix))).then(
      (ps) => !stop && setPinPreviews(ps),
      (e) => report(e, 'pinned curves'),
    );
    return () => {
      stop = true;
    };
  }, [pinned, version]);
  const pins = useMemo(() => pinPreviews.map((p) => chainCurves(p, ops, graph)), [pinPreviews]);

  const here = preview?.roi ? `ROI mean pattern` : `(${cursor.iy}, ${cursor.ix})`;
  const pinSeries = (
    get: (k: ChainCurves) => { x: ArrayLike<number>; y: ArrayLike<number> } | undefined,
  ): Series[] =>
    pins.flatMap((k, i) => {
      const v = get(k);
      return v
        ? [
            {
              label: `(${pinned[i].iy}, ${pinned[i].ix})`,
              ...v,
              colour: PIN_COLOURS[i % PIN_COLOURS.length],
              width: 1,
            },
          ]
        : [];
    });

  /** The span as a new per-position map node (qoi.peak: position & height; qoi.integral: area & centroid), run at once. */
  const addSpanMap = async (op: 'qoi.peak' | 'qoi.integral', baseline?: 'linear') => {
    if (!span || !graph || !c) return;
    const src = span.on === 'iq' ? `${c.iqNode}.I` : `${c.pdfNode}.G`;
    const stem = op === 'qoi.peak' ? 'peak' : 'area';
    let i = 1;
    while (graph.nodes[`${stem}${i}`]) i++;
    const id = `${stem}${i}`;
    const range = [Number(span.x0.toFixed(3)), Number(span.x1.toFixed(3))];
    const params = { range, ...(baseline ? { baseline } : {}) };
    const first = op === 'qoi.peak' ? 'position' : 'integral';
    if (
      await edit(
        [{ op: 'add', node: id, def: { op, in: { curve: src }, params }, output: true }],
        `add ${id}: ${op === 'qoi.peak' ? 'peak' : 'integral'} of ${src} over [${range}]`,
      )
    ) {
      setSpan(null);
      // The new map beside the one already first in the navigator (more would stretch the left column).
      store.set((s) => ({
        navigator: [`${id}.${first}`, ...s.navigator.filter((k) => !k.startsWith(`${id}.`))].slice(0, 2),
      }));
      await startRun();
    }
  };

  return (
    <section
      ref={box}
      class="panel"
      data-testid="chain"
      data-position={preview ? (preview.roi ? 'roi' : `${preview.iy},${preview.ix}`) : ''}
      data-version={preview?.version ?? ''}
    >
      <header>
        <h2>Chain</h2>
        <span class="sub">
          {preview?.roi ? `mean pattern of ${preview.roi.count} positions` : `position ${here}`}{' '}
          {preview ? `· computed in ${fmt(preview.ms, 3)} ms` : ''}
        </span>
        <span class="spacer" />
        <button
          type="button"
          class="tool"
          title="pin this position: overlay its curves"
          disabled={pinned.some((p) => p.iy === cursor.iy && p.ix === cursor.ix)}
          onClick={() => store.set((s) => ({ pinned: [...s.pinned, cursor].slice(-6) }))}
        >
          pin
        </button>
        {pinned.length > 0 && (
          <button type="button" class="tool" onClick={() => store.set({ pinned: [] })}>
            unpin all
          </button>
        )}
      </header>
      {!readOnly && graph && <QuickParams graph={graph} />}
      {previewError && <div class="error">{previewError}</div>}
      {preview?.errors && Object.keys(preview.errors).length > 0 && (
        <details class="not-previewed">
          <summary>{Object.keys(preview.errors).length} node(s) not previewed at this position</summary>
          {Object.entries(preview.errors).map(([n, m]) => (
            <div>
              <b>{n}</b>: {m}
            </div>
          ))}
        </details>
      )}
      {span && (
        <div class="drawer">
          span {fmt(span.x0)}–{fmt(span.x1)} {span.on === 'iq' ? 'Å⁻¹ on I(Q)' : 'Å on G(r)'}
          <span class="muted">→ map:</span>
          <button
            type="button"
            data-testid="span-to-map"
            disabled={readOnly}
            title="qoi.peak: position and height of the maximum in the span"
            onClick={() => addSpanMap('qoi.peak')}
          >
            peak position &amp; height
          </button>
          <button
            type="button"
            data-testid="span-to-integral"
            disabled={readOnly}
            title="qoi.integral: area under the curve over the span and its centroid"
            onClick={() => addSpanMap('qoi.integral')}
          >
            integral &amp; centroid
          </button>
          <button
            type="button"
            data-testid="span-to-integral-bg"
            disabled={readOnly}
            title="qoi.integral with baseline linear: the area above the chord through the span's ends"
            onClick={() => addSpanMap('qoi.integral', 'linear')}
          >
            area above baseline
          </button>
          <span class="muted">(added and run at once)</span>
          <button type="button" onClick={() => setSpan(null)}>
            ✕
          </button>
        </div>
      )}
      {roi && (
        <div class="roi-bar row small" data-testid="roi-curves" data-count={roiCurves?.positions ?? ''}>
          <span class="roi-swatch" />
          {roiCurves ? (
            <span data-testid="roi-count">
              ROI: {roiCurves.positions} positions{roiCurves.failed ? ` (${roiCurves.failed} failed)` : ''} ·
              mean curves of run {roiCurves.runId ?? ''}
            </span>
          ) : roiError ? (
            <span class="muted">{roiError}</span>
          ) : (
            <span class="muted">ROI mean curves: loading…</span>
          )}
          <span class="spacer" />
          {!readOnly && (
            <label
              class="chk"
              title="run the chain view on the ROI's mean pattern (the curves of the averaged pattern, not the average of the curves)"
            >
              <input
                type="checkbox"
                data-testid="roi-chain"
                checked={roiChain}
                onChange={(e) => setRoiChain((e.target as HTMLInputElement).checked)}
              />
              chain on mean pattern
            </label>
          )}
          <label class="chk">
            band
            <select value={band} onChange={(e) => setBand((e.target as HTMLSelectElement).value as BandMode)}>
              <option value="sigma">mean ± 1σ</option>
              <option value="minmax">min – max</option>
            </select>
          </label>
        </div>
      )}
      {c?.iq && (
        <>
          <div class="row small">
            <label>
              <input
                type="checkbox"
                checked={logI}
                onChange={(e) => setLogI((e.target as HTMLInputElement).checked)}
              />{' '}
              log I
            </label>
            <span class="muted">drag on I(Q) or G(r) to select a span → map</span>
          </div>
          <Plot
            testid="plot-iq"
            title={`I(Q) · ${c.iqNode}`}
            xLabel="Q (Å⁻¹)"
            yLabel="I (counts/px)"
            width={W}
            height={H}
            logY={logI}
            {...plotWith(
              [
                { label: `masked ${here}`, ...c.iq, colour: '#ff5ec4' },
                ...(c.iqUnmasked
                  ? [{ label: 'no mask', ...c.iqUnmasked, colour: '#8a93a8', dash: [4, 3], width: 1 }]
                  : []),
                ...pinSeries((k) => k.iq),
              ],
              'I',
            )}
            onSpan={(x0, x1) => setSpan({ on: 'iq', x0, x1 })}
          />
        </>
      )}
      {c?.S && (
        <Plot
          testid="plot-sq"
          title={`S(Q) · ${c.pdfNode}`}
          xLabel="Q (Å⁻¹)"
          yLabel="S(Q)"
          width={W}
          height={H - 20}
          {...plotWith([{ label: `S ${here}`, ...c.S, colour: '#74c0fc' }, ...pinSeries((k) => k.S)], 'S')}
        />
      )}
      {c?.F && (
        <Plot
          testid="plot-fq"
          title="F(Q) = Q(S−1) − P(Q)"
          xLabel="Q (Å⁻¹)"
          yLabel="F (Å⁻¹)"
          width={W}
          height={H - 20}
          {...plotWith(
            [
              { label: 'F', ...c.F, colour: '#ffa94d' },
              ...(c.QS1 ? [{ label: 'Q(S−1)', ...c.QS1, colour: '#8a93a8', width: 1 }] : []),
              ...(c.P ? [{ label: 'rpoly P(Q)', ...c.P, colour: '#69db7c', dash: [5, 3] }] : []),
              ...pinSeries((k) => k.F),
            ],
            'F',
          )}
        />
      )}
      {c?.G && (
        <Plot
          testid="plot-gr"
          title={`G(r) · ${c.pdfNode}${c.fit ? ` + ${c.fitNode === 'fit' ? 'fit' : `fit '${c.fitNode}'`}` : ''}`}
          xLabel="r (Å)"
          yLabel="G (Å⁻²)"
          width={W}
          height={H + 20}
          {...plotWith(
            [
              { label: `G ${here}`, ...c.G, colour: '#e9ecef' },
              ...(c.fit
                ? [
                    { label: 'fit', x: c.fit.x, y: c.fit.model, colour: '#ffd43b', width: 1.5 },
                    ...c.fit.components.map((y, i) => ({
                      label: `peak ${i + 1}`,
                      x: c.fit!.x,
                      y,
                      colour: ['#4dabf7', '#f783ac', '#63e6be', '#b197fc'][i % 4],
                      dash: [4, 3],
                      width: 1,
                    })),
                    { label: 'residual', x: c.fit.x, y: c.fit.residual, colour: '#ff6b6b', width: 1 },
                  ]
                : []),
              ...pinSeries((k) => k.G),
            ],
            'G',
          )}
          onSpan={(x0, x1) => setSpan({ on: 'G', x0, x1 })}
        />
      )}
      {c && c.values.length > 0 && <QoiValues values={c.values} />}
      {!preview && !previewError && (
        <p class="muted">
          {readOnly ? 'read-only: curves of the run are under Maps' : 'computing the chain…'}
        </p>
      )}
    </section>
  );
}

/** The params people tune most, live: typing previews (unsaved variant), change commits an edit. */
function QuickParams({ graph }: { graph: Graph }) {
  const ids = (op: string) => Object.keys(graph.nodes).filter((k) => graph.nodes[k].op === op);
  const fields: { node: string; param: string; label: string; step: number }[] = [];
  for (const id of ids('mask.auto').slice(0, 1))
    fields.push({ node: id, param: 'alpha', label: `${id} α`, step: 0.1 });
  for (const id of ids('pdf.reduce').slice(0, 1)) {
    fields.push({ node: id, param: 'qmin', label: 'qmin Å⁻¹', step: 0.1 });
    fields.push({ node: id, param: 'qmax', label: 'qmax Å⁻¹', step: 0.1 });
    fields.push({ node: id, param: 'rpoly', label: 'rpoly Å', step: 0.1 });
  }
  return (
    <div class="quick row small">
      {fields.map((f) => (
        <ParamInput key={`${f.node}.${f.param}`} graph={graph} {...f} />
      ))}
    </div>
  );
}

function ParamInput({
  graph,
  node,
  param,
  label,
  step,
}: {
  graph: Graph;
  node: string;
  param: string;
  label: string;
  step: number;
}) {
  const current = graph.nodes[node]?.params?.[param];
  const [text, setText] = useState(current === undefined ? '' : String(current));
  useEffect(() => setText(current === undefined ? '' : String(current)), [current]);
  const variant = (v: number): Graph => ({
    ...graph,
    nodes: {
      ...graph.nodes,
      [node]: { ...graph.nodes[node], params: { ...graph.nodes[node].params, [param]: v } },
    },
  });
  return (
    <label class="quick-param">
      {label}
      <input
        type="number"
        step={step}
        value={text}
        data-testid={`quick-${node}-${param}`}
        onInput={(e) => {
          const t = (e.target as HTMLInputElement).value;
          setText(t);
          const v = Number(t);
          if (t !== '' && Number.isFinite(v)) {
            const { cursor } = store.get();
            void refreshPreview(cursor.iy, cursor.ix, variant(v));
          }
        }}
        onChange={(e) => {
          const v = Number((e.target as HTMLInputElement).value);
          if (Number.isFinite(v) && v !== current)
            void edit([{ op: 'set', node, param, value: v }], `${node}.${param} = ${v}`);
        }}
      />
    </label>
  );
}

/** The position's scalar results, uncertainties (field_err) folded in as ±, bookkeeping fields left out. */
function QoiValues({ values }: { values: { key: string; value: number; unit: string }[] }) {
  const byKey = new Map(values.map((v) => [v.key, v]));
  const shown = values.filter((v) => !v.key.endsWith('_err') && !/\.(iterations|chi2)$/.test(v.key));
  return (
    <div class="qoi" data-testid="qoi-values">
      {shown.map((v) => {
        const err = byKey.get(`${v.key}_err`);
        return (
          <div class="qoi-item" title={`${v.key} ${v.unit}`}>
            <span class="k">{v.key}</span>
            <span class="v mono">
              {fmt(v.value)}
              {err ? ` ± ${fmt(err.value, 2)}` : ''}
              {v.unit ? <span class="u"> {shortUnit(v.unit)}</span> : null}
            </span>
          </div>
        );
      })}
    </div>
  );
}
