/** A horizontal colourbar with its limits and unit, under every map and the pattern. */
import { cssGradient, fmt, type Scale } from '../lib/colour.ts';

export function Colourbar({ scale, unit, width }: { scale: Scale; unit?: string | null; width: number }) {
  const mid = scale.log && scale.lo > 0 ? Math.sqrt(scale.lo * scale.hi) : (scale.lo + scale.hi) / 2;
  return (
    <div class="colourbar" style={{ width: `${width}px` }}>
      <div class="colourbar-ramp" style={{ background: cssGradient(scale.colormap) }} />
      <div class="colourbar-ticks">
        <span>{fmt(scale.lo)}</span>
        <span>
          {fmt(mid)}
          {scale.log ? ' (log)' : ''}
        </span>
        <span>{fmt(scale.hi)}</span>
      </div>
      {unit ? <div class="colourbar-unit">{unit}</div> : null}
    </div>
  );
}
