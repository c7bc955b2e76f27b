/** Enter or Space on a focused element that acts as a button (a graph node, a map thumbnail). */
export function isActivate(e: KeyboardEvent): boolean {
  if (e.key !== 'Enter' && e.key !== ' ') return false;
  e.preventDefault();
  return true;
}
