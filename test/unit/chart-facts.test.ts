/**
 * Chart facts (templates/chart-facts): every file is valid against its schema and names the chart it
 * describes; every release of the catalog has facts for the version it pins; the values keys the facts
 * name exist in the pinned chart's default values (checked against the chart data, not against the
 * facts themselves); and what the facts say reaches the generated repositories.
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { allChartFactsFiles, CHART_FACTS_SCHEMA, chartFacts, chartFactsName, foreignNamespaces, VALUES_FACTS_DIR, VALUES_FACTS_SCHEMA } from '../../lib/chart-facts.js';
import { render } from '../../lib/generate.js';
import { get } from '../../lib/validate/build.js';
import { BUNDLED_CHARTS, ChartLibrary } from '../../lib/validate/values.js';
import { HAS_SHARED, needsShared, SHARED_DIR } from '../shared.js';

const catalog = loadCatalog();
const releases = [...catalog.components.values()].flatMap((c) => (c.controller?.releases ?? []).map((r) => ({ component: c, release: r })));
// The chart data shipped in the package (byte-identical to the shared set: catalog.test.ts), so this runs without ../shared.
const charts = new ChartLibrary([BUNDLED_CHARTS]);
// Subcharts each chart depends on (Chart.yaml dependencies, as the chart data's INDEX.json repeats them):
// their values live in the subchart, which the pinned chart data does not hold.
const subcharts = new Map(
  (JSON.parse(readFileSync(join(BUNDLED_CHARTS, 'INDEX.json'), 'utf8')) as { name: string; version: string; dependencies?: { name: string }[] }[]).map((e) => [`${e.name} ${e.version}`, (e.dependencies ?? []).map((d) => d.name)]),
);

describe('chart facts', () => {
  const files = allChartFactsFiles();

  it('every file validates against schemas/chart-facts.schema.json and is named after its chart and version', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(CHART_FACTS_SCHEMA, 'utf8')));
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const file of files) {
      const data = parse(readFileSync(file, 'utf8'), { uniqueKeys: true }) as { chart: string; version: string; source: { ref: string } };
      expect(validate(data), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(basename(dirname(file))).toBe(chartFactsName(data.chart));
      expect(basename(file)).toBe(`${data.version}.yaml`);
      expect(data.source.ref, file).not.toBe('');
    }
  });

  it('every release of the catalog has facts for the version it pins', () => {
    const missing = releases.filter(({ release }) => !release.facts).map(({ release }) => `${release.chart} ${release.version}`);
    expect(missing).toEqual([]);
    for (const { release } of releases) expect(release.facts!.release, release.chart).toBe(release.name);
  });

  it('the values keys the facts name exist in the pinned chart (its default values.yaml or values.schema.json)', () => {
    const checked: string[] = [];
    const absent: string[] = [];
    for (const { release } of releases) {
      const facts = release.facts!;
      const chart = charts.find(release.source.type === 'git' ? { chart: release.chart, gitUrl: release.source.url, gitRef: release.version } : { chart: release.chart, version: release.version });
      if (!chart) continue;
      const schema = chart.schemaText ? JSON.stringify(JSON.parse(chart.schemaText)) : '';
      const keys = [
        ...facts.images.flatMap((i) => Object.values(i.values)),
        ...facts.workloads.flatMap((w) => [w.replicas?.value, w.podDisruptionBudget?.value].filter((v): v is string => Boolean(v))),
        ...facts.foreignNamespaces.flatMap((f) => (f.value ? [f.value] : [])),
      ];
      for (const key of new Set(keys)) {
        checked.push(`${facts.chart}:${key}`);
        // Declared in values.yaml (possibly as a commented key), or a property of the schema.
        const declared =
          get(chart.defaults, key) !== undefined ||
          chart.commented.has(`/${key.replaceAll('.', '/')}`) ||
          schema.includes(`"${key.split('.').pop()}"`) ||
          (subcharts.get(`${chart.name} ${chart.version}`) ?? []).includes(key.split('.')[0]);
        if (!declared) absent.push(`${facts.chart} ${facts.version}: ${key}`);
      }
    }
    expect(checked.length).toBeGreaterThan(100);
    expect(absent).toEqual([]);
  });

  it('foreign namespaces follow the values that move them, and the facts reach the Argo CD projects', () => {
    const certManager = chartFacts('cert-manager', 'v1.21.1')!;
    expect(foreignNamespaces(certManager, {}, 'cert-manager').map((f) => f.effective)).toEqual(['kube-system', 'kube-system']);
    expect(foreignNamespaces(certManager, { global: { leaderElection: { namespace: 'cert-manager' } } }, 'cert-manager')).toEqual([]);
    const cni = chartFacts('cni', '1.30.3')!;
    expect(foreignNamespaces(cni, {}, 'istio-system')).toEqual([]);
    expect(foreignNamespaces(cni, { provider: 'multus' }, 'istio-system').map((f) => f.effective)).toEqual(['default']);
    // metrics-server's RoleBinding in kube-system: the project allows kube-system only where metrics-server runs.
    const ctx = { catalog, directoryName: 'platform' };
    const project = (components: string[]) =>
      render(resolveAnswers(withDefaults({ provider: 'ovhcloud', engine: 'argocd', 'git-remote': 'https://gitlab.example.nl/p/g.git', components }, ctx), ctx), catalog).files.get('clusters/prod/apps/project.yaml')!;
    expect(project(['object-storage', 'postgres', 'metrics-server'])).toContain('namespace: kube-system');
    expect(project(['object-storage', 'postgres'])).not.toContain('kube-system');
  });
});

// Values facts (templates/values-facts): chart versions the catalog does not pin, met in repositories.
describe('values facts', () => {
  const files = allChartFactsFiles(VALUES_FACTS_DIR);
  type Facts = { chart: string; version: string; source: { ref: string }; passThroughValues: { value: string }[] };

  it('every file validates against schemas/values-facts.schema.json, names its chart and version, and is no pinned version', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(VALUES_FACTS_SCHEMA, 'utf8')));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const data = parse(readFileSync(file, 'utf8'), { uniqueKeys: true }) as Facts;
      expect(validate(data), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(basename(dirname(file))).toBe(chartFactsName(data.chart));
      expect(basename(file)).toBe(`${data.version}.yaml`);
      // A pinned version has chart facts, which hold its pass-through values.
      expect(chartFacts(data.chart, data.version), file).toBeUndefined();
    }
  });

  it.skipIf(!HAS_SHARED)(needsShared('each describes a chart version the shared chart data holds, under a top-level value it has'), () => {
    const shared = new ChartLibrary([join(SHARED_DIR, 'charts')]);
    for (const file of files) {
      const data = parse(readFileSync(file, 'utf8')) as Facts;
      const chart = shared.find({ chart: data.chart, version: data.version });
      expect(chart, file).toBeDefined();
      for (const { value } of data.passThroughValues) expect(get(chart!.defaults, value.split('.')[0]), `${file}: ${value}`).toBeDefined();
    }
  });
});
