/**
 * The shape of a graph node's `display` object (graphs/graph.schema.json). Part of the graph
 * document, so the engine can carry it; what the settings mean (colormaps, limits) lives in viz/.
 * Display settings are presentation only: they never enter a node key.
 */

/** As the graph gives them: limits [lo, hi] in the field's unit win over percentiles [plo, phi] (default [1, 99]). */
export interface DisplaySettings {
  /** Explicit colour limits; default robust 1st–99th percentile. */
  limits?: [number, number];
  percentiles?: [number, number];
  colormap?: string;
  /** Centre the colour scale on 0 (default: for diverging colormaps without explicit limits). */
  symmetric?: boolean;
  /** Title text of the figure. */
  label?: string;
}

/** The `display` object of a graph node: settings for every field, and per field on top. */
export interface NodeDisplay extends DisplaySettings {
  fields?: Record<string, DisplaySettings>;
}
