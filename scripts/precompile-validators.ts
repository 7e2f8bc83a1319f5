/**
 * Part of `npm run build`: every bundled schema (schemas/kubernetes, and the charts' values.schema.json
 * in schemas/charts) compiled into ajv standalone code in dist/validators, so that a run loads its
 * validators instead of compiling them (lib/validate/precompiled.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatorHelpers } from '../lib/validate/cel.js';
import { precompiledFile, standaloneValidator, validatorKey } from '../lib/validate/precompiled.js';
import { BUNDLED_SCHEMAS, KUBERNETES_FLAVOUR, kubernetesAjv, prepareSchema } from '../lib/validate/schemas.js';
import { BUNDLED_CHARTS, compileValuesSchema, VALUES_FLAVOUR } from '../lib/validate/values.js';

/** Every file under `dir` whose name passes `keep`, in a stable order. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => keep(name.split('/').pop()!) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

export function precompileValidators(out: string): { count: number; bytes: number } {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  let count = 0;
  let bytes = 0;
  const write = (key: string, code: string) => {
    writeFileSync(precompiledFile(out, key), code);
    count++;
    bytes += Buffer.byteLength(code);
  };
  const kubernetes = kubernetesAjv(validatorHelpers({ evaluated: 0, notEvaluated: 0, unsupported: new Set() }), { source: true });
  for (const file of filesUnder(BUNDLED_SCHEMAS, (name) => name.endsWith('.json') && name !== 'INDEX.json')) {
    const text = readFileSync(file, 'utf8');
    const validate = kubernetes.compile(prepareSchema(JSON.parse(text) as Record<string, unknown>));
    write(validatorKey(KUBERNETES_FLAVOUR, text), standaloneValidator(kubernetes, validate));
  }
  for (const file of filesUnder(BUNDLED_CHARTS, (name) => name === 'values.schema.json')) {
    const text = readFileSync(file, 'utf8');
    const { ajv, validate } = compileValuesSchema(text, { source: true });
    write(validatorKey(VALUES_FLAVOUR, text), standaloneValidator(ajv, validate));
  }
  return { count, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('../validators/', import.meta.url));
  const { count, bytes } = precompileValidators(out);
  process.stdout.write(`precompiled ${count} validators into dist/validators (${(bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
}
