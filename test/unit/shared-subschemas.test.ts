/**
 * prepareSchema moves repeated sub-schemas into `$defs` (shareRepeatedSubschemas) so validators stay
 * small. That must change nothing a user sees: over every bundled schema, the rewritten and the
 * original schema accept and refuse the same objects, with the same errors at the same paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatorHelpers } from '../../lib/validate/cel.js';
import { BUNDLED_SCHEMAS, kubernetesAjv, prepareSchema, shareRepeatedSubschemas } from '../../lib/validate/schemas.js';

type Schema = Record<string, unknown>;

const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : name.endsWith('.json') && name !== 'INDEX.json' ? [path] : [];
});

/**
 * Objects that walk the whole schema: every property present, with a value of the declared type
 * (`right`), of another type (`wrong`), or right with an unknown key beside it (`extra`), to a depth.
 */
function instance(schema: Schema | undefined, mode: 'right' | 'wrong' | 'extra', depth = 0): unknown {
  if (!schema || depth > 7) return mode === 'wrong' ? 12345 : 'x';
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (Array.isArray(schema.enum)) return mode === 'wrong' ? 'not-one-of-them' : schema.enum[0];
  if (type === 'object' || schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) out[k] = instance(v, mode, depth + 1);
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') out['some-key'] = instance(schema.additionalProperties as Schema, mode, depth + 1);
    if (mode === 'extra') out.unknownField = true;
    return out;
  }
  if (type === 'array') return [instance(schema.items as Schema | undefined, mode, depth + 1)];
  if (mode === 'wrong') return type === 'string' ? { not: 'a string' } : 'not-a-number';
  return type === 'string' ? (schema.pattern ? '!' : 'x') : type === 'boolean' ? true : 1;
}

const errorsOf = (validate: { (v: unknown): boolean; errors?: { instancePath: string; keyword: string; message?: string; params: unknown }[] | null }, value: unknown) =>
  validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.message} ${JSON.stringify(e.params)}`).sort();

describe('shared sub-schemas', () => {
  const all = files(BUNDLED_SCHEMAS);
  const ajv = kubernetesAjv(validatorHelpers({ evaluated: 0, notEvaluated: 0, unsupported: new Set() }));

  it('share something in the large CRDs: CloudNativePG Cluster shrinks to under half', () => {
    const text = readFileSync(join(BUNDLED_SCHEMAS, 'postgresql.cnpg.io', 'cluster_v1.json'), 'utf8');
    const shared = shareRepeatedSubschemas(JSON.parse(text) as Schema);
    expect(Object.keys(shared.$defs as Schema).length).toBeGreaterThan(10);
    expect(JSON.stringify(shared).length).toBeLessThan(text.length / 2);
  });

  it.each(all.map((f) => [f.slice(BUNDLED_SCHEMAS.length + 1), f]))('%s: same verdicts and errors as the schema as written', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const original = JSON.parse(text) as Schema;
    const plain = ajv.compile({ ...prepareSchema(JSON.parse(text) as Schema, { share: false }), $id: `plain:${file}` });
    const shared = ajv.compile({ ...prepareSchema(JSON.parse(text) as Schema), $id: `shared:${file}` });
    const found: Record<string, number> = {};
    for (const mode of ['right', 'wrong', 'extra'] as const) {
      const value = instance(original, mode);
      const expected = errorsOf(plain, value);
      expect(errorsOf(shared, value), mode).toEqual(expected);
      found[mode] = expected.length;
    }
    // The comparison has errors to compare: wrong types and unknown keys are refused.
    expect(found.wrong, JSON.stringify(found)).toBeGreaterThan(0);
    expect(found.extra, JSON.stringify(found)).toBeGreaterThan(found.right);
  });
});
