/** The op catalogue for the page: the same declarations `snem nodes --json` prints. */
import { opCatalogue } from '../../app/op-docs.ts';
import { registry } from '../../nodes/registry.ts';

export function catalogue() {
  return opCatalogue(registry().values());
}
