/**
 * Strict JSON Schema validation per apiVersion/kind, as kubeconform and flux-schema do it, plus the
 * CRDs' CEL rules. Schemas are looked up through an ordered list of locations (directories or URL
 * templates, like kubeconform's -schema-location), compiled lazily once per kind and cached.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../package-info.js';
import { PREBUILT_DIR } from '../prebuilt.js';
import { celKeyword, validatorHelpers, type CelStats, type ValidatorHelpers } from './cel.js';
import { loadValidator, validatorKey } from './precompiled.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Schemas of every kind the generator emits, shipped in the package (see schemas/kubernetes/INDEX.json). */
export const BUNDLED_SCHEMAS = join(PACKAGE_ROOT, 'schemas', 'kubernetes');
/** The public catalogs: flux-schema for core, Flux and Gateway API; datree's CRDs-catalog for other CRDs. */
export const PUBLIC_CATALOGS = [
  'https://raw.githubusercontent.com/fluxcd/flux-schema/main/catalog/latest/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json',
  'https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json',
];
export const DEFAULT_LOCATIONS = [BUNDLED_SCHEMAS, ...PUBLIC_CATALOGS];
export const LOCATION_ENV = 'HAVEN_PLUS_SCHEMA_LOCATION';
/** How long one run may spend downloading schemas from URL locations, in all. */
const PREFETCH_BUDGET_MS = 15_000;

export function groupVersion(apiVersion: string): { group: string; version: string } {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  return { group: group.toLowerCase(), version: version.toLowerCase() };
}

/**
 * Whether an apiVersion and kind are well-formed as Kubernetes names them (a DNS subdomain group, a DNS
 * label version, an alphanumeric kind): only those are looked up, so a `kind: ../../x` never names a
 * file or URL outside the schema locations.
 */
export function validGroupVersionKind(apiVersion: string, kind: string): boolean {
  const parts = apiVersion.split('/');
  if (parts.length > 2) return false;
  const [group, version] = parts.length === 2 ? parts : ['', parts[0]];
  return (group === '' || /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(group)) && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(version) && /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kind);
}

/** The flux-schema/datree layout: {group}/{kind}_{version}.json, all lower case, core group "core". */
export function schemaFile(apiVersion: string, kind: string): string {
  const { group, version } = groupVersion(apiVersion);
  return `${group}/${kind.toLowerCase()}_${version}.json`;
}

/** Locations from flags, else the environment (colon- or comma-separated), else the defaults. */
export function resolveLocations(flags: string[] | undefined, env = process.env[LOCATION_ENV]): string[] {
  if (flags && flags.length > 0) return flags;
  if (env) return env.split(/[,;]/).filter(Boolean);
  return DEFAULT_LOCATIONS;
}

function expandTemplate(template: string, apiVersion: string, kind: string): string {
  const { group, version } = groupVersion(apiVersion);
  const values: Record<string, string> = {
    Group: group,
    ResourceKind: kind.toLowerCase(),
    Kind: kind.toLowerCase(),
    ResourceAPIVersion: version,
    Version: version,
    KindSuffix: '',
    StrictSuffix: '',
    NormalizedKubernetesVersion: 'master',
  };
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (m, name: string) => values[name] ?? m);
}

const isUrl = (location: string) => /^https?:\/\//.test(location);

/** The strict ObjectMeta a CRD schema leaves as `{type: object}`. Names are checked in code (nameProblems). */
const OBJECT_META = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object' } },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: ['string', 'null'] },
    deletionGracePeriodSeconds: { type: 'integer' },
    managedFields: { type: 'array' },
  },
};

type Schema = Record<string, unknown>;

/** Loader workarounds from the schema set's notes: nullable without type, closed root, strict metadata. */
export function prepareSchema(schema: Schema, { share = true } = {}): Schema {
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as Schema;
    if ('nullable' in n && !('type' in n)) delete n.nullable;
    widenQuantities(n);
    for (const v of Object.values(n)) walk(v);
  };
  walk(schema);
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props) {
    if (schema.additionalProperties === undefined) schema.additionalProperties = false;
    const meta = props.metadata;
    if (!meta || (meta.type === 'object' && !meta.properties)) props.metadata = OBJECT_META;
    props.apiVersion ??= { type: 'string' };
    props.kind ??= { type: 'string' };
  }
  delete schema.$schema;
  delete schema.$id;
  return share ? shareRepeatedSubschemas(schema) : schema;
}

/**
 * Resource quantities (k8s.io/apimachinery resource.Quantity) are strings or numbers: the API server
 * unmarshals `cpu: 1` and `requests.cpu: 0.5` (quantity.go UnmarshalJSON; its OpenAPI v3 type is
 * string or number). The built-in kinds' schemas (flux-schema, from OpenAPI v2) say string only, so
 * the ResourceList maps (`requests`, `limits`, ResourceQuota `hard`, LimitRange `min`/`max`/`default`…)
 * and the scalar quantities (`sizeLimit`, a metric target's `averageValue`) whose values are written as
 * plain strings are widened to take numbers too. Labels, annotations and other string maps stay strings.
 */
function widenQuantities(node: Schema): void {
  const props = node.properties as Record<string, Schema> | undefined;
  if (!props || typeof props !== 'object') return;
  const stringOnly = (s: unknown): s is Schema => {
    if (!s || typeof s !== 'object' || Object.keys(s).length !== 1) return false;
    const type = (s as Schema).type;
    return type === 'string' || (Array.isArray(type) && type.length === 2 && type.includes('string') && type.includes('null'));
  };
  const widened = (s: Schema): Schema => ({ type: Array.isArray(s.type) ? ['string', 'number', 'null'] : ['string', 'number'] });
  for (const [name, sub] of Object.entries(props)) {
    if (!sub || typeof sub !== 'object') continue;
    if (QUANTITY_MAPS.has(name) && stringOnly(sub.additionalProperties)) sub.additionalProperties = widened(sub.additionalProperties);
    else if (QUANTITY_FIELDS.has(name) && stringOnly(sub)) props[name] = widened(sub);
  }
}
const QUANTITY_MAPS = new Set(['requests', 'limits', 'hard', 'used', 'capacity', 'allocatable', 'overhead', 'min', 'max', 'default', 'defaultRequest', 'maxLimitRequestRatio']);
const QUANTITY_FIELDS = new Set(['sizeLimit', 'averageValue']);

/** Sub-schemas at least this long (as JSON) are shared when they occur more than once. */
const SHARED_MIN_LENGTH = 128;

/**
 * CRDs cannot use `$ref`, so a type used in many places (a SecretKeySelector, a PodSpec's affinity, a
 * resources block) is written out in full each time: CloudNativePG's Cluster repeats such blocks until
 * its validator is 8 MB of code, which costs more to load than all the rest of a small run. Each
 * sub-schema that occurs more than once is moved into `$defs` and referenced, so ajv compiles it once
 * (with `inlineRefs: false`). Descriptions go (they are no rules). Only schema positions are touched
 * (properties, items, combinators, …), never values such as `default`, `enum` or CEL rules, so what is
 * valid and each error stay as they were (a test compares both over the bundled schemas). A schema that
 * has references of its own already (a catalog's, not a CRD's) is left as written.
 */
export function shareRepeatedSubschemas(schema: Schema): Schema {
  if (JSON.stringify(schema).includes('"$ref"') || '$defs' in schema || 'definitions' in schema) return schema;
  const text = new Map<Schema, string>();
  const count = new Map<string, number>();
  const children = (n: Schema): Schema[] => {
    const out: Schema[] = [];
    const add = (v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Schema);
    };
    for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) for (const v of Object.values((n[key] as Record<string, unknown> | undefined) ?? {})) add(v);
    for (const key of ['additionalProperties', 'not', 'items', 'additionalItems', 'contains', 'propertyNames', 'if', 'then', 'else']) {
      const v = n[key];
      if (Array.isArray(v)) v.forEach(add);
      else add(v);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) if (Array.isArray(n[key])) (n[key] as unknown[]).forEach(add);
    return out;
  };
  const measure = (n: Schema): void => {
    // Documentation is no rule: without it the validator's embedded schema is smaller, and types
    // documented differently in different places are shared all the same.
    delete n.description;
    delete n.example;
    children(n).forEach(measure);
    const json = JSON.stringify(n);
    text.set(n, json);
    if (json.length >= SHARED_MIN_LENGTH) count.set(json, (count.get(json) ?? 0) + 1);
  };
  measure(schema);
  const defs: Record<string, Schema> = {};
  const names = new Map<string, string>();
  const share = (n: Schema, isRoot = false): Schema => {
    const json = text.get(n)!;
    if (!isRoot && (count.get(json) ?? 0) > 1) {
      let name = names.get(json);
      if (!name) {
        name = `shared${names.size}`;
        names.set(json, name);
        defs[name] = rewrite(n);
      }
      return { $ref: `#/$defs/${name}` };
    }
    return rewrite(n);
  };
  const rewrite = (n: Schema): Schema => {
    const out: Schema = { ...n };
    for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) {
      const map = n[key] as Record<string, unknown> | undefined;
      if (map && typeof map === 'object') out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? share(v as Schema) : v]));
    }
    for (const key of ['additionalProperties', 'not', 'items', 'additionalItems', 'contains', 'propertyNames', 'if', 'then', 'else', 'allOf', 'anyOf', 'oneOf', 'prefixItems']) {
      const v = n[key];
      if (Array.isArray(v)) out[key] = v.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? share(x as Schema) : x));
      else if (v && typeof v === 'object') out[key] = share(v as Schema);
    }
    return out;
  };
  const root = share(schema, true);
  return names.size === 0 ? schema : { ...root, $defs: defs };
}

export interface SchemaHit {
  validate: ValidateFunction;
  source: string;
}

/** The compilation of a Kubernetes schema: its key in the precompiled validators (precompiled.ts). */
export const KUBERNETES_FLAVOUR = 'kubernetes-compact';

/**
 * The ajv for Kubernetes schemas: strict, every error, the Kubernetes vocabulary, CEL rules through
 * the helpers. `source` keeps the generated code, for writing it out as standalone code.
 */
export function kubernetesAjv(helpers: ValidatorHelpers, { source = false } = {}): Ajv {
  // optimize: false skips ajv's code-optimisation pass: compiling dominates a small run, and the
  // unoptimised validators are as fast at 342 clusters. The build, which compiles ahead of time, optimises.
  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allErrors: true,
    code: { regExp: helpers.regExp, optimize: source, source },
    // Shared sub-schemas (prepareSchema) stay functions of their own instead of being copied inline again.
    inlineRefs: false,
  });
  addFormats(ajv);
  ajv.addVocabulary([
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-group-version-kind',
    'x-kubernetes-patch-strategy',
    'x-kubernetes-patch-merge-key',
    'x-kubernetes-unions',
    'example',
  ]);
  ajv.addKeyword(celKeyword(helpers));
  return ajv;
}

export class SchemaRegistry {
  private ajvInstance: Ajv | undefined;
  private readonly helpers: ValidatorHelpers;
  private readonly compiled = new Map<string, SchemaHit | null>();
  readonly cel: CelStats = { evaluated: 0, notEvaluated: 0, unsupported: new Set() };
  /** How the validators of this run came about: loaded from the build, or compiled now. */
  readonly validatorOrigins = { precompiled: 0, compiled: 0 };

  constructor(
    readonly locations: string[] = DEFAULT_LOCATIONS,
    private readonly cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'haven-plus', 'schemas'),
    /** The build's results (dist/prebuilt, see prebuilt.ts); undefined compiles every schema. */
    private readonly prebuilt: string | undefined = PREBUILT_DIR,
  ) {
    this.helpers = validatorHelpers(this.cel);
  }

  /** Created on the first schema with no precompiled validator: setting it up costs as much as a small schema. */
  private get ajv(): Ajv {
    this.ajvInstance ??= kubernetesAjv(this.helpers);
    return this.ajvInstance;
  }

  private readSchema(apiVersion: string, kind: string): { text: string; source: string } | undefined {
    if (!validGroupVersionKind(apiVersion, kind)) return undefined;
    for (const location of this.locations) {
      if (isUrl(location)) {
        const url = location.includes('{{') ? expandTemplate(location, apiVersion, kind) : `${location.replace(/\/$/, '')}/${schemaFile(apiVersion, kind)}`;
        const cached = join(this.cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`);
        if (existsSync(cached)) return { text: readFileSync(cached, 'utf8'), source: url };
        continue; // fetched ahead of time by prefetch()
      }
      const dir = isAbsolute(location) ? location : resolve(location);
      const file = location.includes('{{') ? expandTemplate(dir, apiVersion, kind) : join(dir, schemaFile(apiVersion, kind));
      if (existsSync(file)) return { text: readFileSync(file, 'utf8'), source: file };
    }
    return undefined;
  }

  /** Downloads (once, into the cache) the schemas of these kinds that no directory location has. */
  /**
   * Downloads the schemas of kinds no local location has, from the URL locations: eight at a time, and
   * within PREFETCH_BUDGET_MS for the whole run, however many kinds a repository names (a merge request
   * decides that), so an unanswering network costs seconds, not minutes. What is not fetched in time is
   * said, and those kinds are checked without a schema (a warning).
   */
  async prefetch(kinds: { apiVersion: string; kind: string }[]): Promise<string[]> {
    const notes: string[] = [];
    const wanted = kinds.filter(({ apiVersion, kind }) => validGroupVersionKind(apiVersion, kind) && !this.readSchema(apiVersion, kind));
    const urls = this.locations.filter(isUrl);
    if (wanted.length === 0 || urls.length === 0) return notes;
    const deadline = AbortSignal.timeout(PREFETCH_BUDGET_MS);
    let next = 0;
    let skipped = 0;
    const fetchOne = async ({ apiVersion, kind }: { apiVersion: string; kind: string }) => {
      for (const location of urls) {
        if (deadline.aborted) {
          skipped++;
          return;
        }
        const url = location.includes('{{') ? expandTemplate(location, apiVersion, kind) : `${location.replace(/\/$/, '')}/${schemaFile(apiVersion, kind)}`;
        try {
          const response = await fetch(url, { signal: AbortSignal.any([deadline, AbortSignal.timeout(10_000)]) });
          if (response.status === 404) continue;
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const text = await response.text();
          JSON.parse(text);
          mkdirSync(this.cacheDir, { recursive: true });
          writeFileSync(join(this.cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`), text);
          this.compiled.delete(`${apiVersion}/${kind}`); // forget an earlier miss
          return;
        } catch (error) {
          if (deadline.aborted) skipped++;
          else notes.push(`could not download ${url}: ${(error as Error).message}`);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, wanted.length) }, async () => {
      while (next < wanted.length) await fetchOne(wanted[next++]);
    }));
    if (skipped > 0) notes.push(`${skipped} schema download(s) not made: downloads stop after ${PREFETCH_BUDGET_MS / 1000} s per run (give local --schema-location directories to check those kinds offline)`);
    return notes.sort();
  }


  /** The compiled validator for a kind, or undefined when no location has its schema. */
  get(apiVersion: string, kind: string): SchemaHit | undefined {
    const key = `${apiVersion}/${kind}`;
    if (!this.compiled.has(key)) {
      const found = this.readSchema(apiVersion, kind);
      this.compiled.set(key, found ? { validate: this.validator(found.text), source: found.source } : null);
    }
    return this.compiled.get(key) ?? undefined;
  }

  /**
   * The validator of a schema the repository itself gives (a served version of a CustomResourceDefinition it
   * applies), compiled once per schema; undefined (and remembered) where it cannot be compiled (a keyword the
   * validator does not know).
   */
  fromSchema(schema: Record<string, unknown>, source: string): SchemaHit | undefined {
    const text = JSON.stringify(schema);
    const key = `schema:${createHash('sha256').update(text).digest('hex')}`;
    if (!this.compiled.has(key)) {
      let hit: SchemaHit | null;
      try {
        hit = { validate: this.validator(text), source };
      } catch {
        hit = null;
      }
      this.compiled.set(key, hit);
    }
    return this.compiled.get(key) ?? undefined;
  }

  private validator(text: string): ValidateFunction {
    const loaded = loadValidator<ValidateFunction>(this.prebuilt, validatorKey(KUBERNETES_FLAVOUR, text), this.helpers);
    this.validatorOrigins[loaded ? 'precompiled' : 'compiled']++;
    return loaded ?? this.ajv.compile(prepareSchema(JSON.parse(text) as Schema));
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** Problems with metadata.name / metadata.namespace, as the API server would report them. */
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * OpenShift's API groups served by its own API servers (not CRDs): they validate names as path segments
 * (openshift/origin user validation ValidateGroupName: path.ValidatePathSegmentName; an ImageStream's name
 * is a repository name, `_` allowed), not as DNS-1123 subdomains.
 */
const PATH_SEGMENT_GROUPS = new Set(['user.openshift.io', 'image.openshift.io', 'oauth.openshift.io', 'authorization.openshift.io', 'project.openshift.io', 'quota.openshift.io', 'security.openshift.io', 'template.openshift.io', 'build.openshift.io', 'apps.openshift.io']);

export function nameProblems(kind: string, metadata: { name?: unknown; namespace?: unknown } | undefined, apiVersion = ''): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const name = metadata?.name;
  if (typeof name !== 'string' || name.length === 0) problems.push({ path: '/metadata/name', message: 'metadata.name is required' });
  else if (RBAC_KINDS.has(kind) || PATH_SEGMENT_GROUPS.has(apiVersion.split('/')[0])) {
    // RBAC names are path segments (kubernetes pkg/apis/rbac/validation ValidateRBACName: path.IsValidPathSegmentName), so system:controller:x is fine.
    if (name === '.' || name === '..' || /[/%]/.test(name)) problems.push({ path: '/metadata/name', message: `${JSON.stringify(name)} is not a valid ${kind} name (no '/' or '%', not '.' or '..')` });
  } else if (LABEL_NAMED.has(kind) ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    problems.push({ path: '/metadata/name', message: `${JSON.stringify(name)} is not a valid ${kind} name (DNS-1123 ${LABEL_NAMED.has(kind) ? 'label' : 'subdomain'})` });
  }
  const ns = metadata?.namespace;
  if (ns !== undefined && (typeof ns !== 'string' || !DNS1123_LABEL.test(ns) || ns.length > 63)) {
    problems.push({ path: '/metadata/namespace', message: `${JSON.stringify(ns)} is not a valid namespace (DNS-1123 label)` });
  }
  return problems;
}
