/**
 * The selected node's form, generated from the op catalogue: inputs as selects of node ids, each
 * param by type (enum → select, boolean → checkbox, number → number with unit and range, arrays
 * and JSON as text), defaults as placeholders, the op's help text. Typing validates the variant
 * with the server's validator (its message next to the field) and, for per-position nodes,
 * previews the chain; a change commits an undoable edit.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Graph, type OpSpec, type ParamSpec, type Problem } from '../lib/api.ts';
import { useSelect } from '../lib/store.ts';
import { edit, refreshPreview, store } from '../state.ts';

export function NodeForm() {
  const graph = useSelect(store, (s) => s.graph);
  const id = useSelect(store, (s) => s.selectedNode);
  const ops = useSelect(store, (s) => s.ops);
  const problems = useSelect(store, (s) => s.problems);
  const readOnly = useSelect(store, (s) => s.readOnly);
  const node = id && graph ? graph.nodes[id] : null;
  const op = node ? ops[node.op] : null;
  if (!graph || !id || !node || !op)
    return (
      <section class="panel" data-testid="node-form">
        <header>
          <h2>Node</h2>
        </header>
        <p class="muted">Select a node in the graph to edit its params.</p>
      </section>
    );
  const refs = Object.keys(graph.nodes)
    .filter((k) => k !== id)
    .flatMap((k) => {
      const o = ops[graph.nodes[k].op];
      const fields = o ? Object.keys(o.outputs) : [];
      return [k, ...(fields.length > 1 ? fields.map((f) => `${k}.${f}`) : [])];
    });
  const own = (field: string) => problems.filter((p) => p.node === id && p.field === field);
  return (
    <section class="panel" data-testid="node-form" data-node={id}>
      <header>
        <h2>{id}</h2>
        <span class="sub mono">
          {op.name} v{op.version} · {op.scope === 'frame' ? 'per position' : 'dataset'}
        </span>
      </header>
      {op.description && <p class="help">{op.description}</p>}
      {node.description && <p class="help">{node.description}</p>}
      <div class="form">
        {Object.entries(op.inputs).map(([port, spec]) => (
          <div class="field">
            <label title={spec.description} for={`in-${id}-${port}`}>
              ⇠ {port}
              {spec.optional ? '' : ' *'}
            </label>
            <select
              id={`in-${id}-${port}`}
              disabled={readOnly}
              value={node.in?.[port] ?? ''}
              data-port={port}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                void edit(
                  [v ? { op: 'wire', node: id, port, from: v } : { op: 'unwire', node: id, port }],
                  v ? `wire ${id}.${port} ← ${v}` : `unwire ${id}.${port}`,
                );
              }}
            >
              <option value="">{spec.optional ? '(none)' : '(choose)'}</option>
              {refs.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
            <span class="unit" />
            <div class="hint">{spec.description}</div>
            {own(port).map((p) => (
              <div class="field-error">{p.error}</div>
            ))}
          </div>
        ))}
        {Object.entries(op.params).map(([name, spec]) => (
          <ParamField
            key={`${id}.${name}`}
            graph={graph}
            id={id}
            op={op}
            name={name}
            spec={spec}
            problems={own(name)}
            readOnly={readOnly}
          />
        ))}
      </div>
    </section>
  );
}

function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.join(', ');
  return JSON.stringify(v);
}

/** Parse what was typed into the param's type; an Error says what was expected. */
function parse(text: string, spec: ParamSpec): unknown {
  const t = text.trim();
  if (t === '') return null;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (t === 'inf' || t === 'auto') return t;
      const v = Number(t);
      if (!Number.isFinite(v)) throw new Error(`expected a number, got '${t}'`);
      return v;
    }
    case 'number[]': {
      if (t.startsWith('"') || t === 'auto') return t.replace(/"/g, '');
      const parts = t
        .replace(/^\[|\]$/g, '')
        .split(/[,\s]+/)
        .filter(Boolean)
        .map(Number);
      if (parts.some((x) => !Number.isFinite(x)))
        throw new Error(`expected numbers separated by commas, got '${t}'`);
      return parts;
    }
    case 'string':
      return t;
    default:
      try {
        return JSON.parse(t);
      } catch {
        return t;
      }
  }
}

function ParamField({
  graph,
  id,
  op,
  name,
  spec,
  problems,
  readOnly,
}: {
  graph: Graph;
  id: string;
  op: OpSpec;
  name: string;
  spec: ParamSpec;
  problems: Problem[];
  readOnly: boolean;
}) {
  const current = graph.nodes[id].params?.[name];
  const [text, setText] = useState(toText(current));
  const [msg, setMsg] = useState('');
  // Only the newest validation answer may set the message (answers can arrive out of order).
  const seq = useRef(0);
  useEffect(() => {
    setText(toText(current));
    setMsg('');
  }, [current]);
  const variantWith = (v: unknown): Graph => {
    const params = { ...graph.nodes[id].params };
    if (v === null) delete params[name];
    else params[name] = v;
    return { ...graph, nodes: { ...graph.nodes, [id]: { ...graph.nodes[id], params } } };
  };
  const tryLive = async (t: string) => {
    const my = ++seq.current;
    let v: unknown;
    try {
      v = parse(t, spec);
    } catch (e) {
      setMsg((e as Error).message);
      return;
    }
    const g = variantWith(v);
    const r = await api.validate(g);
    if (my !== seq.current) return;
    const mine = (r.problems ?? []).filter((p) => p.node === id);
    setMsg(r.ok ? '' : (mine.find((p) => p.field === name) ?? mine[0] ?? { error: r.error ?? '' }).error);
    if (r.ok && op.scope === 'frame') {
      const { cursor } = store.get();
      void refreshPreview(cursor.iy, cursor.ix, g);
    }
  };
  /** Validated first (a question, always 200): an invalid value stays in the field with the validator's message and is never sent as an edit. */
  const commit = async (v: unknown) => {
    const my = ++seq.current;
    if (JSON.stringify(v) === JSON.stringify(current ?? null)) return setMsg('');
    const r = await api.validate(variantWith(v));
    if (my !== seq.current) return;
    if (!r.ok) {
      const mine = (r.problems ?? []).filter((p) => p.node === id);
      const m = (mine.find((p) => p.field === name) ?? mine[0] ?? { error: r.error ?? 'invalid' }).error;
      setMsg(m);
      store.set({ notice: `${id}.${name} not changed: ${m}` });
      return;
    }
    void edit([{ op: 'set', node: id, param: name, value: v }], `${id}.${name} = ${JSON.stringify(v)}`);
  };
  const def =
    spec.default !== undefined
      ? toText(spec.default)
      : spec.auto
        ? 'auto'
        : spec.optional
          ? '(optional)'
          : '';
  const inputId = `param-${id}-${name}`;
  let input: preact.JSX.Element;
  if (spec.type === 'enum' && spec.values) {
    input = (
      <select
        id={inputId}
        disabled={readOnly}
        value={current === undefined ? '' : String(current)}
        data-param={name}
        onChange={(e) => void commit((e.target as HTMLSelectElement).value || null)}
      >
        <option value="">default ({def})</option>
        {spec.values.map((v) => (
          <option value={v}>{v}</option>
        ))}
      </select>
    );
  } else if (spec.type === 'boolean') {
    input = (
      <input
        id={inputId}
        type="checkbox"
        disabled={readOnly}
        data-param={name}
        checked={Boolean(current ?? spec.default)}
        onChange={(e) => void commit((e.target as HTMLInputElement).checked)}
      />
    );
  } else {
    input = (
      <input
        id={inputId}
        type="text"
        disabled={readOnly}
        data-param={name}
        class={msg || problems.length ? 'bad' : ''}
        value={text}
        placeholder={def}
        onInput={(e) => {
          const t = (e.target as HTMLInputElement).value;
          setText(t);
          void tryLive(t);
        }}
        onChange={(e) => {
          try {
            void commit(parse((e.target as HTMLInputElement).value, spec));
          } catch (err) {
            setMsg((err as Error).message);
          }
        }}
      />
    );
  }
  const range = [
    spec.min !== undefined
      ? `≥ ${spec.min}`
      : spec.exclusiveMin !== undefined
        ? `> ${spec.exclusiveMin}`
        : '',
    spec.max !== undefined ? `≤ ${spec.max}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <div class="field">
      <label title={spec.description} for={inputId}>
        {name}
      </label>
      {input}
      <span class="unit">{spec.unit ?? ''}</span>
      <div class="hint">
        {spec.type}
        {range ? ` (${range})` : ''}
        {spec.description ? ` — ${spec.description}` : ''}
      </div>
      {msg && (
        <div class="field-error" data-testid="field-error">
          {msg}
        </div>
      )}
      {problems.map((p) => (
        <div class="field-error" data-testid="field-error">
          {p.error}
        </div>
      ))}
    </div>
  );
}
