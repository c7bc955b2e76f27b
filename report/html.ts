/**
 * report.html: one self-contained page (every image a data URI, a Content-Security-Policy that
 * forbids any fetch), readable offline and printable.
 */
import type { Json } from '../engine/types.ts';
import type { Manifest } from '../engine/run-types.ts';
import { escapeXml as esc } from '../viz/raster.ts';
import type { Figure } from './figures.ts';
import { positionName, type Position } from './positions.ts';
import type { FileProvenance } from './provenance.ts';

export interface ReportParts {
  manifest: Manifest;
  dag: string;
  overview: Figure | null;
  figures: Figure[];
  positions: Position[];
  files: FileProvenance[];
  problems: string[];
}

const STYLE = `
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 20px 40px;color:#1a1a1a;font-size:14px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
nav a{margin-right:14px}.muted{color:#666}.grid{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0;border:1px solid #e2e2e2;border-radius:6px;padding:8px;background:#fff;max-width:100%}
figure img{display:block;max-width:100%;height:auto}figcaption{font-size:12px;color:#444;margin-top:6px;max-width:560px}
figcaption code,td code{font-size:11px;word-break:break-all}details summary{cursor:pointer;color:#245}
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.computed{background:#dbeafe}.cached{background:#dcfce7}.cutoff{background:#fef3c7}
.dag{overflow-x:auto}.problem{color:#a00}
@media print{nav{display:none}figure{break-inside:avoid}}`;

const dataUri = (mime: string, bytes: Buffer | string) =>
  `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;

function figureHtml(f: Figure): string {
  // Plots as vector SVG (crisp at any zoom); maps as their exact-pixel PNG.
  const src = f.svg ? dataUri('image/svg+xml', f.svg) : dataUri('image/png', f.png ?? Buffer.alloc(0));
  const p = f.provenance;
  const file = f.file ? ` · file <code>${esc(f.file)}</code>` : '';
  return (
    `<figure data-node="${esc(p.node ?? '')}"><img src="${src}" alt="${esc(f.title)}"><figcaption><b>${esc(f.title)}</b>${file}<br>` +
    displayLine(f) +
    `node <code>${esc(p.node ?? '—')}</code>${p.field ? ` field <code>${esc(p.field)}</code>` : ''} · op <code>${esc(p.op ?? '—')}</code> · key <code>${esc(p.key ?? '—')}</code>` +
    `<details><summary>params and inputs</summary><code>${esc(JSON.stringify(p.params ?? {}))}</code><br>` +
    Object.entries(p.inputs)
      .map(
        ([port, i]) =>
          `${esc(port)} ← <code>${esc(i.node)}</code> <code>${esc(i.valueHash.slice(0, 16))}</code>`,
      )
      .join('<br>') +
    (p.figure ? `<br>figure: <code>${esc(JSON.stringify(p.figure))}</code>` : '') +
    `</details></figcaption></figure>`
  );
}

/** How a single map was drawn: colormap and colour limits, and where the limits came from. */
function displayLine(f: Figure): string {
  if (f.display?.length !== 1) return '';
  const d = f.display[0];
  return `colormap <code>${esc(d.colormap)}</code> · limits <code>${esc(`${fmt(d.limits[0])} … ${fmt(d.limits[1])}`)}</code> (${esc(d.limitsFrom)})<br>`;
}

const fmt = (v: number) => String(Number(v.toPrecision(4)));

function kv(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

const jsonCell = (v: Json | undefined) => `<code>${esc(JSON.stringify(v ?? null))}</code>`;

export function reportHtml(r: ReportParts): string {
  const m = r.manifest;
  const g = (m.graph ?? {}) as Record<string, Json>;
  const name = typeof g.name === 'string' ? g.name : 'graph';
  const nodes = Object.entries(m.nodes);
  const computed = nodes.filter(([, n]) => n.status === 'computed').length;
  const section = (id: string, title: string, figs: Figure[], intro = '') =>
    figs.length
      ? `<section id="${id}"><h2>${esc(title)}</h2>${intro}<div class="grid">${figs.map(figureHtml).join('')}</div></section>`
      : '';
  const by = (s: Figure['section']) => r.figures.filter((f) => f.section === s);
  const nodeRows = nodes
    .map(
      ([id, n]) =>
        `<tr class="${esc(n.status)}"><td><b>${esc(id)}</b></td><td>${esc(n.op)} v${n.opVersion}</td><td>${esc(n.scope)}</td><td>${esc(n.status)}</td>` +
        `<td style="text-align:right">${n.seconds.toFixed(3)}</td><td>${n.chunks ? `${n.chunks.computed} computed / ${n.chunks.cached} cached of ${n.chunks.total}` : ''}</td>` +
        `<td><code>${esc(n.key.slice(0, 16))}</code></td><td>${jsonCell(n.params)}</td><td>${Object.entries(
          n.inputNodes ?? {},
        )
          .map(([p, ref]) => `${esc(p)} ← ${esc(ref)}`)
          .join('<br>')}</td></tr>`,
    )
    .join('');
  const ds = m.dataset;
  const datasetHtml = ds
    ? kv([
        ['path', `<code>${esc(ds.path)}</code>`],
        ['format', esc(ds.format)],
        ['scan (ny × nx)', `${ds.scan[0]} × ${ds.scan[1]}`],
        ['frame shape', esc(ds.frameShape.join(' × '))],
        ['dtype', esc(ds.dtype)],
        ['dataset hash', `<code>${esc(m.datasetHash ?? '—')}</code>`],
        ...Object.entries(ds.meta ?? {}).map(([k, v]): [string, string] => [k, jsonCell(v)]),
      ])
    : '<p class="muted">no dataset recorded</p>';
  const fileRows = r.files
    .map(
      (f) =>
        `<tr><td><code>${esc(f.file)}</code></td><td>${esc(f.role)}</td><td>${esc(f.node ?? '')}${f.field ? `.${esc(f.field)}` : ''}</td><td><code>${esc((f.key ?? '').slice(0, 16))}</code></td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>snem · ${esc(name)} · ${esc(m.run)}</title><style>${STYLE}</style></head><body>
<h1>${esc(name)} <span class="muted">run ${esc(m.run)}</span></h1>
<p class="muted">created ${esc(m.created)} · engine ${esc(m.engineVersion)} · ${m.seconds.toFixed(2)} s · ${nodes.length} nodes (${computed} computed, ${nodes.length - computed} from cache) · ${m.workers} worker(s), chunk ${m.chunkSize}${m.overrides?.length ? ` · overrides <code>${esc(m.overrides.join(' '))}</code>` : ''}${m.graphFile ? ` · graph <code>${esc(m.graphFile)}</code>` : ''}</p>
<nav><a href="#graph">graph</a><a href="#maps">maps</a><a href="#curves">curves</a><a href="#fits">fits</a><a href="#cuts">line cuts</a><a href="#nodes">timing &amp; cache</a><a href="#dataset">dataset</a><a href="#files">files</a></nav>
${r.problems.length ? `<section><h2>Problems</h2>${r.problems.map((p) => `<p class="problem">${esc(p)}</p>`).join('')}</section>` : ''}
<section id="graph"><h2>Analysis graph</h2><div class="dag">${r.dag}</div></section>
${r.overview ? `<section id="overview"><h2>All maps</h2>${figureHtml(r.overview)}</section>` : ''}
${section('maps', 'Maps', by('maps'), '<p class="muted">Colormap and colour limits: the graph\'s <code>display</code> settings where given, otherwise the 1st–99th percentile of each map (diverging maps symmetric about 0); gray = masked or failed positions. <code>snem report RUN_DIR --graph G</code> redraws them with other settings.</p>')}
${section(
  'curves',
  'Curves at representative positions',
  by('curves'),
  `<p class="muted">Positions: ${r.positions.map((p) => `${positionName(p)} = ${esc(p.label)}`).join('; ')}.</p>`,
)}
${section('components', 'Components', by('components'))}
${section('fits', 'Fits', by('fits'))}
${section('cuts', 'Line cuts', by('cuts'))}
<section id="nodes"><h2>Nodes: timing and cache</h2><table><tr><th>node</th><th>op</th><th>scope</th><th>status</th><th>seconds</th><th>chunks</th><th>key</th><th>params</th><th>inputs</th></tr>${nodeRows}</table></section>
<section id="dataset"><h2>Dataset</h2>${datasetHtml}</section>
<section id="files"><h2>Files of this run</h2><p class="muted">Every file is listed with its producer in <code>provenance.json</code>; <code>snem provenance FILE</code> prints it.</p><table><tr><th>file</th><th>role</th><th>node</th><th>key</th></tr>${fileRows}</table>
<details><summary>graph JSON</summary><pre>${esc(JSON.stringify(m.graph, null, 2))}</pre></details></section>
</body></html>
`;
}
