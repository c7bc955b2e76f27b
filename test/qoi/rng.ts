/** Deterministic test randomness (Park–Miller + Box–Muller): tests generate their data in code. */
export function rng(seed: number) {
  let s = seed % 2147483647 || 1;
  const uniform = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}
