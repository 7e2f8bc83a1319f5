/**
 * Part of `npm run build`: the work every run would otherwise repeat, done once into dist/prebuilt
 * (see lib/prebuilt.ts): the catalog's and the charts' YAML parsed, the Handlebars templates
 * precompiled, and the validators of the bundled schemas compiled into ajv standalone code.
 */
import { isDeepStrictEqual } from 'node:util';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CATALOG_YAML } from '../lib/catalog.js';
import { TEMPLATES_DIR } from '../lib/package-info.js';
import { prebuiltFile, yamlKey, type YamlOptions } from '../lib/prebuilt.js';
import { precompileTemplate, TEMPLATE_EXTENSION, TEMPLATES, templateKey } from '../lib/render/template.js';
import { validatorHelpers } from '../lib/validate/cel.js';
import { standaloneValidator, VALIDATOR_EXTENSION, VALIDATORS, validatorKey } from '../lib/validate/precompiled.js';
import { BUNDLED_SCHEMAS, KUBERNETES_FLAVOUR, kubernetesAjv, prepareSchema } from '../lib/validate/schemas.js';
import { BUNDLED_CHARTS, compileValuesSchema, VALUES_FLAVOUR } from '../lib/validate/values.js';

/** Every file under `dir` whose name passes `keep`, in a stable order. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => keep(name.split('/').pop()!) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

export interface PrebuiltCounts {
  yaml: number;
  templates: number;
  validators: number;
  bytes: number;
}

export function buildPrebuilt(out: string): PrebuiltCounts {
  rmSync(out, { recursive: true, force: true });
  const counts: PrebuiltCounts = { yaml: 0, templates: 0, validators: 0, bytes: 0 };
  const write = (kind: keyof Omit<PrebuiltCounts, 'bytes'>, key: string, extension: string, text: string) => {
    const file = prebuiltFile(out, kind, key, extension);
    mkdirSync(join(out, kind), { recursive: true });
    writeFileSync(file, text);
    counts[kind]++;
    counts.bytes += Buffer.byteLength(text);
  };

  const yaml = (file: string, options: YamlOptions) => {
    const text = readFileSync(file, 'utf8');
    const value = parse(text, options) as unknown;
    const json = JSON.stringify(value);
    // Only what JSON carries unchanged (no .inf, no undefined): anything else is parsed at run time.
    if (json !== undefined && isDeepStrictEqual(JSON.parse(json), value)) write('yaml', yamlKey(text, options), '.json', json);
  };
  for (const file of filesUnder(TEMPLATES_DIR, (name) => name.endsWith('.yaml'))) yaml(file, CATALOG_YAML);
  for (const file of filesUnder(BUNDLED_CHARTS, (name) => name === 'values.yaml')) yaml(file, {});

  for (const file of filesUnder(TEMPLATES_DIR, (name) => name.endsWith('.hbs'))) {
    const text = readFileSync(file, 'utf8');
    write(TEMPLATES, templateKey(text), TEMPLATE_EXTENSION, precompileTemplate(text));
  }

  const kubernetes = kubernetesAjv(validatorHelpers({ evaluated: 0, notEvaluated: 0, unsupported: new Set() }), { source: true });
  for (const file of filesUnder(BUNDLED_SCHEMAS, (name) => name.endsWith('.json') && name !== 'INDEX.json')) {
    const text = readFileSync(file, 'utf8');
    const validate = kubernetes.compile(prepareSchema(JSON.parse(text) as Record<string, unknown>));
    write(VALIDATORS, validatorKey(KUBERNETES_FLAVOUR, text), VALIDATOR_EXTENSION, standaloneValidator(kubernetes, validate));
  }
  for (const file of filesUnder(BUNDLED_CHARTS, (name) => name === 'values.schema.json')) {
    const text = readFileSync(file, 'utf8');
    const { ajv, validate } = compileValuesSchema(text, { source: true });
    write(VALIDATORS, validatorKey(VALUES_FLAVOUR, text), VALIDATOR_EXTENSION, standaloneValidator(ajv, validate));
  }
  return counts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { yaml, templates, validators, bytes } = buildPrebuilt(fileURLToPath(new URL('../prebuilt/', import.meta.url)));
  // On stderr: `npm pack` runs the build and prints the tarball's name on stdout.
  process.stderr.write(`prebuilt ${yaml} parsed YAML files, ${templates} templates and ${validators} validators into dist/prebuilt (${(bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
}
