/**
 * Nodes of the trapezoid rule over a Gaussian of standard deviation σ: offsets ±7σ in steps of σ/2
 * and their unnormalised weights e^{−u²/2σ²} (with their sum). For a Gaussian weight times a
 * function smooth on the scale of σ the rule converges like e^{−2π²/0.25} (σ/2 agrees with σ/20 to
 * 1e-13). Used to blur a function given in closed form by the instrument's Q resolution:
 * pdf.reduce's blurred ⟨f²⟩ and the simulator's blurred reference partials.
 */
const REACH = 7;
const STEP = 0.5;

export function gaussianNodes(sigma: number): { du: Float64Array; w: Float64Array; sum: number } {
  const half = Math.round(REACH / STEP);
  const w = Float64Array.from({ length: 2 * half + 1 }, (_, k) => Math.exp(-0.5 * ((k - half) * STEP) ** 2));
  const du = Float64Array.from(w, (_, k) => (k - half) * STEP * sigma);
  return { du, w, sum: w.reduce((a, b) => a + b, 0) };
}
