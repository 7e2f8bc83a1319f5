/**
 * Validators compiled when the package is built (see prebuilt.ts). Compiling the strict schemas, with
 * their CEL rules, is most of what validating a small repository costs; the build writes every bundled
 * schema's validator as ajv standalone code into dist/prebuilt/validators, and a run loads that code
 * instead of compiling the schema. A schema whose text, compilation or ajv differs is compiled as before.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { compileFunction } from '../code-cache.js';
import { packageRequire, prebuiltKey, readPrebuilt, versionOf } from '../prebuilt.js';
import { HELPERS, type ValidatorHelpers } from './cel.js';

const standaloneCode = (standaloneModule as unknown as { default: (ajv: Ajv, validate: ValidateFunction) => string }).default;

/** How a schema is compiled: `kubernetes` (strict, CEL) or `values` (a chart's values.schema.json). */
export type Flavour = string;

export const VALIDATORS = 'validators';
export const VALIDATOR_EXTENSION = '.cjs';

export function validatorKey(flavour: Flavour, schemaText: string): string {
  return prebuiltKey(['ajv', versionOf('ajv'), flavour], schemaText);
}

/** ajv standalone code (CommonJS) for a validator compiled with `code.source`. */
export function standaloneValidator(ajv: Ajv, validate: ValidateFunction): string {
  return standaloneCode(ajv, validate);
}

/** The precompiled validator for a key, run with these helpers, or undefined when the build made none. */
export function loadValidator<T = ValidateFunction>(dir: string | undefined, key: string, helpers?: ValidatorHelpers): T | undefined {
  const code = readPrebuilt(dir, VALIDATORS, key, VALIDATOR_EXTENSION);
  if (code === undefined) return undefined;
  const module = { exports: {} as unknown };
  // The code is ajv's own output, written by the build into the package: a module body that needs
  // `require` (ajv's and ajv-formats' run-time modules), `module`, `exports` and the helpers. Compiled
  // through the code cache: its compilation was most of what loading it cost.
  compileFunction(`haven-plus-validator-${key}.cjs`, ['require', 'module', 'exports', HELPERS], code)(packageRequire, module, module.exports, helpers);
  return module.exports as T;
}
