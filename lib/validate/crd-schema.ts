/**
 * A strict JSON Schema from a CustomResourceDefinition, by the rules of flux-schema's `extract crd`
 * (and of the shared schema set): the openAPIV3Schema of a served version, with
 * `additionalProperties: false` on every object that declares properties, except objects that keep
 * unknown fields (x-kubernetes-preserve-unknown-fields) and the branches of oneOf/anyOf/allOf/not.
 * The root stays open and `metadata` is only an object, as in the shared set. Used for kinds whose
 * schema is not in the shared set but whose CRD ships with a pinned chart.
 */

type Schema = Record<string, unknown>;

const isMap = (v: unknown): v is Schema => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

function close(node: unknown, inCombinator: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => close(n, false));
  if (!isMap(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isMap(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, close(s, false)]));
    else if (['oneOf', 'anyOf', 'allOf'].includes(k) && Array.isArray(v)) out[k] = v.map((b) => close(b, true));
    else if (k === 'not') out[k] = close(v, true);
    else if (k === 'items' || k === 'additionalProperties') out[k] = close(v, false);
    else out[k] = v;
  }
  if (isMap(out.properties) && !inCombinator && out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

export interface CrdSchema {
  apiVersion: string;
  kind: string;
  schema: Schema;
}

/** One schema per served version of a CRD. */
export function schemasFromCrd(crd: Schema): CrdSchema[] {
  const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[] };
  const out: CrdSchema[] = [];
  for (const v of spec.versions ?? []) {
    const openAPI = v.schema?.openAPIV3Schema;
    if (!v.served || !openAPI) continue;
    const closed = close(openAPI, false) as Schema;
    // The root stays open (apiVersion, kind, metadata are the API server's) and metadata is any object.
    delete closed.additionalProperties;
    const properties = { ...(closed.properties as Schema | undefined), metadata: { type: 'object' } };
    out.push({ apiVersion: `${spec.group}/${v.name}`, kind: spec.names.kind, schema: { ...closed, properties } });
  }
  return out;
}
