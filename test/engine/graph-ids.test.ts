/** Graph resolution on hostile shapes (issue #17): reserved node ids and long chains. */
import { describe, expect, it } from 'vitest';
import { resolveGraph, type GraphDoc } from '../../engine/graph.ts';
import { ops } from '../fixtures/toy-ops.ts';

const registry = new Map(ops.map((o) => [o.name, o]));

describe('graph ids and depth', () => {
  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])(
    'node id %j is refused with a message (was a graphology error)',
    (id) => {
      const doc = JSON.parse(
        `{"snem": 1, "nodes": {"src": {"op": "toy.source", "params": {"ny": 2, "nx": 2}}, "${id}": {"op": "toy.scale", "in": {"in": "src"}}}, "outputs": ["${id}"]}`,
      ) as GraphDoc;
      expect(() => resolveGraph(doc, { registry })).toThrow(
        new RegExp(
          `node '${id}': '${id}' is a reserved name \\(a property of every JavaScript object\\); choose another node id`,
        ),
      );
    },
  );

  it('an input or output naming a prototype property is "no node", not a match', () => {
    const doc = {
      snem: 1,
      nodes: {
        src: { op: 'toy.source', params: { ny: 2, nx: 2 } },
        s: { op: 'toy.scale', in: { in: 'constructor' } },
      },
      outputs: ['s', 'toString'],
    } as unknown as GraphDoc;
    expect(() => resolveGraph(doc, { registry })).toThrow(
      /node 's', field 'in\.in': no node 'constructor'[\s\S]*field 'outputs\[1\]': no node 'toString'/,
    );
  });

  it('a chain of 2,000 nodes resolves (the needed-set walk overflowed the stack)', () => {
    const nodes: Record<string, unknown> = { src: { op: 'toy.source', params: { ny: 2, nx: 2 } } };
    let prev = 'src';
    for (let i = 0; i < 2000; i++) {
      nodes[`s${i}`] = { op: 'toy.scale', in: { in: prev }, params: { gain: 1 } };
      prev = `s${i}`;
    }
    const g = resolveGraph({ snem: 1, nodes, outputs: [prev] } as unknown as GraphDoc, { registry });
    expect(g.needed.size).toBe(2001);
    expect(g.order[0]).toBe('src');
  });
});
