/**
 * What the build does ahead of time (dist/prebuilt) gives what a run would get without it. Validators
 * judge exactly as validators compiled at run time: the same findings, the same CEL statistics, on clean
 * and on broken repositories of both engines. Parsed YAML equals parsing, precompiled templates equal
 * precompiling. Input whose text differs from what the build saw is never served a stale result.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { CATALOG_YAML, loadCatalog } from '../../lib/catalog.js';
import { TEMPLATES_DIR } from '../../lib/package-info.js';
import { parseYaml, readPrebuilt, yamlKey } from '../../lib/prebuilt.js';
import { precompileTemplate, TEMPLATE_EXTENSION, TEMPLATES, templateKey } from '../../lib/render/template.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { parse } from 'yaml';
import { validateFiles } from '../../lib/validate/repository.js';
import { BUNDLED_SCHEMAS, SchemaRegistry } from '../../lib/validate/schemas.js';
import { BUNDLED_CHARTS, ChartLibrary } from '../../lib/validate/values.js';
import { buildPrebuilt } from '../../scripts/build-prebuilt.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const generated = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files;

function mutated(files: FileSet, changes: Record<string, (text: string) => string>): FileSet {
  const out = new FileSet();
  for (const [path, text] of files.entries()) {
    const changed = changes[path]?.(text) ?? text;
    if (changes[path] && changed === text) throw new Error(`test setup: the change to ${path} changed nothing`);
    out.add(path, changed);
  }
  return out;
}

let work: string;
let precompiled: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'haven-plus-precompiled-'));
  precompiled = join(work, 'prebuilt');
  const { validators } = buildPrebuilt(precompiled);
  expect(validators).toBeGreaterThan(30);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Both ways of getting validators, on the bundled schemas and chart data. */
async function judge(files: FileSet, schemaDir = BUNDLED_SCHEMAS) {
  const run = async (dir: string | undefined) => {
    const registry = new SchemaRegistry([schemaDir], join(work, 'cache'), dir);
    const charts = new ChartLibrary([BUNDLED_CHARTS], dir);
    const report = await validateFiles(files, { registry, charts, catalog });
    return { report, registry, charts };
  };
  return { loaded: await run(precompiled), compiled: await run(undefined) };
}

describe('precompiled validators', () => {
  const flux = generated({ provider: 'ovhcloud', preset: 'haven-plus', 'keycloak-hostname': 'sso.{cluster}.example.nl', domain: 'example.nl' } as RawAnswers);
  const argo = generated({ provider: 'local', engine: 'argocd', 'git-remote': 'https://gitlab.example.nl/gemeente/platform.git' });

  it('give the same verdict as compiled ones on a clean repository of each engine', async () => {
    for (const files of [flux, argo]) {
      const { loaded, compiled } = await judge(files);
      expect(loaded.registry.validatorOrigins.compiled).toBe(0);
      expect(loaded.registry.validatorOrigins.precompiled).toBeGreaterThan(5);
      expect(compiled.registry.validatorOrigins.precompiled).toBe(0);
      expect(loaded.report.findings).toEqual(compiled.report.findings);
      expect(loaded.report.stats).toEqual(compiled.report.stats);
      expect(loaded.report.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(loaded.report.stats.celRules).toBeGreaterThan(0);
    }
  });

  it('give the same errors, paths and messages as compiled ones on a broken repository', async () => {
    const broken = mutated(generated({ provider: 'local' }), {
      // additionalProperties
      'infrastructure/postgres/config/base/databases.yaml': (t) => t.replace('  enablePDB: true', '  enablePDB: true\n  enablePBD: true'),
      // a pattern (the helpers' RegExp)
      'clusters/local/infrastructure/garage.yaml': (t) => t.replace('interval: 15m', 'interval: 15 minutes'),
      // a CEL rule (the helpers' evaluator)
      'infrastructure/postgres/config/overlays/local/object-stores.yaml': (t) => t.replace('    endpointURL:', '    serverName: app\n    endpointURL:'),
      // a chart's values.schema.json
      'infrastructure/cert-manager/controller/base/releases.yaml': (t) => t.replace('    crds:\n', '    crdz: {}\n    crds:\n'),
    });
    const { loaded, compiled } = await judge(broken);
    expect(loaded.registry.validatorOrigins.compiled).toBe(0);
    expect(loaded.charts.validatorOrigins.compiled).toBe(0);
    expect(loaded.charts.validatorOrigins.precompiled).toBeGreaterThan(0);
    expect(compiled.charts.validatorOrigins).toEqual({ precompiled: 0, compiled: loaded.charts.validatorOrigins.precompiled });
    const errors = loaded.report.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.message).join('\n')).toMatch(/unknown field "enablePBD"[\s\S]*must match pattern|must match pattern[\s\S]*unknown field "enablePBD"/);
    expect(errors.some((f) => f.path === '/spec/configuration' && /serverName/.test(f.message))).toBe(true);
    expect(errors.some((f) => /unknown key "crdz"/.test(f.message))).toBe(true);
    expect(loaded.report.findings).toEqual(compiled.report.findings);
    expect(loaded.registry.cel.evaluated).toBe(compiled.registry.cel.evaluated);
    expect(loaded.registry.cel.notEvaluated).toBe(compiled.registry.cel.notEvaluated);
  });

  it('are not used for a schema whose text differs from the bundled one', async () => {
    const schemas = join(work, 'edited-schemas');
    cpSync(BUNDLED_SCHEMAS, schemas, { recursive: true });
    // The same schema with one more allowed field: a stale validator would still refuse it.
    const file = join(schemas, 'postgresql.cnpg.io/scheduledbackup_v1.json');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties: { spec: { properties: Record<string, unknown> } } };
    schema.properties.spec.properties.owner = { type: 'string' };
    writeFileSync(file, JSON.stringify(schema));
    const files = mutated(generated({ provider: 'local' }), {
      'infrastructure/postgres/config/base/databases.yaml': (t) => t.replace(/(kind: ScheduledBackup[\s\S]*?spec:\n)/, '$1  owner: team-a\n'),
    });
    const { loaded } = await judge(files, schemas);
    expect(loaded.registry.validatorOrigins.compiled).toBe(1);
    expect(loaded.report.findings.filter((f) => /owner/.test(f.message))).toEqual([]);
    const bundled = await judge(files);
    expect(bundled.loaded.report.findings.filter((f) => /unknown field "owner"/.test(f.message))).toHaveLength(1);
  });
});

describe('prebuilt YAML and templates', () => {
  const files = (suffix: string) => readdirSync(TEMPLATES_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix)).map((f) => join(TEMPLATES_DIR, f));

  it('parse every catalog file as the yaml library does, and parse a changed text afresh', () => {
    const catalogFiles = files('.yaml');
    expect(catalogFiles.length).toBeGreaterThan(40);
    for (const file of catalogFiles) {
      const text = readFileSync(file, 'utf8');
      expect(readPrebuilt(precompiled, 'yaml', yamlKey(text, CATALOG_YAML), '.json'), file).toBeDefined();
      expect(parseYaml(text, CATALOG_YAML, precompiled), file).toEqual(parse(text, CATALOG_YAML));
    }
    const preset = readFileSync(join(TEMPLATES_DIR, 'presets', 'minimal.yaml'), 'utf8');
    const edited = preset.replace(/^title: .*$/m, 'title: edited by hand');
    expect(edited).not.toBe(preset);
    expect((parseYaml(edited, CATALOG_YAML, precompiled) as { title: string }).title).toBe('edited by hand');
    expect(readPrebuilt(precompiled, 'yaml', yamlKey(edited, CATALOG_YAML), '.json')).toBeUndefined();
    // The options are part of the key: the same text parsed otherwise is not served this result.
    expect(readPrebuilt(precompiled, 'yaml', yamlKey(preset, { version: '1.1' }), '.json')).toBeUndefined();
  });

  it('hold, for every template, what precompiling it gives', () => {
    const templates = files('.hbs');
    expect(templates.length).toBeGreaterThan(40);
    for (const file of templates) {
      const text = readFileSync(file, 'utf8');
      expect(readPrebuilt(precompiled, TEMPLATES, templateKey(text), TEMPLATE_EXTENSION), file).toBe(precompileTemplate(text));
    }
    expect(readPrebuilt(precompiled, TEMPLATES, templateKey('{{q name}} edited\n'), TEMPLATE_EXTENSION)).toBeUndefined();
  });
});
