/**
 * The page's one store: a plain object replaced on every change, subscribers notified, and a
 * preact hook that re-renders a view when the slice it reads changes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export type Listener<S> = (s: S, prev: S) => void;

export class Store<S extends object> {
  private listeners = new Set<Listener<S>>();
  constructor(private state: S) {}
  get(): S {
    return this.state;
  }
  set(patch: Partial<S> | ((s: S) => Partial<S>)): void {
    const prev = this.state;
    const p = typeof patch === 'function' ? patch(prev) : patch;
    this.state = { ...prev, ...p };
    for (const l of this.listeners) l(this.state, prev);
  }
  subscribe(l: Listener<S>): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Re-render when `select(state)` changes (compared with Object.is); the selector may close over props. */
export function useSelect<S extends object, T>(store: Store<S>, select: (s: S) => T): T {
  const [, force] = useState(0);
  const value = select(store.get());
  const selectRef = useRef(select);
  const lastRef = useRef(value);
  selectRef.current = select;
  lastRef.current = value;
  useEffect(
    () =>
      store.subscribe((s) => {
        if (!Object.is(selectRef.current(s), lastRef.current)) force((n) => n + 1);
      }),
    [store],
  );
  return value;
}
