/** Relativistic electron wavelength in Å for an accelerating voltage in volts. */
export function electronWavelengthA(volts: number): number {
  // λ = h / sqrt(2 m0 e V (1 + e V / (2 m0 c²))); 12.2643 Å·V^½ and 0.97848e-6 V⁻¹ are those constants combined.
  return 12.264259 / Math.sqrt(volts * (1 + 0.978476e-6 * volts));
}
