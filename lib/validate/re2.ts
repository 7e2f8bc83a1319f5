/**
 * RE2 (re2js, a port of Go's regexp engine: linear time, Go's syntax), loaded on first use: most runs
 * never need it, and loading it costs a one-cluster validation a tenth of its time.
 */
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

export type RE2JS = RE2JSClass;
let loaded: typeof RE2JSClass | undefined;

export function re2(): typeof RE2JSClass {
  loaded ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return loaded;
}
