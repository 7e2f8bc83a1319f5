/**
 * Validators compiled when the package is built. Compiling the strict schemas, with their CEL rules,
 * is most of what validating a small repository costs; `npm run build` writes every bundled schema
 * as ajv standalone code into dist/validators (scripts/precompile-validators.ts), and a run loads the
 * code instead of compiling the schema.
 *
 * A validator is found by a key made of ajv's version, the kind of compilation and the schema's exact
 * text: a schema that changed, a schema from another location, or another ajv is compiled at run time
 * as before, never served a stale validator.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELPERS, type ValidatorHelpers } from './cel.js';

const standaloneCode = (standaloneModule as unknown as { default: (ajv: Ajv, validate: ValidateFunction) => string }).default;

/** The package's require: generated code needs ajv's and ajv-formats' run-time modules. */
const packageRequire = createRequire(import.meta.url);
const AJV_VERSION = (packageRequire('ajv/package.json') as { version: string }).version;

/**
 * Where the build puts the validators: dist/validators beside dist/lib. Run from the TypeScript
 * sources (the unit tests), there is none, and every schema is compiled.
 */
export const PRECOMPILED_DIR = ((dir) => (existsSync(dir) ? dir : undefined))(fileURLToPath(new URL('../../validators/', import.meta.url)));

/** How a schema is compiled: `kubernetes` (strict, CEL) or `values:<draft>` (a chart's values.schema.json). */
export type Flavour = string;

export function validatorKey(flavour: Flavour, schemaText: string): string {
  return createHash('sha256').update(`ajv ${AJV_VERSION}\0${flavour}\0`).update(schemaText).digest('hex').slice(0, 40);
}

export const precompiledFile = (dir: string, key: string) => join(dir, `${key}.cjs`);

/** ajv standalone code (CommonJS) for a validator compiled with `code.source`. */
export function standaloneValidator(ajv: Ajv, validate: ValidateFunction): string {
  return standaloneCode(ajv, validate);
}

/** The precompiled validator for a key, run with these helpers, or undefined when the build made none. */
export function loadValidator<T = ValidateFunction>(dir: string | undefined, key: string, helpers?: ValidatorHelpers): T | undefined {
  if (!dir) return undefined;
  let code: string;
  try {
    code = readFileSync(precompiledFile(dir, key), 'utf8');
  } catch {
    return undefined;
  }
  const module = { exports: {} as unknown };
  // The code is ajv's own output, written by the build into the package: a module body that needs
  // `require`, `module`, `exports` and the helpers, which is what it gets here.
  new Function('require', 'module', 'exports', HELPERS, code)(packageRequire, module, module.exports, helpers);
  return module.exports as T;
}
