/** The explorer's one page: pick a map, click a position, see its values and curves. */
import type { Manifest } from '../engine/run-types.ts';
import { escapeXml as esc } from '../viz/raster.ts';

export function explorerPage(m: Manifest): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>snem explorer · ${esc(m.run)}</title>
<link rel="icon" href="data:,">
<style>
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px;color:#1a1a1a;font-size:14px}
#wrap{display:flex;gap:24px;flex-wrap:wrap}#mapbox{position:relative;display:inline-block;cursor:crosshair}
#map{image-rendering:pixelated;display:block;border:1px solid #444}
#mark{position:absolute;border:2px solid #f0f;pointer-events:none;display:none;box-sizing:border-box}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
#plots img{display:block;margin-bottom:10px;max-width:100%}.muted{color:#666}
</style></head><body>
<h2>snem explorer <span class="muted">run ${esc(m.run)}</span> · <a href="/report.html">report</a></h2>
<p>Map: <select id="pick"></select> <span class="muted">click a position to see its values and curves</span></p>
<div id="wrap"><div><div id="mapbox"><img id="map" alt="map"><div id="mark"></div></div><p id="scale" class="muted"></p><p id="where" class="muted"></p><table id="values"></table></div>
<div id="plots"></div></div>
<script>
let run, scan, current = null;
const $ = (id) => document.getElementById(id);
async function init() {
  run = await (await fetch('/api/run')).json();
  scan = run.scan;
  const maps = run.outputs.filter((o) => o.kind === 'map');
  for (const o of maps) { const op = document.createElement('option'); op.value = o.file; op.textContent = o.title + (o.unit ? ' (' + o.unit + ')' : ''); $('pick').appendChild(op); }
  $('pick').onchange = () => show($('pick').value);
  if (maps.length) show(maps[0].file); else $('where').textContent = 'this run wrote no maps';
}
function show(file) {
  const [ny, nx] = scan; const st = run.step || { y: 1, x: 1 };
  const w = 480, h = Math.round(w * (ny * st.y) / (nx * st.x));
  const img = $('map'); img.style.width = w + 'px'; img.style.height = h + 'px';
  img.src = '/api/map.png?file=' + encodeURIComponent(file);
  const o = run.outputs.find((x) => x.file === file);
  $('scale').textContent = o && o.limits ? 'colormap ' + o.colormap + ', limits ' + Number(o.limits[0].toPrecision(4)) + ' … ' + Number(o.limits[1].toPrecision(4)) + (o.unit ? ' ' + o.unit : '') : '';
  if (current) select(current.iy, current.ix);
}
$('map').addEventListener('click', (e) => {
  const r = e.target.getBoundingClientRect(); const [ny, nx] = scan;
  const ix = Math.min(nx - 1, Math.floor((e.clientX - r.left) / r.width * nx));
  const iy = Math.min(ny - 1, Math.floor((e.clientY - r.top) / r.height * ny));
  select(iy, ix);
});
async function select(iy, ix) {
  current = { iy, ix };
  const [ny, nx] = scan; const img = $('map'); const mk = $('mark');
  const cw = img.clientWidth / nx, ch = img.clientHeight / ny;
  Object.assign(mk.style, { display: 'block', left: (ix * cw + 1) + 'px', top: (iy * ch + 1) + 'px', width: Math.max(4, cw) + 'px', height: Math.max(4, ch) + 'px' });
  $('where').textContent = 'position y ' + iy + ', x ' + ix;
  const p = await (await fetch('/api/position?iy=' + iy + '&ix=' + ix)).json();
  $('values').innerHTML = '<tr><th>map</th><th>value</th></tr>' + Object.entries(p.maps).map(([k, v]) => '<tr><td>' + k + '</td><td>' + (v.value === null ? 'NaN' : Number(v.value.toPrecision(6))) + (v.unit ? ' ' + v.unit : '') + '</td></tr>').join('');
  $('plots').innerHTML = p.curves.map((c) => '<img alt="' + c.title + '" src="/api/plot.svg?file=' + encodeURIComponent(c.file) + '&iy=' + iy + '&ix=' + ix + '">').join('');
}
init();
</script></body></html>`;
}
