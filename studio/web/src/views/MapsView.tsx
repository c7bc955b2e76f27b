/**
 * Explore: every available map in a grid (click → that position everywhere), the focused map
 * large with its histogram and draggable colour limits (saved as the node's `display`), a line
 * tool giving a profile (with a button that adds the same cut as a `map.cut` node), and export of
 * what is shown (PNG, float TIFF, CSV, with provenance, from the server's exporter).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type ArrayFrame, type DisplaySettings } from '../lib/api.ts';
import { fmt, toImageData, type Scale } from '../lib/colour.ts';
import { defaultScale } from '../lib/map-scale.ts';
import { isActivate } from '../lib/keys.ts';
import { lineProfile } from '../lib/roi.ts';
import { useSelect } from '../lib/store.ts';
import { Colourbar } from '../components/Colourbar.tsx';
import { Histogram } from '../components/Histogram.tsx';
import { MapCanvas, type MapTool } from '../components/MapCanvas.tsx';
import { Plot } from '../components/Plot.tsx';
import { PIN_COLOURS } from './Navigator.tsx';
import { edit, loadMap, mapKey, select, store } from '../state.ts';

const THUMB = 150;
const BIG = 340;

export function MapsView() {
  const maps = useSelect(store, (s) => s.maps);
  const mapData = useSelect(store, (s) => s.mapData);
  const cursor = useSelect(store, (s) => s.cursor);
  const pinned = useSelect(store, (s) => s.pinned);
  const scales = useSelect(store, (s) => s.scales);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const graph = useSelect(store, (s) => s.graph);
  const [all, setAll] = useState(false);
  // Uncertainties and solver bookkeeping (fit.c1_err, iterations, chi2) stay out of the grid unless asked.
  const available = maps.filter((m) => m.available && (all || !/(_err|^iterations|^chi2)$/.test(m.field)));
  const hidden = maps.filter((m) => m.available).length - available.length;
  const [focus, setFocus] = useState<string | null>(null);
  const [tool, setTool] = useState<MapTool>('pick');
  const [line, setLine] = useState<[[number, number], [number, number]] | null>(null);

  useEffect(() => {
    for (const m of available.slice(0, 40)) void loadMap(mapKey(m));
  }, [maps]);
  const focusKey =
    focus && available.some((m) => mapKey(m) === focus) ? focus : available[0] ? mapKey(available[0]) : null;
  const frame = focusKey ? mapData[focusKey] : undefined;
  const info = available.find((m) => mapKey(m) === focusKey);
  const scaleOf = (key: string): Scale | null => {
    const f = mapData[key];
    const m = maps.find((x) => mapKey(x) === key);
    return f && m ? (scales[key] ?? defaultScale(f, m.node, m.field, m.op)) : null;
  };
  const pins = pinned.map((p, i) => ({ ...p, colour: PIN_COLOURS[i % PIN_COLOURS.length] }));

  if (!available.length)
    return (
      <section class="panel" data-testid="maps">
        <header>
          <h2>Maps</h2>
        </header>
        <p class="muted">No maps yet: ▶ Run the graph on the scan; maps appear here as their nodes finish.</p>
      </section>
    );

  const [ny, nx] = frame ? (frame.head.shape as [number, number]) : [1, 1];
  const scale = focusKey ? scaleOf(focusKey) : null;
  const profile = frame && line ? lineProfile(frame.data, ny, nx, line[0], line[1]) : null;
  const saveLimits = (lo: number, hi: number) => {
    if (!info || !graph || readOnly) return;
    const cur = (graph.nodes[info.node]?.display ?? {}) as DisplaySettings;
    const fieldCount = Object.keys(store.get().ops[info.op]?.outputs ?? {}).length;
    const lim = [Number(lo.toPrecision(5)), Number(hi.toPrecision(5))];
    const display =
      fieldCount > 1
        ? {
            ...cur,
            fields: {
              ...(cur.fields ?? {}),
              [info.field]: { ...(cur.fields?.[info.field] ?? {}), limits: lim, colormap: scale!.colormap },
            },
          }
        : { ...cur, limits: lim, colormap: scale!.colormap };
    void edit(
      [{ op: 'display', node: info.node, display }],
      `${info.node} display limits ${lim.join(' … ')}`,
    );
  };

  return (
    <section class="panel" data-testid="maps">
      <header>
        <h2>Maps</h2>
        <span class="sub">{available.length} maps · click a map to go to that position</span>
        <span class="spacer" />
        {(hidden > 0 || all) && (
          <label class="chk">
            <input
              type="checkbox"
              checked={all}
              onChange={(e) => setAll((e.target as HTMLInputElement).checked)}
            />
            uncertainties &amp; solver fields{all ? '' : ` (${hidden})`}
          </label>
        )}
        {(['pick', 'line'] as MapTool[]).map((t) => (
          <button
            type="button"
            class={tool === t ? 'tool on' : 'tool'}
            data-tool={`maps-${t}`}
            onClick={() => setTool(t)}
            title={t === 'line' ? 'draw a line on the large map → profile' : 'pick a position'}
          >
            {t === 'pick' ? 'pick' : '╱ line'}
          </button>
        ))}
      </header>
      <div class="maps-body">
        {frame && scale && info && (
          <div class="map-focus">
            <div class="row">
              <b>{focusKey}</b>
              <span class="muted">{info.unit ?? ''}</span>
              <span class="spacer" />
              <button
                type="button"
                data-testid="export-png"
                title="the map as shown (colormap and limits), nearest-neighbour enlarged"
                onClick={() => downloadPng(frame.data, ny, nx, scale, `${focusKey}.png`)}
              >
                PNG
              </button>
              {(['tiff', 'csv'] as const).map((f) => (
                <a
                  class="button"
                  href={api.exportUrl(info.node, info.field, f)}
                  download
                  data-testid={`export-${f}`}
                  title="the values of the latest run, with provenance (snem export)"
                >
                  {f === 'tiff' ? 'float TIFF' : 'CSV'}
                </a>
              ))}
            </div>
            <MapCanvas
              values={frame.data}
              ny={ny}
              nx={nx}
              width={BIG}
              scale={scale}
              cursor={cursor}
              pinned={pins}
              line={line ? ([line[0], line[1]] as [[number, number], [number, number]]) : null}
              tool={tool}
              testid="maps-focus"
              onPick={(iy, ix) => void select(iy, ix)}
              onLine={(a, b) => setLine([a, b])}
            />
            <Histogram
              values={frame.data}
              scale={scale}
              unit={info.unit}
              width={BIG}
              onLimits={(lo, hi, commit) => (
                store.set((s) => ({ scales: { ...s.scales, [focusKey!]: { ...scale, lo, hi } } })),
                commit && saveLimits(lo, hi)
              )}
            />
            {profile && (
              <div class="profile">
                <Plot
                  testid="profile"
                  title={`profile of ${focusKey}`}
                  xLabel="distance (scan steps)"
                  yLabel={info.unit ?? 'value'}
                  width={BIG}
                  height={140}
                  series={[{ label: focusKey!, x: profile.s, y: profile.v, colour: '#7ee0ff' }]}
                />
                <div class="row small">
                  <span class="mono">
                    [{profile.from.join(', ')}] → [{profile.to.join(', ')}]
                  </span>
                  <span class="spacer" />
                  <button
                    type="button"
                    disabled={readOnly}
                    data-testid="add-cut"
                    onClick={() => {
                      let i = 1;
                      while (graph?.nodes[`cut${i}`]) i++;
                      void edit(
                        [
                          {
                            op: 'add',
                            node: `cut${i}`,
                            def: {
                              op: 'map.cut',
                              in: { map: `${info.node}.${info.field}` },
                              params: { from: profile.from, to: profile.to },
                            },
                            output: true,
                          },
                        ],
                        `add map.cut cut${i}`,
                      );
                    }}
                  >
                    add as map.cut node
                  </button>
                  <button type="button" onClick={() => setLine(null)}>
                    ✕
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
        <div class="map-grid">
          {available.map((m) => {
            const k = mapKey(m);
            const f = mapData[k];
            const s = scaleOf(k);
            return (
              // biome-ignore lint/a11y/useSemanticElements: a thumbnail holds a title, a canvas and a caption, block content a <button> may not hold
              <div
                class={`thumb${k === focusKey ? ' sel' : ''}`}
                role="button"
                tabIndex={0}
                onClick={() => setFocus(k)}
                onKeyDown={(e) => isActivate(e) && setFocus(k)}
                data-map={k}
              >
                <div class="thumb-title" title={k}>
                  {k}
                </div>
                {f && s ? (
                  <MapCanvas
                    values={f.data}
                    ny={f.head.shape[0]}
                    nx={f.head.shape[1]}
                    width={THUMB}
                    scale={s}
                    cursor={cursor}
                    pinned={pins}
                    onPick={(iy, ix) => (setFocus(k), void select(iy, ix))}
                  />
                ) : (
                  <div class="placeholder" style={{ width: `${THUMB}px`, height: `${THUMB / 2}px` }}>
                    …
                  </div>
                )}
                <div class="thumb-value mono">
                  {f ? fmt(f.data[cursor.iy * f.head.shape[1] + cursor.ix]) : ''} {m.unit ?? ''}
                </div>
              </div>
            );
          })}
        </div>
      </div>
      <Compare />
    </section>
  );
}

/** Two runs side by side: the difference map of one output (b − a) with its statistics. */
function Compare() {
  const maps = useSelect(store, (s) => s.maps);
  const [runs, setRuns] = useState<{ runId: string; time: string }[]>([]);
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [key, setKey] = useState('');
  const [diff, setDiff] = useState<(ArrayFrame & { what: string; unit: string | null }) | null>(null);
  const [err, setErr] = useState('');
  const refresh = () => api.runs().then(setRuns, (e) => setErr(String(e.message ?? e)));
  return (
    <details
      class="compare"
      data-testid="compare"
      onToggle={(e) => (e.target as HTMLDetailsElement).open && refresh()}
    >
      <summary>compare two runs (difference map)</summary>
      <div class="row small">
        <select
          data-testid="compare-a"
          value={a}
          onChange={(e) => setA((e.target as HTMLSelectElement).value)}
        >
          <option value="">run a</option>
          {runs.map((r) => (
            <option value={r.runId}>{r.runId}</option>
          ))}
        </select>
        <select
          data-testid="compare-b"
          value={b}
          onChange={(e) => setB((e.target as HTMLSelectElement).value)}
        >
          <option value="">run b</option>
          {runs.map((r) => (
            <option value={r.runId}>{r.runId}</option>
          ))}
        </select>
        <select
          data-testid="compare-map"
          value={key}
          onChange={(e) => setKey((e.target as HTMLSelectElement).value)}
        >
          <option value="">map</option>
          {maps.map((m) => (
            <option value={mapKey(m)}>{mapKey(m)}</option>
          ))}
        </select>
        <button
          type="button"
          data-testid="compare-go"
          disabled={!a || !b || !key}
          onClick={async () => {
            const m = maps.find((x) => mapKey(x) === key)!;
            try {
              const d = await api.mapDiff(a, b, m.node, m.field);
              setDiff({ ...d, what: `${key}: ${b} − ${a}`, unit: m.unit });
              setErr('');
            } catch (e) {
              setErr((e as Error).message);
            }
          }}
        >
          b − a
        </button>
      </div>
      {err && <div class="error">{err}</div>}
      {diff && <DiffMap diff={diff} />}
    </details>
  );
}

/** The difference map, symmetric about 0, with its colour bar in the map's unit and its statistics. */
function DiffMap({ diff }: { diff: ArrayFrame & { what: string; unit: string | null } }) {
  const m = diff.head.maxAbs || 1;
  const scale: Scale = { colormap: 'RdBu_r', lo: -m, hi: m, log: false };
  const u = diff.unit ? ` ${diff.unit}` : '';
  return (
    <div class="diff">
      <div class="mono small">{diff.what}</div>
      <span class="mono small" data-testid="diff-stats" data-max-abs={diff.head.maxAbs}>
        max |Δ| {fmt(diff.head.maxAbs)}
        {u} · RMS {fmt(diff.head.rms)}
        {u} · Pearson r {fmt(diff.head.pearson)}
      </span>
      <MapCanvas
        values={diff.data}
        ny={diff.head.shape[0]}
        nx={diff.head.shape[1]}
        width={BIG}
        scale={scale}
      />
      <Colourbar scale={scale} unit={`Δ${u}`} width={BIG} />
    </div>
  );
}

/** Save the map as shown: its colours, each position a k × k block (k so the image is ≥ 480 px wide). */
function downloadPng(values: Float32Array, ny: number, nx: number, scale: Scale, name: string) {
  const k = Math.max(1, Math.ceil(480 / nx));
  const src = document.createElement('canvas');
  src.width = nx;
  src.height = ny;
  src.getContext('2d')!.putImageData(toImageData(values, nx, ny, scale), 0, 0);
  const out = document.createElement('canvas');
  out.width = nx * k;
  out.height = ny * k;
  const g = out.getContext('2d')!;
  g.imageSmoothingEnabled = false;
  g.drawImage(src, 0, 0, nx * k, ny * k);
  out.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
}
