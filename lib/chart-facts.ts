/**
 * Chart facts: what a pinned chart renders, read from its upstream templates at the pinned ref and kept
 * as data beside the catalog (templates/chart-facts/<chart>/<version>.yaml, described by
 * schemas/chart-facts.schema.json). The generator uses them (an Argo CD project allows the namespaces a
 * chart writes to), and so does the validator, on any repository that pins a chart version we know.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, TEMPLATES_DIR } from './package-info.js';
import { parseYaml } from './prebuilt.js';
import { get } from './validate/build.js';

export const CHART_FACTS_DIR = join(TEMPLATES_DIR, 'chart-facts');
export const CHART_FACTS_SCHEMA = join(PACKAGE_ROOT, 'schemas', 'chart-facts.schema.json');

export interface ForeignNamespace {
  namespace: string;
  /** The values key that moves these objects. */
  value?: string;
  /** Rendered only when this value (or its chart default) equals `equals`. */
  when?: { value: string; equals: unknown; default: unknown };
  kinds: string[];
  condition?: string;
  source: string;
}

export interface ChartFacts {
  chart: string;
  version: string;
  release: string;
  source: { repository: string; ref: string; path: string };
  notes?: string;
  /** Every tag the version is pushed under to its OCI registry. */
  ociTags?: { tags: string[]; source: string };
  /** Values the templates read that values.yaml does not declare, or render verbatim (toYaml): the value and any key under it are valid. */
  passThroughValues?: { value: string; source: string }[];
  /** Secrets the chart's software reads at run time by a fixed name in the release namespace (not rendered by the chart). */
  runtimeSecrets?: { name: string; keys: string[]; ifMissing: string; source: string }[];
  foreignNamespaces: ForeignNamespace[];
  clusterScopedKinds: { group: string; kind: string; condition?: string; source: string }[];
  webhooks: { kind: string; name: string; service: string; servicePort: number; targetPort: number; failurePolicy: 'Fail' | 'Ignore'; podLabels?: Record<string, string>; condition?: string; source: string }[];
  workloads: {
    kind: string;
    name: string;
    podLabels: Record<string, string>;
    ports: { port: number; name?: string; protocol?: string; purpose: string }[];
    replicas?: { value: string; default: number };
    podDisruptionBudget?: { value: string; default: boolean; settings?: string[] };
    resources?: string;
    leaderElection?: boolean;
    condition?: string;
    source: string;
  }[];
  images: {
    repository: string;
    registry: string;
    values: Record<string, string>;
    alternatives?: { repository: string; source: string }[];
    enabledBy?: { value: string; default: boolean };
    condition?: string;
    source: string;
  }[];
  /** The file it was read from, relative to the package. */
  file: string;
}

/** The directory name of a chart: a chart path of a git source (`script/helm/garage`) with `/` as `-`. */
export const chartFactsName = (chart: string) => chart.replace(/^\.\//, '').replaceAll('/', '-');

export const chartFactsFile = (chart: string, version: string, dir = CHART_FACTS_DIR) => join(dir, chartFactsName(chart), `${version}.yaml`);

/**
 * A facts file of a chart version, read once per process (undefined where none was gathered); one that names
 * another chart or version than its path stops the run.
 */
function factsReader<T extends { chart: string; version: string }, R>(dir: string, finish: (data: T, file: string) => R): (chart: string, version: string | undefined) => R | undefined {
  const cache = new Map<string, R | undefined>();
  return (chart, version) => {
    if (!version) return undefined;
    const file = chartFactsFile(chart, version, dir);
    if (!cache.has(file)) {
      if (!existsSync(file)) cache.set(file, undefined);
      else {
        // The catalog's YAML options, so the build's parsed copy is used (lib/prebuilt.ts).
        const data = parseYaml(readFileSync(file, 'utf8'), { uniqueKeys: true, version: '1.2' }) as T;
        if (data.chart !== chart || data.version !== version) throw new Error(`${file} describes ${data.chart} ${data.version}, not ${chart} ${version}`);
        cache.set(file, finish(data, file));
      }
    }
    return cache.get(file);
  };
}

const chartFactsIn = new Map<string, ReturnType<typeof factsReader<Omit<ChartFacts, 'file'>, ChartFacts>>>();

/** The facts of a chart version, or undefined when none were gathered. */
export function chartFacts(chart: string, version: string | undefined, dir = CHART_FACTS_DIR): ChartFacts | undefined {
  if (!chartFactsIn.has(dir)) chartFactsIn.set(dir, factsReader<Omit<ChartFacts, 'file'>, ChartFacts>(dir, (data, file) => ({ ...data, file: file.slice(PACKAGE_ROOT.length + 1) })));
  return chartFactsIn.get(dir)!(chart, version);
}

export const VALUES_FACTS_DIR = join(TEMPLATES_DIR, 'values-facts');
export const VALUES_FACTS_SCHEMA = join(PACKAGE_ROOT, 'schemas', 'values-facts.schema.json');

/**
 * Values facts: for a chart version the catalog does not pin but the chart data holds (the validator
 * meets it in repositories it checks), what its templates read of its values beyond what values.yaml
 * declares (templates/values-facts/<chart>/<version>.yaml, schemas/values-facts.schema.json).
 */
export interface ValuesFacts {
  chart: string;
  version: string;
  source: { repository: string; ref: string; path: string };
  notes?: string;
  passThroughValues: { value: string; source: string }[];
}

const valuesFactsIn = factsReader<ValuesFacts, ValuesFacts>(VALUES_FACTS_DIR, (data) => data);

/** The values facts of a chart version, or undefined when none were gathered. */
export const valuesFacts = (chart: string, version: string | undefined): ValuesFacts | undefined => valuesFactsIn(chart, version);

/** The values paths a chart version renders verbatim or reads undeclared, from its chart facts or values facts. */
export function passThroughValues(chart: string, version: string | undefined): { value: string; source: string }[] {
  return [...(chartFacts(chart, version)?.passThroughValues ?? []), ...(valuesFacts(chart, version)?.passThroughValues ?? [])];
}

/** Every facts file: [chart directory, version file] pairs. */
export function allChartFactsFiles(dir = CHART_FACTS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((chart) => readdirSync(join(dir, chart)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, chart, f)))
    .sort();
}

/**
 * The namespaces a release writes into besides its own, at the values given: the default of each fact,
 * or where its value moves it. An empty value (Helm's "" = the release namespace) or the release
 * namespace itself is not foreign.
 */
export function foreignNamespaces(facts: ChartFacts, values: Record<string, unknown>, releaseNamespace: string): (ForeignNamespace & { effective: string })[] {
  return facts.foreignNamespaces.flatMap((f) => {
    if (f.when && (get(values, f.when.value) ?? f.when.default) !== f.when.equals) return [];
    const moved = f.value ? get(values, f.value) : undefined;
    const effective = typeof moved === 'string' ? moved : f.namespace;
    return effective === '' || effective === releaseNamespace ? [] : [{ ...f, effective }];
  });
}
