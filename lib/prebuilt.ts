/**
 * Work the build does once instead of every run: the package's own YAML parsed (the catalog in
 * templates/, the charts' default values), its Handlebars templates precompiled, and the validators
 * of its schemas compiled (validate/precompiled.ts). `npm run build` writes them into dist/prebuilt
 * (scripts/build-prebuilt.ts).
 *
 * Each result is found by a key made of the library and its version, the options, and the input's
 * exact text. Input that differs from what the build saw (an edited template, a schema from another
 * location, another library version) has no result and is processed at run time, as it would be
 * without the build: a stale result is never used.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { DIST_DIR, FROM_DIST } from './package-info.js';

/** The package's require, for CommonJS libraries and generated CommonJS code. */
export const packageRequire = createRequire(import.meta.url);

/**
 * dist/prebuilt, when running from the build. Run from the TypeScript sources (the unit tests), none
 * is used: everything is done at run time, so a build from older sources never stands in for new ones.
 */
export const PREBUILT_DIR = ((dir) => (FROM_DIST && existsSync(dir) ? dir : undefined))(join(DIST_DIR, 'prebuilt'));

export const versionOf = (library: string) => (packageRequire(`${library}/package.json`) as { version: string }).version;

/** The key of one result: what made it (library, version, options) and the exact input. */
export function prebuiltKey(recipe: string[], input: string): string {
  return createHash('sha256').update(recipe.join('\0')).update('\0').update(input).digest('hex').slice(0, 40);
}

/** The file of a result, by kind (`validators`, `yaml`, `templates`), key and extension. */
export const prebuiltFile = (dir: string, kind: string, key: string, extension: string) => join(dir, kind, `${key}${extension}`);

/** The text of a result, or undefined when the build made none. */
export function readPrebuilt(dir: string | undefined, kind: string, key: string, extension: string): string | undefined {
  if (!dir) return undefined;
  try {
    return readFileSync(prebuiltFile(dir, kind, key, extension), 'utf8');
  } catch {
    return undefined;
  }
}

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

export const yamlKey = (text: string, options: YamlOptions) => prebuiltKey(['yaml', versionOf('yaml'), JSON.stringify(options)], text);

/**
 * `parse(text, options)` from the yaml library, taken from the build's results when it parsed the
 * same text with the same options. Only documents that survive JSON unchanged are kept by the build.
 */
export function parseYaml(text: string, options: YamlOptions = {}, dir = PREBUILT_DIR): unknown {
  const prebuilt = readPrebuilt(dir, 'yaml', yamlKey(text, options), '.json');
  return prebuilt === undefined ? parse(text, options) : JSON.parse(prebuilt);
}
