/**
 * The analysis graph: boxes coloured by what `plan` says (cached / will run) and by the live run,
 * selection opens the node form; add a node from the op catalogue, delete the selected one; the
 * plan's reasons below.
 */
import { useMemo, useState } from 'preact/hooks';
import { layoutGraph } from '../lib/dag.ts';
import { isActivate } from '../lib/keys.ts';
import { useSelect } from '../lib/store.ts';
import { useWidth } from '../lib/use-width.ts';
import { edit, store } from '../state.ts';

/** Below this scale the node labels are too small to read: draw 1:1 and scroll instead. */
const MIN_FIT_SCALE = 0.7;

const COLOURS: Record<string, string> = {
  cached: '#1f5134',
  'will run': '#6b4a12',
  running: '#1d4f8a',
  computed: '#1d4f8a',
  cutoff: '#4d4d1a',
  pending: '#3a3f4b',
  failed: '#7a1f2b',
};

export function GraphView() {
  const graph = useSelect(store, (s) => s.graph);
  const plan = useSelect(store, (s) => s.plan);
  const run = useSelect(store, (s) => s.run);
  const selected = useSelect(store, (s) => s.selectedNode);
  const ops = useSelect(store, (s) => s.ops);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const version = useSelect(store, (s) => s.version);
  const [addOp, setAddOp] = useState('qoi.peak');
  const [addId, setAddId] = useState('');
  /** Fit the whole DAG to the panel's width (scaled down), or draw it 1:1 and scroll; by default fit while labels stay readable. */
  const [fitChoice, setFit] = useState<boolean | null>(null);
  const [box, W] = useWidth<HTMLElement>(480);
  const drawing = useMemo(() => (graph ? layoutGraph(graph) : null), [graph]);
  if (!graph || !drawing) return <section ref={box} class="panel" data-testid="graph" />;
  const fit = fitChoice ?? W / drawing.width >= MIN_FIT_SCALE;
  const planOf = new Map(plan.map((p) => [p.node, p]));
  const statusOf = (id: string) =>
    (run.running || run.runId
      ? run.status[id] && run.status[id] !== 'pending'
        ? run.status[id]
        : planOf.get(id)?.status
      : planOf.get(id)?.status) ?? 'pending';
  const willRun = plan.filter((p) => p.status === 'will run');

  const add = async () => {
    const id = addId.trim() || suggestId(addOp, graph.nodes);
    const op = ops[addOp];
    const inputs: Record<string, string> = {};
    if (selected && op) {
      const required = Object.entries(op.inputs).filter(([, s]) => !s.optional);
      if (required.length === 1) inputs[required[0][0]] = selected;
    }
    if (
      await edit(
        [
          {
            op: 'add',
            node: id,
            def: { op: addOp, in: inputs },
            output: op?.scope === 'frame' || addOp.startsWith('qoi.') || addOp.startsWith('map.'),
          },
        ],
        `add ${id} (${addOp})`,
      )
    ) {
      store.set({ selectedNode: id });
      setAddId('');
    }
  };
  const del = () =>
    selected &&
    edit([{ op: 'delete', node: selected }], `delete ${selected}`).then(
      (ok) => ok && store.set({ selectedNode: null }),
    );

  return (
    <section ref={box} class="panel" data-testid="graph" data-version={version}>
      <header>
        <h2>Graph</h2>
        <span class="sub">
          {Object.keys(graph.nodes).length} nodes · {willRun.length} will run
        </span>
        <span class="spacer" />
        {!readOnly && (
          <>
            <select
              value={addOp}
              onChange={(e) => setAddOp((e.target as HTMLSelectElement).value)}
              title="op to add"
              data-testid="add-op"
            >
              {Object.keys(ops)
                .sort()
                .map((o) => (
                  <option value={o}>{o}</option>
                ))}
            </select>
            <input
              class="id"
              placeholder={suggestId(addOp, graph.nodes)}
              value={addId}
              onInput={(e) => setAddId((e.target as HTMLInputElement).value)}
            />
            <button
              type="button"
              onClick={add}
              title="add a node (its one required input wired to the selected node)"
            >
              + add
            </button>
            <button type="button" disabled={!selected} onClick={del} title="delete the selected node">
              delete
            </button>
          </>
        )}
      </header>
      <div class="dag-wrap">
        <svg
          class="dag"
          viewBox={`0 0 ${drawing.width} ${drawing.height}`}
          {...(fit
            ? { style: { width: '100%', maxWidth: `${drawing.width}px`, height: 'auto' } }
            : { width: drawing.width, height: drawing.height })}
        >
          <title>the analysis graph: click a node (or focus it and press Enter) to edit it</title>
          <defs>
            <marker
              id="arr"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="6"
              markerHeight="6"
              orient="auto"
            >
              <path d="M0,0 L10,5 L0,10 z" fill="#6c7488" />
            </marker>
          </defs>
          {drawing.edges.map((e) => {
            const a = drawing.boxes.get(e.from)!;
            const b = drawing.boxes.get(e.to)!;
            const x0 = a.x + a.w;
            const y0 = a.y + a.h / 2;
            const x1 = b.x;
            const y1 = b.y + b.h / 2;
            const hot = selected === e.from || selected === e.to;
            return (
              <path
                d={`M${x0},${y0} C${x0 + 18},${y0} ${x1 - 18},${y1} ${x1 - 1},${y1}`}
                class={hot ? 'edge hot' : 'edge'}
                marker-end="url(#arr)"
              />
            );
          })}
          {[...drawing.boxes.values()].map((b) => {
            const st = statusOf(b.id);
            const n = graph.nodes[b.id];
            return (
              // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role, tabIndex and Enter/Space make the node one
              <g
                class={`dag-node${selected === b.id ? ' sel' : ''}`}
                data-node={b.id}
                data-status={st}
                transform={`translate(${b.x},${b.y})`}
                role="button"
                tabIndex={0}
                onClick={() => store.set({ selectedNode: b.id })}
                onKeyDown={(e) => isActivate(e) && store.set({ selectedNode: b.id })}
              >
                <title>{`${b.id} (${n.op}): ${st}${planOf.get(b.id)?.why ? ' — ' + planOf.get(b.id)!.why : ''}`}</title>
                <rect width={b.w} height={b.h} rx={4} fill={COLOURS[st] ?? '#3a3f4b'} />
                {graph.outputs.includes(b.id) && (
                  <rect x={b.w - 6} width={6} height={b.h} rx={2} fill="#9fb4ff" opacity={0.7} />
                )}
                <text x={6} y={14} class="dag-id">
                  {b.id.length > 16 ? b.id.slice(0, 15) + '…' : b.id}
                </text>
                <text x={6} y={27} class="dag-op">
                  {n.op}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <div class="legend">
        {(['cached', 'will run', 'computed', 'cutoff'] as const).map((k) => (
          <>
            <span class="sw" style={{ background: COLOURS[k] }} /> {k}{' '}
          </>
        ))}
        <span class="sw" style={{ background: '#9fb4ff' }} /> output
        <span class="spacer" />
        <button
          type="button"
          class="tool"
          data-testid="graph-fit"
          title={fit ? 'draw the graph 1:1 (scroll)' : 'fit the whole graph to the panel'}
          onClick={() => setFit(!fit)}
        >
          {fit ? '1:1' : 'fit'}
        </button>
      </div>
      <details class="plan" open={willRun.length > 0 && willRun.length < 12} data-testid="plan">
        <summary>
          plan: {plan.length - willRun.length} cached, {willRun.length} will run
        </summary>
        <ul>
          {willRun.map((p) => (
            <li>
              <b>{p.node}</b> <span class="muted">{p.why}</span>
              {p.chunks ? (
                <span class="muted">
                  {' '}
                  ({p.chunks.cached}/{p.chunks.total} chunks cached)
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function suggestId(op: string, nodes: Record<string, unknown>): string {
  const base =
    op
      .split('.')
      .pop()!
      .replace(/[^A-Za-z0-9]/g, '') || 'node';
  let i = 1;
  while (nodes[`${base}${i}`]) i++;
  return `${base}${i}`;
}
