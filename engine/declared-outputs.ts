/**
 * An op's declared outputs (OpDef.outputs: data, or a function of the params) read three ways:
 * for a node's params (which fields, their units and axes: the engine fills `meta.units` and
 * `meta.axisOf` from it), for the catalogue (the params at their defaults: `snem nodes`, the README
 * tables, the studio), and as a check of a produced value against it (the every-op test).
 */
import {
  declaredOutputs,
  fieldDecl,
  isOpenName,
  type FieldSpec,
  type Json,
  type OpDef,
  type OutputDecl,
  type Value,
} from './types.ts';

export { declaredOutputs, fieldDecl, isOpenName, withDeclaredMeta } from './types.ts';

/** The params a catalogue shows outputs for: every default, null where a param has none. */
export function catalogueParams(op: OpDef): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(op.params).map(([k, s]) => [k, s.default === undefined ? null : s.default]),
  );
}

/** The outputs at the params' defaults (catalogue, docs, studio forms). */
export function catalogueOutputs(op: OpDef): OutputDecl {
  return declaredOutputs(op, catalogueParams(op));
}

/** One line per field for the catalogue JSON: unit, dims, axis and meaning (the studio reads unit and description). */
export function catalogueFields(
  op: OpDef,
): Record<string, FieldSpec & { dims: readonly string[]; axis?: string; optional?: boolean }> {
  return catalogueOutputs(op).fields;
}

/** Is `field` one the op may produce with these params (an exact name, or any name when it declares an open one)? */
export function fieldMatcher(decl: OutputDecl): (field: string) => boolean {
  const names = Object.keys(decl.fields);
  const open = names.some(isOpenName);
  return (f) => open || names.includes(f);
}

/**
 * What in a produced value disagrees with the declaration: an undeclared field, a declared
 * (non-optional) field missing, a rank other than the declared dims, leading dims other than the
 * chunk's positions or the scan's [ny, nx], a unit or axis other than the declared one, an axis
 * named but not produced. Empty when they agree.
 */
export function declarationProblems(
  decl: OutputDecl,
  value: Value,
  where: { positions?: number; ny: number; nx: number },
): string[] {
  const problems: string[] = [];
  const units = (value.meta?.units ?? {}) as Record<string, Json>;
  const axisOf = (value.meta?.axisOf ?? {}) as Record<string, Json>;
  for (const [name, d] of Object.entries(decl.fields)) {
    if (!isOpenName(name) && !d.optional && !value.fields[name])
      problems.push(`declared field '${name}' is missing`);
  }
  for (const [name, a] of Object.entries(value.fields)) {
    const d = fieldDecl(decl, name);
    if (!d) {
      problems.push(`field '${name}' is not declared (declared: ${Object.keys(decl.fields).join(', ')})`);
      continue;
    }
    const anyRest = d.dims[d.dims.length - 1] === '…';
    const fixed = anyRest ? d.dims.slice(0, -1) : d.dims;
    if (anyRest ? a.shape.length < fixed.length : a.shape.length !== fixed.length)
      problems.push(
        `field '${name}': shape [${a.shape}] does not have the declared dims [${d.dims.join(', ')}]`,
      );
    fixed.forEach((dim, i) => {
      const want =
        dim === 'positions' ? where.positions : dim === 'ny' ? where.ny : dim === 'nx' ? where.nx : undefined;
      if (want !== undefined && a.shape[i] !== want)
        problems.push(`field '${name}': dim ${i} (${dim}) is ${a.shape[i]}, expected ${want}`);
    });
    if (d.unit !== undefined && units[name] !== d.unit)
      problems.push(`field '${name}': meta unit ${JSON.stringify(units[name])}, declared '${d.unit}'`);
    if (d.axis !== undefined) {
      if (axisOf[name] !== d.axis)
        problems.push(`field '${name}': meta axisOf ${JSON.stringify(axisOf[name])}, declared '${d.axis}'`);
      if (!value.axes?.[d.axis])
        problems.push(`field '${name}': its axis '${d.axis}' is not among the value's axes`);
    }
  }
  for (const a of Object.keys(value.axes ?? {})) {
    const d = decl.axes?.[a] ?? Object.entries(decl.axes ?? {}).find(([k]) => isOpenName(k))?.[1];
    if (!d) problems.push(`axis '${a}' is not declared`);
    else if (d.unit !== undefined && units[a] !== d.unit)
      problems.push(`axis '${a}': meta unit ${JSON.stringify(units[a])}, declared '${d.unit}'`);
  }
  return problems;
}

/**
 * What is wrong with an op's declaration itself, at the catalogue's params: no field, a field
 * without dims or meaning, an axis named by a field but not declared, a frame op's field not
 * led by "positions" (its chunks are stacked along it), a dataset op's field that is.
 */
export function declarationFormProblems(op: OpDef): string[] {
  const problems: string[] = [];
  let decl: OutputDecl;
  try {
    decl = catalogueOutputs(op);
  } catch (e) {
    return [`outputs() throws at the params' defaults: ${(e as Error).message}`];
  }
  const names = Object.keys(decl.fields);
  if (!names.length) problems.push('declares no field');
  const axes = Object.keys(decl.axes ?? {});
  for (const [name, d] of Object.entries(decl.fields)) {
    if (!Array.isArray(d.dims) || !d.dims.length) problems.push(`field '${name}': no dims`);
    if (!d.description?.trim()) problems.push(`field '${name}': no description`);
    if (d.axis !== undefined && !axes.includes(d.axis) && !axes.some(isOpenName))
      problems.push(`field '${name}': axis '${d.axis}' is not among the declared axes [${axes.join(', ')}]`);
    const leadsWithPositions = d.dims?.[0] === 'positions';
    if (op.scope === 'frame' && !leadsWithPositions)
      problems.push(`field '${name}': a frame op's field must lead with "positions", got [${d.dims}]`);
    if (op.scope !== 'frame' && d.dims?.includes('positions'))
      problems.push(`field '${name}': "positions" is for frame ops; a ${op.scope} op's map is [ny, nx]`);
  }
  for (const [name, a] of Object.entries(decl.axes ?? {}))
    if (!a.description?.trim()) problems.push(`axis '${name}': no description`);
  return problems;
}
