/**
 * The navigator: one or more maps of the graph side by side, in sync (one cursor, one ROI), VBF
 * by default, the live virtual image while a detector is drawn. Click picks a position, the
 * rectangle / lasso tools select an ROI (the pattern view then shows its mean), arrow keys move
 * the cursor. Colormap, log and limits are applied here from the typed arrays.
 */
import { useEffect, useState } from 'preact/hooks';
import { COLORMAPS, autoLimits, fmt, type ColormapName, type Scale } from '../lib/colour.ts';
import type { ArrayFrame } from '../lib/api.ts';
import { defaultScale } from '../lib/map-scale.ts';
import { roiPositions } from '../lib/roi.ts';
import { useSelect } from '../lib/store.ts';
import { MapCanvas, type MapTool } from '../components/MapCanvas.tsx';
import { Colourbar } from '../components/Colourbar.tsx';
import { clearRoi, loadMap, mapKey, select, selectRoi, store, virtualNodes } from '../state.ts';

const WIDTH = 300;
/** Tall scans (e.g. 289 × 132) are drawn narrower so the navigator stays on screen. */
const widthFor = (ny: number, nx: number) => Math.round(Math.min(WIDTH, (420 * nx) / ny));

export function Navigator() {
  const maps = useSelect(store, (s) => s.maps);
  const keys = useSelect(store, (s) => s.navigator);
  const session = useSelect(store, (s) => s.session);
  const live = useSelect(store, (s) => s.live);
  const [tool, setTool] = useState<MapTool>('pick');
  const [ny, nx] = session?.scan ?? [1, 1];
  const available = maps.filter((m) => m.available);
  const graph = useSelect(store, (s) => s.graph);
  const virtual = graph ? virtualNodes() : [];

  useEffect(() => {
    for (const k of keys) void loadMap(k);
  }, [keys, maps]);

  const setKey = (i: number, key: string) =>
    store.set((s) => ({ navigator: s.navigator.map((k, j) => (j === i ? key : k)) }));
  const addView = () => {
    const next = [...available.map(mapKey), ...virtual].find((k) => !keys.includes(k));
    if (next) store.set((s) => ({ navigator: [...s.navigator, next] }));
  };
  return (
    <section class="panel" data-testid="navigator">
      <header>
        <h2>Navigator</h2>
        <span class="sub">
          {ny} × {nx} positions
        </span>
        <span class="spacer" />
        {(['pick', 'rect', 'lasso'] as MapTool[]).map((t) => (
          <button
            type="button"
            class={tool === t ? 'tool on' : 'tool'}
            data-tool={t}
            title={
              t === 'pick' ? 'pick a position (arrow keys move it)' : `${t} ROI: mean pattern and curves`
            }
            onClick={() => setTool(t)}
          >
            {t === 'pick' ? 'pick' : t === 'rect' ? '▭ rect' : '◌ lasso'}
          </button>
        ))}
        <button type="button" class="tool" title="clear ROI" onClick={clearRoi}>
          ✕
        </button>
      </header>
      <div class="nav-maps">
        {live && (
          <NavMap
            label={`live ${live.detector.shape} (${live.frame.head.exact ? 'exact' : 'summary'}, ${Math.round(Number(live.frame.head.ms ?? 0))} ms)`}
            frame={live.frame}
            keyName="live"
            tool={tool}
            testid="navigator-live"
          />
        )}
        {keys.map((k, i) => (
          <div class="nav-slot">
            <div class="row">
              <select
                value={k}
                onChange={(e) => setKey(i, (e.target as HTMLSelectElement).value)}
                data-testid={`navigator-select-${i}`}
              >
                {maps.map((m) => (
                  <option value={mapKey(m)} disabled={!m.available && !virtual.includes(mapKey(m))}>
                    {mapKey(m)}
                    {m.unit ? ` (${m.unit})` : ''}
                    {m.available ? '' : virtual.includes(mapKey(m)) ? ' — live' : ' — not run'}
                  </option>
                ))}
                {virtual
                  .filter((k) => !maps.some((m) => mapKey(m) === k))
                  .map((k) => (
                    <option value={k}>{k} — live</option>
                  ))}
              </select>
              {keys.length > 1 && (
                <button
                  type="button"
                  class="tool"
                  title="remove this view"
                  onClick={() => store.set((s) => ({ navigator: s.navigator.filter((_, j) => j !== i) }))}
                >
                  ✕
                </button>
              )}
            </div>
            <NavMapByKey keyName={k} tool={tool} ny={ny} nx={nx} />
          </div>
        ))}
        {keys.length < 4 && available.length + virtual.length > keys.length && (
          <button type="button" class="add-view" onClick={addView}>
            + another map in sync
          </button>
        )}
        {keys.length === 0 && <p class="muted">No map yet: run the graph (▶ Run) to see maps here.</p>}
      </div>
    </section>
  );
}

function NavMapByKey({ keyName, tool, ny, nx }: { keyName: string; tool: MapTool; ny: number; nx: number }) {
  const frame = useSelect(store, (s) => s.mapData[keyName]);
  if (!frame)
    return (
      <div
        class="placeholder"
        style={{ width: `${widthFor(ny, nx)}px`, height: `${(widthFor(ny, nx) * ny) / nx}px` }}
      >
        loading…
      </div>
    );
  return (
    <NavMap label={keyName} frame={frame} keyName={keyName} tool={tool} testid={`navigator-map-${keyName}`} />
  );
}

function NavMap({
  frame,
  keyName,
  tool,
  testid,
  label,
}: {
  frame: ArrayFrame;
  keyName: string;
  tool: MapTool;
  testid: string;
  label: string;
}) {
  const cursor = useSelect(store, (s) => s.cursor);
  const roi = useSelect(store, (s) => s.roi);
  const pinned = useSelect(store, (s) => s.pinned);
  const own = useSelect(store, (s) => s.scales[keyName]);
  const [ny, nx] = frame.head.shape as [number, number];
  const [node, field] = [
    frame.head.node ?? keyName.split('.')[0],
    frame.head.field ?? keyName.split('.').slice(1).join('.'),
  ];
  const base = own ?? defaultScale(frame, node, field);
  const scale: Scale = keyName === 'live' && !own ? { ...base, colormap: 'gray' } : base;
  const setScale = (s: Scale) => store.set((st) => ({ scales: { ...st.scales, [keyName]: s } }));
  const value = frame.data[cursor.iy * nx + cursor.ix];
  return (
    <div class="nav-map">
      <MapCanvas
        values={frame.data}
        ny={ny}
        nx={nx}
        width={widthFor(ny, nx)}
        scale={scale}
        cursor={cursor}
        roi={roi}
        pinned={pinned.map((p, i) => ({ ...p, colour: PIN_COLOURS[i % PIN_COLOURS.length] }))}
        tool={tool}
        testid={testid}
        onPick={(iy, ix) => void select(iy, ix)}
        onRoi={(r) =>
          void selectRoi(
            r,
            roiPositions(r, ny, nx).map(([iy, ix]) => iy * nx + ix),
          )
        }
      />
      <Colourbar scale={scale} unit={frame.head.unit} width={widthFor(ny, nx)} />
      <div class="row small">
        <span class="mono" data-testid={`${testid}-value`}>
          {label} @ ({cursor.iy}, {cursor.ix}) = {fmt(value)} {frame.head.unit ?? ''}
        </span>
        <span class="spacer" />
        <select
          value={scale.colormap}
          onChange={(e) =>
            setScale({ ...scale, colormap: (e.target as HTMLSelectElement).value as ColormapName })
          }
        >
          {COLORMAPS.map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={scale.log}
            onChange={(e) => {
              const log = (e.target as HTMLInputElement).checked;
              const [lo, hi] = autoLimits(frame.data, log);
              setScale({ ...scale, log, lo, hi });
            }}
          />
          log
        </label>
        <input
          class="num"
          type="number"
          step="any"
          value={fmt(scale.lo)}
          title="lower colour limit"
          onChange={(e) => setScale({ ...scale, lo: Number((e.target as HTMLInputElement).value) })}
        />
        <input
          class="num"
          type="number"
          step="any"
          value={fmt(scale.hi)}
          title="upper colour limit"
          onChange={(e) => setScale({ ...scale, hi: Number((e.target as HTMLInputElement).value) })}
        />
        <button
          type="button"
          class="tool"
          title="auto limits (1–99 %)"
          onClick={() =>
            store.set((st) => ({
              scales: Object.fromEntries(Object.entries(st.scales).filter(([k]) => k !== keyName)),
            }))
          }
        >
          auto
        </button>
      </div>
    </div>
  );
}

export const PIN_COLOURS = ['#7ee0ff', '#ffa94d', '#b197fc', '#69db7c', '#ff8787', '#ffd43b'];
