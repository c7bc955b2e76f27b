/** The op catalogue for the page: the same declarations `snem nodes --json` prints. */
import { registry } from '../../nodes/registry.ts';

export function catalogue() {
  return [...registry().values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((o) => ({
      name: o.name,
      version: o.version,
      scope: o.scope,
      title: o.title,
      description: o.description,
      cached: o.cached !== false,
      inputs: o.inputs,
      params: o.params,
      outputs: o.outputs,
    }));
}
