/**
 * snem studio: the page. Lays out the views (left: navigator, run, node form; middle: pattern and
 * graph; right: the chain; maps below; a status line at the foot) and wires global keys (arrows move the cursor, Ctrl+Z / Ctrl+Shift+Z). */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { ChainView } from './views/ChainView.tsx';
import { GraphView } from './views/GraphView.tsx';
import { MapsView } from './views/MapsView.tsx';
import { Navigator } from './views/Navigator.tsx';
import { NodeForm } from './views/NodeForm.tsx';
import { PatternView } from './views/PatternView.tsx';
import { RunProgress } from './views/RunProgress.tsx';
import { StatusLine } from './views/StatusLine.tsx';
import { TopBar } from './views/TopBar.tsx';
import { init, redo, report, select, store, undo } from './state.ts';

function App() {
  return (
    <div class="app">
      <TopBar />
      <div class="grid">
        <div class="col col-left">
          <Navigator />
          <RunProgress />
          <NodeForm />
        </div>
        <div class="col col-mid">
          <PatternView />
          <GraphView />
        </div>
        <div class="col col-right">
          <ChainView />
        </div>
        <div class="col col-maps">
          <MapsView />
        </div>
      </div>
      <StatusLine />
    </div>
  );
}

window.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
  const { cursor, readOnly } = store.get();
  const moves: Record<string, [number, number]> = {
    ArrowUp: [-1, 0],
    ArrowDown: [1, 0],
    ArrowLeft: [0, -1],
    ArrowRight: [0, 1],
  };
  const m = moves[e.key];
  if (m) {
    e.preventDefault();
    void select(cursor.iy + m[0], cursor.ix + m[1]);
  } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z' && !readOnly) {
    e.preventDefault();
    void (e.shiftKey ? redo() : undo());
  }
});

render(<App />, document.getElementById('app')!);
init().catch((e) => report(e, 'start'));
