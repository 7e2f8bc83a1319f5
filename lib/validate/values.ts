/**
 * Chart values against the pinned chart: its values.schema.json where it has one (validated after
 * merging with the chart defaults, as Helm does), otherwise the keys of its default values.yaml. A key
 * the chart does not have is an error, unless it sits under a map the chart leaves open: an empty map
 * by default, or a map of config-file style keys (dots or slashes, as argocd-cm or annotations).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { chartFacts } from '../chart-facts.js';
import { PACKAGE_ROOT } from '../package-info.js';
import { parseYaml, PREBUILT_DIR } from '../prebuilt.js';
import { listOf, mergePatch } from './build.js';
import { loadValidator, validatorKey } from './precompiled.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const WRAPPED_DEFAULTS = '_internal_defaults_do_not_set';

export const BUNDLED_CHARTS = join(PACKAGE_ROOT, 'schemas', 'charts');
export const CHART_DATA_ENV = 'HAVEN_PLUS_CHART_DATA';

interface IndexEntry {
  name: string;
  version: string;
  path: string;
  repoURL?: string;
  ociURL?: string;
  source: { repo: string; ref: string; path: string };
}

export interface ChartData {
  name: string;
  version: string;
  defaults: Record<string, unknown>;
  /** Paths documented in values.yaml only as commented-out keys (e.g. `# storageClass: fast`). */
  commented: Set<string>;
  /** The chart's values.schema.json, as written. */
  schemaText?: string;
  /** Its dependencies' names (or aliases) in Chart.yaml: Helm hands the values under each to that subchart, whose values.yaml is not here. */
  subcharts: string[];
}

/**
 * Keys a values.yaml documents in comments: a `# key:` line belongs to the nearest real key above it
 * with less indentation (its column is where the `#` stands).
 */
export function commentedKeys(text: string): Set<string> {
  const out = new Set<string>();
  const stack: { indent: number; key: string }[] = [];
  const pathAt = (indent: number) => {
    while (stack.length && stack.at(-1)!.indent >= indent) stack.pop();
    return stack.map((s) => s.key);
  };
  for (const line of text.split('\n')) {
    const real = /^(\s*)([A-Za-z0-9_.-]+):(\s|$)/.exec(line);
    if (real) {
      pathAt(real[1].length); // pops keys at this indentation or deeper
      stack.push({ indent: real[1].length, key: real[2] });
      continue;
    }
    const commented = /^(\s*)#\s?([A-Za-z_][A-Za-z0-9_.-]*):(\s|$)/.exec(line);
    if (commented) out.add(`/${[...pathAt(commented[1].length), commented[2]].join('/')}`);
  }
  return out;
}

/** Values a chart passes verbatim into Kubernetes objects (toYaml): any Kubernetes field is valid under them. */
const PASS_THROUGH = /(^|[a-z])(securityContext|SecurityContext|resources|Resources|affinity|Affinity|tolerations|Tolerations|nodeSelector|NodeSelector|annotations|Annotations|labels|Labels|topologySpreadConstraints|env|Env|livenessProbe|readinessProbe|startupProbe)$/;

/** How a repository names a chart: Helm repository name and version, or git repository, chart path and tag. */
export interface ChartRef {
  chart: string;
  version?: string;
  gitUrl?: string;
  gitRef?: string;
}

/** A chart repository's URL, compared: no case, no trailing slash, and for OCI no trailing chart name (an OCI URL may name the chart). */
function chartRepository(url: string, chart: string): string {
  const u = url.trim().replace(/\/+$/, '').toLowerCase();
  return u.startsWith('oci://') && u.endsWith(`/${chart.toLowerCase()}`) ? u.slice(0, -chart.length - 1) : u;
}

/**
 * Whether a repository URL is the pinned one: equal, or for OCI the same repository path behind
 * another host (Docker Hub's aliases, a registry mirror such as oci://harbor.example.nl/dockerhub/…).
 */
function sameRepository(pinned: string, url: string): boolean {
  if (pinned === url) return true;
  if (!pinned.startsWith('oci://') || !url.startsWith('oci://')) return false;
  const path = pinned.replace(/^oci:\/\/[^/]+/, '');
  return path !== '' && url.endsWith(path);
}

export function resolveChartDirs(flags: string[] | undefined, env = process.env[CHART_DATA_ENV]): string[] {
  if (flags && flags.length > 0) return flags;
  if (env) return env.split(/[,;]/).filter(Boolean);
  return [BUNDLED_CHARTS];
}

export class ChartLibrary {
  private readonly entries: { dir: string; entry: IndexEntry }[] = [];
  private readonly loaded = new Map<string, ChartData>();
  private readonly validators = new Map<string, (v: unknown) => string[]>();
  /** How the values validators of this run came about: loaded from the build, or compiled now. */
  readonly validatorOrigins = { precompiled: 0, compiled: 0 };

  /** `prebuilt`: the build's results (dist/prebuilt, see prebuilt.ts); undefined parses and compiles everything. */
  constructor(
    dirs: string[],
    private readonly prebuilt: string | undefined = PREBUILT_DIR,
  ) {
    for (const dir of dirs) {
      const index = join(dir, 'INDEX.json');
      if (!existsSync(index)) continue;
      for (const entry of JSON.parse(readFileSync(index, 'utf8')) as IndexEntry[]) this.entries.push({ dir, entry });
    }
  }

  /** A chart from a Helm repository (name + version), or from git (repository URL, path, tag). */
  find(ref: ChartRef): ChartData | undefined {
    // Git charts are matched by repository name, chart path and tag: mirrors (GitHub, Codeberg, the
    // project's own forge) hold the same chart.
    const repoName = (u: string) => u.replace(/\.git$/, '').replace(/\/$/, '').split('/').pop()!.toLowerCase();
    const hit = ref.gitUrl
      ? this.entries.find(({ entry }) => entry.source.path === ref.chart.replace(/^\.\//, '') && entry.source.ref === ref.gitRef && repoName(entry.source.repo) === repoName(ref.gitUrl!))
      : // The same name at the same version, from wherever (a mirror, a proxy, a registry cache): the same chart.
        this.entries.find(({ entry }) => entry.name === ref.chart && entry.version === ref.version);
    return hit ? this.load(hit) : undefined;
  }

  /**
   * The pinned data that stands in for a Helm chart whose version is not pinned here: the same chart
   * (name and repository URL, so a namesake from another repository never matches) at the newest
   * pinned version a range allows, or, for a version, the nearest pinned one (the newest below it,
   * else the oldest above it). Undefined when the chart or its repository is not known here.
   */
  nearest(ref: ChartRef & { url?: string }): { chart: ChartData; how: 'same' | 'range' | 'nearest' } | undefined {
    if (ref.gitUrl || !ref.url) return undefined;
    const url = chartRepository(ref.url, ref.chart);
    const same = this.entries.filter(({ entry }) => entry.name === ref.chart && [entry.repoURL, entry.ociURL].some((u) => typeof u === 'string' && sameRepository(chartRepository(u, ref.chart), url)));
    const sorted = same
      .map((e) => ({ e, v: semver.coerce(e.entry.version, { includePrerelease: true }) }))
      .filter((x): x is { e: (typeof same)[number]; v: semver.SemVer } => x.v !== null)
      .sort((a, b) => semver.compare(a.v, b.v));
    if (sorted.length === 0) return undefined;
    // Helm reads a version as a constraint (Masterminds semver: commas join, empty means any).
    const wanted = (ref.version ?? '').trim().replaceAll(',', ' ').replace(/=>/g, '>=').replace(/=</g, '<=') || '*';
    const exact = semver.valid(semver.clean(wanted, { loose: true }) ?? '', { loose: true });
    if (!exact) {
      const range = semver.validRange(wanted, { loose: true, includePrerelease: false });
      const allowed = range ? sorted.filter((x) => semver.satisfies(x.v, range, { loose: true })) : [];
      return allowed.length > 0 ? { chart: this.load(allowed.at(-1)!.e), how: 'range' } : undefined;
    }
    const at = sorted.filter((x) => semver.lte(x.v, exact)).at(-1) ?? sorted[0];
    // A Helm repository's index is searched by constraint (`1.21.1` finds `v1.21.1`); an OCI registry is
    // asked for the tag as written (source-controller v1.9 internal/helm/repository: chart_repository.go, oci_chart_repository.go).
    // Build metadata (`+up1`) tells charts apart where semver equality does not.
    const build = (v: string) => semver.parse(v, { loose: true })?.build.join('.') ?? '';
    // A chart pushed under several tags (gateway-helm as v1.9.0 and 1.9.0: its chart facts say so) is that version under each.
    const tags = [at.e.entry.version, ...(chartFacts(at.e.entry.name, at.e.entry.version)?.ociTags?.tags ?? [])];
    const pinned = semver.eq(at.v, exact) && build(at.e.entry.version) === build(wanted) && (!url.startsWith('oci://') || tags.includes(wanted));
    return { chart: this.load(at.e), how: pinned ? 'same' : 'nearest' };
  }

  private load(hit: { dir: string; entry: IndexEntry }): ChartData {
    const key = `${hit.dir}/${hit.entry.path}`;
    if (!this.loaded.has(key)) {
      const base = join(hit.dir, hit.entry.path);
      const schemaFile = join(base, 'values.schema.json');
      const valuesText = readFileSync(join(base, 'values.yaml'), 'utf8');
      let defaults = (parseYaml(valuesText, {}, this.prebuilt) as Record<string, unknown> | null) ?? {};
      // Istio's charts keep their defaults under a wrapper users must not set: the keys inside are top-level values.
      const wrapped = defaults[WRAPPED_DEFAULTS];
      if (wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped)) {
        const { [WRAPPED_DEFAULTS]: _wrapper, ...rest } = defaults;
        defaults = { ...(wrapped as Record<string, unknown>), ...rest };
      }
      this.loaded.set(key, {
        name: hit.entry.name,
        version: hit.entry.version,
        defaults,
        commented: commentedKeys(valuesText),
        schemaText: existsSync(schemaFile) ? readFileSync(schemaFile, 'utf8') : undefined,
        subcharts: subchartsOf(join(base, 'Chart.yaml')),
      });
    }
    return this.loaded.get(key)!;
  }

  /**
   * Problems with user values for a chart, each with the values path. `undeclared`: paths the chart
   * reads although its values.yaml does not declare them (documented elsewhere, e.g. Istio's `/profile`).
   */
  check(chart: ChartData, values: Record<string, unknown>, undeclared: string[] = []): { path: string; message: string }[] {
    // istiod merges `.Values.pilot` over its top-level values before any template reads them
    // (manifests/charts/istio-control/istio-discovery/templates/zzy_descope_legacy.yaml, istio#52036, 1.23+):
    // `pilot.x` is the value `x`, checked as such.
    const pilot = chart.name === 'istiod' && !Object.hasOwn(chart.defaults, 'pilot') ? values.pilot : undefined;
    if (pilot && typeof pilot === 'object' && !Array.isArray(pilot)) {
      const { pilot: _pilot, ...rest } = values;
      return [...this.check(chart, rest, undeclared), ...this.check(chart, pilot as Record<string, unknown>, undeclared).map((p) => ({ path: `/pilot${p.path}`, message: p.message.replace(`values ${p.path}`, `values /pilot${p.path}`) }))];
    }
    const allowed = new Set([...chart.commented, ...undeclared, ...chart.subcharts.map((name) => `/${name}`)]);
    const problems: { path: string; message: string }[] = [];
    if (chart.schemaText) {
      const key = `${chart.name}@${chart.version}`;
      if (!this.validators.has(key)) this.validators.set(key, this.valuesValidator(chart.schemaText));
      const merged = mergeValues(chart.defaults, values);
      problems.push(...this.validators.get(key)!(merged).map((m) => ({ path: m.split(' ')[0], message: `values ${m} (values.schema.json of ${chart.name} ${chart.version})` })));
    }
    // A key neither the default values.yaml nor the schema names is read by no template, whatever an open
    // schema (no additionalProperties: false) lets through: a typo that silently does nothing.
    const schema = chart.schemaText ? (JSON.parse(chart.schemaText) as JsonSchema) : undefined;
    for (const path of unknownKeys(chart.defaults, values, '', allowed)) {
      if (schema && declaredBySchema(schema, path.split('/').slice(1))) continue;
      if (problems.some((p) => p.path === path || p.message.includes(JSON.stringify(path.split('/').pop())))) continue;
      problems.push({ path, message: `values ${path}: ${chart.name} ${chart.version} has no such value (not in its default values.yaml${schema ? ' nor its values.schema.json' : ''})` });
    }
    return problems;
  }

  private valuesValidator(schemaText: string): (v: unknown) => string[] {
    const loaded = loadValidator<ValidateFunction>(this.prebuilt, validatorKey(VALUES_FLAVOUR, schemaText));
    this.validatorOrigins[loaded ? 'precompiled' : 'compiled']++;
    const validate = loaded ?? compileValuesSchema(schemaText).validate;
    return (value) => {
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => {
        const extra = e.keyword === 'additionalProperties' ? `: unknown key ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}` : '';
        return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}`;
      });
    };
  }
}

/** The names a chart's dependencies take their values under (Chart.yaml `dependencies`: the alias, else the name). */
function subchartsOf(chartFile: string): string[] {
  if (!existsSync(chartFile)) return [];
  const chart = parseYaml(readFileSync(chartFile, 'utf8'), {}) as { dependencies?: unknown } | null;
  return listOf<{ name?: unknown; alias?: unknown }>(chart?.dependencies).flatMap((d) => {
    const name = typeof d?.alias === 'string' && d.alias !== '' ? d.alias : d?.name;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
}

/** Helm's coalescing: maps merge, user values win, lists and scalars replace. */
export function mergeValues(defaults: unknown, values: unknown): Record<string, unknown> {
  return mergePatch(defaults, values) as Record<string, unknown>;
}

/** The compilation of a chart's values.schema.json: its key in the precompiled validators. */
export const VALUES_FLAVOUR = 'values';

/**
 * A values schema compiled by the ajv for its draft. `$schema` itself is left out: some charts declare
 * a draft-07 URI ajv does not register. `source` keeps the generated code, for the build.
 */
export function compileValuesSchema(schemaText: string, { source = false } = {}): { ajv: Ajv; validate: ValidateFunction } {
  const { $schema: draft, ...schema } = JSON.parse(schemaText) as Record<string, unknown>;
  const options = { strict: false, allErrors: true, allowUnionTypes: true, validateFormats: true, code: { source, optimize: source } } as const;
  const ajv = (String(draft).includes('2020-12') ? new Ajv2020(options) : String(draft).includes('2019-09') ? new Ajv2019(options) : new Ajv(options)) as Ajv;
  addFormats(ajv);
  return { ajv, validate: ajv.compile(schema) };
}

type JsonSchema = { $ref?: string; properties?: Record<string, JsonSchema>; patternProperties?: Record<string, JsonSchema>; additionalProperties?: boolean | JsonSchema; items?: JsonSchema; allOf?: JsonSchema[]; anyOf?: JsonSchema[]; oneOf?: JsonSchema[] } & Record<string, unknown>;

/** Whether a values schema names a path: listed properties, matching patternProperties, or a map whose values have a schema. */
function declaredBySchema(root: JsonSchema, segments: string[]): boolean {
  const resolve = (s: JsonSchema | undefined, depth = 0): JsonSchema | undefined => {
    if (!s || depth > 20 || typeof s.$ref !== 'string' || !s.$ref.startsWith('#/')) return s;
    const target = s.$ref.slice(2).split('/').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root);
    return resolve(target as JsonSchema | undefined, depth + 1);
  };
  // A map the schema leaves open (`{type: object, additionalProperties: true}`) takes any key, and everything
  // beneath it (the chart passes it through whole: loki's rulerConfig and ingester, read with toYaml).
  const open: JsonSchema = {};
  const step = (s: JsonSchema | undefined, key: string): JsonSchema[] => {
    if (s === open) return [open];
    const r = resolve(s);
    if (!r) return [];
    const out: JsonSchema[] = [];
    // Only a map the schema describes as nothing but open: generated chart schemas (helm-schema) set
    // additionalProperties: true beside every documented property too, which opens nothing here.
    if (r.additionalProperties === true && r.properties === undefined && r.patternProperties === undefined) out.push(open);
    if (r.properties && key in r.properties) out.push(r.properties[key]);
    for (const [pattern, sub] of Object.entries(r.patternProperties ?? {})) if (new RegExp(pattern, 'u').test(key)) out.push(sub);
    if (r.additionalProperties && typeof r.additionalProperties === 'object') out.push(r.additionalProperties);
    for (const sub of [...(r.allOf ?? []), ...(r.anyOf ?? []), ...(r.oneOf ?? [])]) out.push(...step(sub, key));
    return out;
  };
  let current: JsonSchema[] = [root];
  for (const key of segments) {
    current = current.flatMap((s) => step(s, key));
    if (current.length === 0) return false;
  }
  return true;
}

const isMap = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Paths (JSON pointer style) of user keys the defaults do not have, outside open maps. */
function unknownKeys(defaults: Record<string, unknown>, values: Record<string, unknown>, prefix: string, commented: Set<string>): string[] {
  const keys = Object.keys(defaults);
  // An empty map, a map of config-file style keys, or a Kubernetes pass-through is free-form.
  if (keys.length === 0 || keys.some((k) => k.includes('.') || k.includes('/')) || PASS_THROUGH.test(prefix.split('/').pop() ?? '')) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const path = `${prefix}/${k}`;
    if (!(k in defaults)) {
      // Allowed: a value read without being declared, what is beneath one, and the maps on the way to one
      // (`validator.driver` of gpu-operator, whose template reads only `validator.driver.env`).
      if (!commented.has(path) && !PASS_THROUGH.test(k) && ![...commented].some((a) => path.startsWith(`${a}/`) || a.startsWith(`${path}/`))) out.push(path);
      continue;
    }
    const d = defaults[k];
    if (isMap(d) && isMap(v)) out.push(...unknownKeys(d, v, path, commented));
  }
  return out;
}
