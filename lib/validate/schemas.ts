/**
 * Strict JSON Schema validation per apiVersion/kind, as kubeconform and flux-schema do it, plus the
 * CRDs' CEL rules. Schemas are looked up through an ordered list of locations (directories or URL
 * templates, like kubeconform's -schema-location), compiled lazily once per kind and cached.
 */
import { parse as parseCel } from '@marcbachmann/cel-js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../package-info.js';

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

export function groupVersion(apiVersion: string): { group: string; version: string } {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  return { group: group.toLowerCase(), version: version.toLowerCase() };
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
function prepareSchema(schema: Schema): Schema {
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as Schema;
    if ('nullable' in n && !('type' in n)) delete n.nullable;
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
  return schema;
}

/** Go/RE2 inline flags `(?i)` are not JavaScript: make the whole pattern case-insensitive instead. */
function regExp(source: string, flags: string): RegExp {
  return source.includes('(?i)') ? new RegExp(source.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(source, flags);
}
regExp.code = 'new RegExp';

/** CEL values: integers are int (BigInt), everything else as is. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

export interface CelStats {
  evaluated: number;
  /** Rules that use Kubernetes CEL extensions this evaluator lacks, or transition rules (oldSelf). */
  notEvaluated: number;
  unsupported: Set<string>;
}

interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
}

export interface SchemaHit {
  validate: ValidateFunction;
  source: string;
}

export class SchemaRegistry {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, SchemaHit | null>();
  readonly cel: CelStats = { evaluated: 0, notEvaluated: 0, unsupported: new Set() };

  constructor(
    readonly locations: string[] = DEFAULT_LOCATIONS,
    private readonly cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'haven-plus', 'schemas'),
  ) {
    // optimize: false skips ajv's code-optimisation pass: compiling the schemas dominates a small run
    // (about 170 ms of 1.9 s for one cluster) and the unoptimised validators are as fast at 342 clusters.
    this.ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, code: { regExp, optimize: false } });
    addFormats(this.ajv);
    this.ajv.addVocabulary([
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
    const stats = this.cel;
    this.ajv.addKeyword({
      keyword: 'x-kubernetes-validations',
      schemaType: 'array',
      errors: true,
      compile(rules: CelRule[]) {
        const compiled = rules.map((r) => {
          if (/\boldSelf\b/.test(r.rule)) return { r, fn: undefined };
          try {
            return { r, fn: parseCel(r.rule) as (ctx: Record<string, unknown>) => unknown };
          } catch {
            return { r, fn: undefined };
          }
        });
        const validate = (data: unknown): boolean => {
          const errors: Partial<ErrorObject>[] = [];
          for (const { r, fn } of compiled) {
            if (!fn) {
              stats.notEvaluated++;
              continue;
            }
            let result: unknown;
            try {
              result = fn({ self: toCel(data) });
            } catch (error) {
              stats.notEvaluated++;
              const m = /overload for '(\w+)/.exec((error as Error).message);
              if (m) stats.unsupported.add(m[1]);
              continue;
            }
            stats.evaluated++;
            if (result !== true) {
              errors.push({
                keyword: 'x-kubernetes-validations',
                message: `${r.message ?? `failed CEL rule ${r.rule}`}${r.fieldPath ? ` (${r.fieldPath})` : ''}`,
                params: { rule: r.rule },
              });
            }
          }
          (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
          return errors.length === 0;
        };
        return validate;
      },
    });
  }

  private readSchema(apiVersion: string, kind: string): { schema: Schema; source: string } | undefined {
    for (const location of this.locations) {
      if (isUrl(location)) {
        const url = location.includes('{{') ? expandTemplate(location, apiVersion, kind) : `${location.replace(/\/$/, '')}/${schemaFile(apiVersion, kind)}`;
        const cached = join(this.cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`);
        if (existsSync(cached)) return { schema: JSON.parse(readFileSync(cached, 'utf8')) as Schema, source: url };
        continue; // fetched ahead of time by prefetch()
      }
      const dir = isAbsolute(location) ? location : resolve(location);
      const file = location.includes('{{') ? expandTemplate(dir, apiVersion, kind) : join(dir, schemaFile(apiVersion, kind));
      if (existsSync(file)) return { schema: JSON.parse(readFileSync(file, 'utf8')) as Schema, source: file };
    }
    return undefined;
  }

  /** Downloads (once, into the cache) the schemas of these kinds that no directory location has. */
  async prefetch(kinds: { apiVersion: string; kind: string }[]): Promise<string[]> {
    const notes: string[] = [];
    for (const { apiVersion, kind } of kinds) {
      if (this.readSchema(apiVersion, kind)) continue;
      for (const location of this.locations.filter(isUrl)) {
        const url = location.includes('{{') ? expandTemplate(location, apiVersion, kind) : `${location.replace(/\/$/, '')}/${schemaFile(apiVersion, kind)}`;
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          if (response.status === 404) continue;
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const text = await response.text();
          JSON.parse(text);
          mkdirSync(this.cacheDir, { recursive: true });
          writeFileSync(join(this.cacheDir, `${createHash('sha256').update(url).digest('hex')}.json`), text);
          this.compiled.delete(`${apiVersion}/${kind}`); // forget an earlier miss
          break;
        } catch (error) {
          notes.push(`could not download ${url}: ${(error as Error).message}`);
          break;
        }
      }
    }
    return notes;
  }

  /** The compiled validator for a kind, or undefined when no location has its schema. */
  get(apiVersion: string, kind: string): SchemaHit | undefined {
    const key = `${apiVersion}/${kind}`;
    if (!this.compiled.has(key)) {
      const found = this.readSchema(apiVersion, kind);
      this.compiled.set(key, found ? { validate: this.ajv.compile(prepareSchema(found.schema)), source: found.source } : null);
    }
    return this.compiled.get(key) ?? undefined;
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** Problems with metadata.name / metadata.namespace, as the API server would report them. */
export function nameProblems(kind: string, metadata: { name?: unknown; namespace?: unknown } | undefined): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const name = metadata?.name;
  if (typeof name !== 'string' || name.length === 0) problems.push({ path: '/metadata/name', message: 'metadata.name is required' });
  else if (LABEL_NAMED.has(kind) ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    problems.push({ path: '/metadata/name', message: `${JSON.stringify(name)} is not a valid ${kind} name (DNS-1123 ${LABEL_NAMED.has(kind) ? 'label' : 'subdomain'})` });
  }
  const ns = metadata?.namespace;
  if (ns !== undefined && (typeof ns !== 'string' || !DNS1123_LABEL.test(ns) || ns.length > 63)) {
    problems.push({ path: '/metadata/namespace', message: `${JSON.stringify(ns)} is not a valid namespace (DNS-1123 label)` });
  }
  return problems;
}
