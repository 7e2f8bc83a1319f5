/**
 * The catalog: components and provider profiles, read from data under templates/.
 * Adding a component is adding a folder; adding a provider is adding a file.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from './package-info.js';
import { chartFacts, type ChartFacts } from './chart-facts.js';
import { parseYaml } from './prebuilt.js';

export type Engine = 'flux' | 'argocd';
export const ENGINES: readonly Engine[] = ['flux', 'argocd'];
export type Stage = 'controller' | 'config';
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface ChartSource {
  /** helm: an HTTP(S) Helm repository; oci: a chart in an OCI registry (url = oci://host/path/chart); git: a chart inside a git repository. */
  type: 'helm' | 'oci' | 'git';
  /** Name of the Flux source object (HelmRepository/OCIRepository/GitRepository). */
  name: string;
  url: string;
}

export interface Release {
  name: string;
  /** chart: a Helm chart; manifests: plain manifests (a kustomization) at a path of a git repository, e.g. upstream CRDs. */
  kind: 'chart' | 'manifests';
  /** Chart name (helm, oci) or path inside the repository (git). */
  chart: string;
  /** Chart version (helm) or git tag (git). */
  version: string;
  source: ChartSource;
  /** Values for every cluster. */
  values: Record<string, unknown>;
  /** Handlebars template (in the component folder) giving per-cluster values as YAML. */
  clusterValues?: string;
  /** Other releases of the same component that must be ready first. */
  dependsOn: string[];
  /** Images the release runs, pinned, shown in the README. */
  images: string[];
  /** API groups whose CRDs the chart installs: objects of these groups must come after it. */
  crds: string[];
  /** Argo CD: fields a controller in the cluster owns (e.g. a webhook caBundle), left out of the diff. */
  ignoreDifferences: Record<string, unknown>[];
  /** manifests only: kustomize patches over the upstream manifests (e.g. a securityContext upstream lacks). */
  patches: { target: Record<string, string>; patch: string }[];
  /** Values paths (/a/b) the chart reads although its values.yaml does not declare them (documented upstream). */
  undeclaredValues: string[];
  /** Why this chart's values cannot be checked offline (its data is not in the shared chart set); undefined: they are checked. */
  valuesUnchecked?: string;
  /** What the pinned chart renders, from its upstream templates (templates/chart-facts); undefined: not gathered. */
  facts?: ChartFacts;
}

export interface Requirement {
  id: string;
  /** Which stage of this component needs the other one ready. */
  stage: Stage;
  reason: string;
  /** Ordering only: wait for it when the cluster runs it, never pull it in. */
  optional: boolean;
  /**
   * How far the other component must be: `controller` (its CRDs and controllers, enough for objects of its
   * kinds) or, by default, all of it (its config too: ClusterIssuers, a database).
   */
  upTo?: Stage;
}

/** A Secret a component reads, declared in its catalog entry (never its value). */
export interface SecretDecl {
  name: string;
  /**
   * Which stage delivers it: config (default, the config namespace, next to the objects that use it)
   * or controller (the component's namespace, next to its chart releases, before they install).
   */
  stage: Stage;
  /** What the credential is, for the README and prompts. */
  description: string;
  keys: { name: string; description: string }[];
  /** dns: the keys are those of the cluster provider's DNS credential (profile `dns`), not fixed. */
  keysFrom?: 'dns';
}

/** Answers that choose the backend of a service component. */
export type ServiceKind = 'object-storage' | 'secrets' | 'rwx' | 'gateway';

export interface ComponentDef {
  id: string;
  title: string;
  summary: string;
  category: string;
  /** Offered in --components; false for components that only come in as dependencies or backends. */
  selectable: boolean;
  /** Engines this component exists for (the GitOps engine itself is a component). */
  engines: Engine[];
  replaces: string[];
  havenChecks: string[];
  namespace: string;
  podSecurity: PodSecurityLevel;
  podSecurityReason?: string;
  requires: Requirement[];
  /**
   * Every other component on the cluster waits for this one (policy engines: nothing may start before
   * the policies that judge it are in place).
   */
  runsFirst: boolean;
  /** Object storage buckets the component writes, by purpose (one per cluster: <platform>-<cluster>-<purpose>). */
  buckets: string[];
  /** For a service contract (object storage, secrets): backend id → component that implements it in-cluster (null: none needed). */
  backends?: Record<string, string | null>;
  /** Which answer picks the backend of a service component. */
  service?: ServiceKind;
  /**
   * For a Gateway implementation: where the proxies of a Gateway run and the labels they carry
   * (`{gateway}`, `{gatewayNamespace}` stand for the Gateway's name and namespace), so NetworkPolicies
   * can admit them.
   */
  gatewayProxy?: GatewayProxy;
  /** Secrets the config stage reads, one per cluster, in the config namespace. */
  secrets: SecretDecl[];
  controller?: { releases: Release[] };
  config?: {
    namespace: string;
    /** Templates rendered once, for every cluster (kustomize base). */
    base: string[];
    /** Templates rendered per cluster and added as resources of the overlay. */
    resources: string[];
    /** Templates rendered per cluster and applied as patches over the base. */
    patches: string[];
  };
  /** What the user must provide for this component (shown in the README); `when`: only with these answers (stored form, e.g. certificate-issuer: private-ca). */
  provide: { text: string; when?: Record<string, string> }[];
  /** Folder holding component.yaml and its templates. */
  dir: string;
}

export interface GatewayProxy {
  namespace: string;
  podLabels: Record<string, string>;
}

export interface S3Profile {
  /** Endpoint, may contain {region}; null when it is specific to each account or instance. */
  endpoint: string | null;
  /** Endpoints of regions whose host does not follow `endpoint` (IONOS' Frankfurt, region de, is s3-eu-central-1). */
  endpoints?: Record<string, string>;
  endpointHint?: string;
  regions: string[];
  defaultRegion: string;
  pathStyle: boolean;
  /**
   * How the platform's access key is made, limited to the cluster's buckets where the provider allows it:
   * what to do (Markdown), the provider CLI's commands where it has them ({key}, {region}, {REGION} upper-case, {bucketsQuoted},
   * {bucketArns}; a line with {bucket} is repeated per bucket, and then those commands make the buckets),
   * and the documentation it follows.
   */
  keys?: {
    how: string;
    commands: string[];
    docs: string[];
    /** What lets the existing key reach buckets added later (its policy, re-sent with every bucket); none where the key reaches the whole project. */
    grant: string[];
  };
  /**
   * The region `aws s3 mb` is given: us-east-1 sends no LocationConstraint, for services (Ceph RGW) that
   * refuse one they do not know; default the cluster's region.
   */
  createRegion?: string;
}

/** How ExternalDNS reaches the provider's DNS service (or an RFC 2136 server of your own). */
export interface DnsProfile {
  /** ExternalDNS provider name (`webhook` for an out-of-tree provider run as a sidecar). */
  provider: string;
  webhook?: { repository: string; tag: string; probe?: { path: string; port: number } };
  /** Keys of the credential Secret, each an environment variable of the same name. */
  secretKeys: { name: string; description: string }[];
  /** Keys of the credential Secret mounted as files (e.g. Azure's azure.json). */
  files: { key: string; mountPath: string; description: string }[];
  args: string[];
}

export interface ProviderProfile {
  id: string;
  title: string;
  kubernetes: string;
  /** The provider runs the control plane (a managed Kubernetes service). */
  managed: boolean;
  storage: { rwo: string | null; rwx: string | null };
  s3: S3Profile | null;
  /** Object storage backend used when the user does not choose one. */
  defaultObjectStorage: 'provider-s3' | 'garage';
  loadBalancerAnnotations: string[];
  /** null: no DNS service ExternalDNS can manage (the laptop sandbox). */
  dns: DnsProfile | null;
  openshift: boolean;
  /** Small footprint (sandbox): one instance, small requests. */
  sandbox: boolean;
  /** Components --components defaults to on this provider besides the preset's (MetalLB where no cloud load balancer exists). */
  defaultComponents: string[];
  /** Defaults that could not be confirmed: the README asks the user to check them. */
  check: string[];
  sources: string[];
}

/** A named set of components (--preset), as data. */
export interface Preset {
  id: string;
  title: string;
  summary: string;
  components: string[];
}

export interface Catalog {
  components: Map<string, ComponentDef>;
  providers: Map<string, ProviderProfile>;
  presets: Map<string, Preset>;
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

function fail(file: string, message: string): never {
  throw new CatalogError(`catalog data ${file}: ${message}`);
}

/** `provide:` entries: a string, or `{text, when: {<answer>: <value>}}` for what only some answers need. */
function provideList(v: unknown, file: string): { text: string; when?: Record<string, string> }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, 'provide must be a list');
  return v.map((x, i) => {
    if (typeof x === 'string') return { text: x };
    const entry = x as { text?: unknown; when?: unknown };
    if (!x || typeof x !== 'object' || typeof entry.text !== 'string' || !entry.when || typeof entry.when !== 'object' || Object.values(entry.when).some((w) => typeof w !== 'string')) {
      fail(file, `provide[${i}] must be a string, or {text: <string>, when: {<answer>: <value>}}`);
    }
    return { text: entry.text as string, when: entry.when as Record<string, string> };
  });
}

function asStringArray(v: unknown, file: string, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(file, `${field} must be a list of strings`);
  return v as string[];
}

function str(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(file, `${field} must be a non-empty string`);
  return v;
}

/** How the catalog's YAML is read (the build parses it ahead of time with the same options). */
export const CATALOG_YAML = { uniqueKeys: true, version: '1.2' } as const;

function readYaml(file: string): Record<string, unknown> {
  const doc = parseYaml(readFileSync(file, 'utf8'), CATALOG_YAML);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(file, 'must be a mapping');
  return doc as Record<string, unknown>;
}

function loadRelease(raw: Record<string, unknown>, file: string, dir: string): Release {
  const source = raw.source as Record<string, unknown> | undefined;
  if (!source) fail(file, `release ${String(raw.name)} has no source`);
  const type = source.type;
  if (type !== 'helm' && type !== 'git' && type !== 'oci') fail(file, `source.type must be helm, oci or git, got ${JSON.stringify(type)}`);
  const url = str(source.url, file, 'source.url');
  if (type === 'oci' ? !url.startsWith('oci://') || !url.endsWith(`/${String(raw.chart)}`) : !url.startsWith('https://')) {
    fail(file, type === 'oci' ? `source.url of an oci chart must be oci://<registry>/<path>/${String(raw.chart)}, got ${url}` : `source.url must be https://, got ${url}`);
  }
  const clusterValues = raw.clusterValues === undefined ? undefined : str(raw.clusterValues, file, 'clusterValues');
  if (clusterValues && !existsSync(join(dir, clusterValues))) fail(file, `clusterValues template ${clusterValues} does not exist`);
  const kind = raw.kind ?? 'chart';
  if (kind !== 'chart' && kind !== 'manifests') fail(file, `release ${String(raw.name)}: kind must be chart or manifests`);
  if (kind === 'manifests' && (type !== 'git' || raw.values || raw.clusterValues)) fail(file, `release ${String(raw.name)}: manifests come from a git source and take no values`);
  const release: Release = {
    name: str(raw.name, file, 'release.name'),
    kind,
    chart: str(raw.chart, file, 'release.chart'),
    version: str(raw.version, file, 'release.version'),
    source: { type, name: str(source.name, file, 'source.name'), url },
    values: (raw.values as Record<string, unknown>) ?? {},
    clusterValues,
    dependsOn: asStringArray(raw.dependsOn, file, 'dependsOn'),
    images: asStringArray(raw.images, file, 'images'),
    crds: asStringArray(raw.crds, file, 'crds'),
    ignoreDifferences: (raw.ignoreDifferences as Record<string, unknown>[] | undefined) ?? [],
    undeclaredValues: asStringArray(raw.undeclaredValues, file, 'undeclaredValues'),
    patches: loadPatches(raw.patches, kind, file),
    valuesUnchecked: raw.valuesUnchecked === undefined ? undefined : str(raw.valuesUnchecked, file, 'valuesUnchecked'),
  };
  // Read when first used (most runs need the facts of a few releases, not of the whole catalog).
  Object.defineProperty(release, 'facts', { enumerable: true, get: () => chartFacts(release.chart, release.version) });
  return release;
}

function loadPatches(raw: unknown, kind: string, file: string): Release['patches'] {
  if (raw === undefined) return [];
  if (kind !== 'manifests') fail(file, 'patches are for manifests releases (charts take values)');
  if (!Array.isArray(raw)) fail(file, 'patches must be a list');
  return raw.map((p: Record<string, unknown>) => {
    if (!p.target || typeof p.target !== 'object' || typeof p.patch !== 'string') fail(file, 'each patch needs a target mapping and a patch string');
    return { target: p.target as Record<string, string>, patch: p.patch };
  });
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

function loadSecrets(raw: unknown, file: string): SecretDecl[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail(file, 'secrets must be a list');
  return raw.map((s: Record<string, unknown>) => {
    const name = str(s.name, file, 'secrets.name');
    if (!SECRET_NAME.test(name)) fail(file, `secret name ${name} is not a DNS-1123 label`);
    const keys = ((s.keys as Record<string, unknown>[] | undefined) ?? []).map((k) => {
      const key = str(k.name, file, 'secrets.keys.name');
      if (!SECRET_KEY.test(key)) fail(file, `secret key ${key} is not a valid Secret data key`);
      return { name: key, description: str(k.description, file, 'secrets.keys.description') };
    });
    const keysFrom = s.keysFrom;
    if (keysFrom !== undefined && keysFrom !== 'dns') fail(file, `secret ${name}: keysFrom must be dns`);
    if ((keys.length === 0) === (keysFrom === undefined)) fail(file, `secret ${name} needs either keys or keysFrom`);
    const stage = s.stage ?? 'config';
    if (stage !== 'controller' && stage !== 'config') fail(file, `secret ${name}: stage must be controller or config`);
    return { name, stage, description: str(s.description, file, 'secrets.description'), keys, ...(keysFrom ? { keysFrom: 'dns' as const } : {}) };
  });
}

function loadComponent(dir: string): ComponentDef {
  const file = join(dir, 'component.yaml');
  const raw = readYaml(file);
  const id = str(raw.id, file, 'id');
  const requires = ((raw.requires as Record<string, unknown>[]) ?? []).map((r) => {
    const stage = r.stage ?? 'controller';
    if (stage !== 'controller' && stage !== 'config') fail(file, `requires.stage must be controller or config`);
    if (r.upTo !== undefined && r.upTo !== 'controller' && r.upTo !== 'config') fail(file, `requires.upTo must be controller or config`);
    return { id: str(r.id, file, 'requires.id'), stage: stage as Stage, reason: str(r.reason, file, 'requires.reason'), optional: r.optional === true, upTo: r.upTo as Stage | undefined };
  });
  const controllerRaw = raw.controller as { releases?: Record<string, unknown>[] } | undefined;
  const configRaw = raw.config as Record<string, unknown> | undefined;
  const templates = (field: string) => {
    const list = asStringArray(configRaw?.[field], file, `config.${field}`);
    for (const t of list) if (!existsSync(join(dir, t))) fail(file, `config.${field}: template ${t} does not exist`);
    return list;
  };
  const podSecurity = (raw.podSecurity ?? 'restricted') as PodSecurityLevel;
  if (!['restricted', 'baseline', 'privileged'].includes(podSecurity)) fail(file, 'podSecurity must be restricted, baseline or privileged');
  if (podSecurity !== 'restricted' && !raw.podSecurityReason) fail(file, 'podSecurityReason is required when podSecurity is not restricted');
  const engines = asStringArray(raw.engines ?? ENGINES, file, 'engines') as Engine[];
  const component: ComponentDef = {
    id,
    title: str(raw.title, file, 'title'),
    summary: str(raw.summary, file, 'summary'),
    category: str(raw.category, file, 'category'),
    selectable: raw.selectable === true,
    engines,
    replaces: asStringArray(raw.replaces, file, 'replaces'),
    havenChecks: asStringArray(raw.havenChecks, file, 'havenChecks'),
    namespace: str(raw.namespace, file, 'namespace'),
    podSecurity,
    podSecurityReason: raw.podSecurityReason as string | undefined,
    requires,
    runsFirst: raw.runsFirst === true,
    buckets: asStringArray(raw.buckets, file, 'buckets'),
    backends: raw.backends as Record<string, string | null> | undefined,
    service: raw.service as ServiceKind | undefined,
    gatewayProxy: raw.gatewayProxy === undefined ? undefined : loadGatewayProxy(raw.gatewayProxy, file),
    secrets: loadSecrets(raw.secrets, file),
    controller: controllerRaw?.releases ? { releases: controllerRaw.releases.map((r) => loadRelease(r, file, dir)) } : undefined,
    config: configRaw
      ? {
          namespace: str(configRaw.namespace, file, 'config.namespace'),
          base: templates('base'),
          resources: templates('resources'),
          patches: templates('patches'),
        }
      : undefined,
    provide: provideList(raw.provide, file),
    dir,
  };
  if (component.backends && !['object-storage', 'secrets', 'rwx', 'gateway'].includes(component.service ?? '')) {
    fail(file, 'a component with backends needs service: object-storage, secrets, rwx or gateway');
  }
  for (const s of component.secrets) {
    if (s.stage === 'config' && !component.config) fail(file, `secret ${s.name} is delivered with the config stage: declare config (or stage: controller)`);
    if (s.stage === 'controller' && !component.controller) fail(file, `secret ${s.name} is delivered with the controller stage: declare controller releases`);
  }
  for (const b of component.buckets) if (!SECRET_NAME.test(b)) fail(file, `bucket purpose ${b} is not a DNS-1123 label`);
  if (component.buckets.length > 0 && !component.requires.some((r) => r.id === 'object-storage')) fail(file, 'a component with buckets must require object-storage');
  const releaseNames = new Set(component.controller?.releases.map((r) => r.name));
  for (const r of component.controller?.releases ?? []) {
    for (const d of r.dependsOn) if (!releaseNames.has(d)) fail(file, `release ${r.name} depends on unknown release ${d}`);
  }
  return component;
}

function loadDns(raw: unknown, file: string): DnsProfile | null {
  if (raw === undefined || raw === null) return null;
  const d = raw as Record<string, unknown>;
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? (v as Record<string, unknown>[]) : fail(file, 'dns lists must be lists'));
  const dns: DnsProfile = {
    provider: str(d.provider, file, 'dns.provider'),
    webhook: d.webhook as DnsProfile['webhook'],
    secretKeys: list(d.secretKeys).map((k) => ({ name: str(k.name, file, 'dns.secretKeys.name'), description: str(k.description, file, 'dns.secretKeys.description') })),
    files: list(d.files).map((f) => ({ key: str(f.key, file, 'dns.files.key'), mountPath: str(f.mountPath, file, 'dns.files.mountPath'), description: str(f.description, file, 'dns.files.description') })),
    args: asStringArray(d.args, file, 'dns.args'),
  };
  if ((dns.provider === 'webhook') !== Boolean(dns.webhook)) fail(file, 'dns.webhook is needed exactly when dns.provider is webhook');
  if (dns.secretKeys.length + dns.files.length === 0) fail(file, 'dns needs secretKeys or files (the credential)');
  for (const k of [...dns.secretKeys.map((x) => x.name), ...dns.files.map((x) => x.key)]) if (!SECRET_KEY.test(k)) fail(file, `dns key ${k} is not a valid Secret data key`);
  return dns;
}

/** A profile's s3.keys: how the platform's key is made, with its commands and documentation. */
function loadS3Keys(raw: unknown, file: string): S3Profile['keys'] {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, 's3.keys must be a mapping (how, commands, docs)');
  const keys = raw as Record<string, unknown>;
  return {
    how: str(keys.how, file, 's3.keys.how'),
    commands: keys.commands === undefined ? [] : asStringArray(keys.commands, file, 's3.keys.commands'),
    docs: keys.docs === undefined ? [] : asStringArray(keys.docs, file, 's3.keys.docs'),
    grant: keys.grant === undefined ? [] : asStringArray(keys.grant, file, 's3.keys.grant'),
  };
}

function loadProvider(file: string): ProviderProfile {
  const raw = readYaml(file);
  const s3 = raw.s3 as Record<string, unknown> | null | undefined;
  const storage = (raw.storage as Record<string, unknown>) ?? {};
  const profile: ProviderProfile = {
    id: str(raw.id, file, 'id'),
    title: str(raw.title, file, 'title'),
    kubernetes: str(raw.kubernetes, file, 'kubernetes'),
    managed: raw.managed === true,
    storage: { rwo: (storage.rwo as string) ?? null, rwx: (storage.rwx as string) ?? null },
    s3: s3
      ? {
          endpoint: (s3.endpoint as string) ?? null,
          endpointHint: s3.endpointHint as string | undefined,
          endpoints: s3.endpoints === undefined ? undefined : Object.fromEntries(Object.entries(s3.endpoints as Record<string, unknown>).map(([r, e]) => [r, str(e, file, `s3.endpoints.${r}`)])),
          regions: asStringArray(s3.regions, file, 's3.regions'),
          defaultRegion: str(s3.defaultRegion, file, 's3.defaultRegion'),
          pathStyle: s3.pathStyle === true,
          keys: loadS3Keys(s3.keys, file),
          createRegion: s3.createRegion === undefined ? undefined : str(s3.createRegion, file, 's3.createRegion'),
        }
      : null,
    defaultObjectStorage: raw.defaultObjectStorage === 'garage' ? 'garage' : 'provider-s3',
    loadBalancerAnnotations: asStringArray(raw.loadBalancerAnnotations, file, 'loadBalancerAnnotations'),
    dns: loadDns(raw.dns, file),
    openshift: raw.openshift === true,
    sandbox: raw.sandbox === true,
    defaultComponents: raw.defaultComponents === undefined ? [] : asStringArray(raw.defaultComponents, file, 'defaultComponents'),
    check: asStringArray(raw.check, file, 'check'),
    sources: asStringArray(raw.sources, file, 'sources'),
  };
  if (profile.defaultObjectStorage === 'provider-s3' && !profile.s3) fail(file, 'defaultObjectStorage provider-s3 needs an s3 section');
  return profile;
}

function loadGatewayProxy(raw: unknown, file: string): GatewayProxy {
  const r = raw as { namespace?: unknown; podLabels?: unknown };
  const labels = r?.podLabels;
  if (!labels || typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string') || Object.keys(labels).length === 0) {
    fail(file, 'gatewayProxy.podLabels must map label names to strings');
  }
  return { namespace: str(r.namespace, file, 'gatewayProxy.namespace'), podLabels: labels as Record<string, string> };
}

/** The components and everything they require, transitively (backends left out: they depend on the cluster). */
export function requiredClosure(ids: Iterable<string>, components: ReadonlyMap<string, ComponentDef>): Set<string> {
  const out = new Set<string>();
  const visit = (id: string) => {
    if (out.has(id)) return;
    const def = components.get(id);
    if (!def) return;
    out.add(id);
    for (const r of def.requires) if (!r.optional) visit(r.id);
  };
  for (const id of ids) visit(id);
  return out;
}

/** Bucket purposes the components (and what they require) write, in catalog order. */
export function bucketPurposes(ids: Iterable<string>, catalog: Catalog): string[] {
  const closure = requiredClosure(ids, catalog.components);
  return [...catalog.components.values()].filter((c) => closure.has(c.id)).flatMap((c) => c.buckets);
}

let cached: Catalog | undefined;

/** Loads (once per process) every component and provider profile. */
export function loadCatalog(templatesDir = TEMPLATES_DIR): Catalog {
  if (cached && templatesDir === TEMPLATES_DIR) return cached;
  const componentsDir = join(templatesDir, 'components');
  const components = new Map<string, ComponentDef>();
  for (const name of readdirSync(componentsDir).sort()) {
    const c = loadComponent(join(componentsDir, name));
    if (c.id !== name) fail(join(componentsDir, name, 'component.yaml'), `id ${c.id} must match its folder name ${name}`);
    components.set(c.id, c);
  }
  for (const c of components.values()) {
    for (const r of c.requires) if (!components.has(r.id)) fail(c.dir, `requires unknown component ${r.id}`);
    for (const impl of Object.values(c.backends ?? {})) if (impl && !components.has(impl)) fail(c.dir, `backend component ${impl} does not exist`);
  }
  const providers = new Map<string, ProviderProfile>();
  const providersDir = join(templatesDir, 'providers');
  for (const name of readdirSync(providersDir).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const p = loadProvider(join(providersDir, name));
    if (`${p.id}.yaml` !== name) fail(join(providersDir, name), `id ${p.id} must match the file name`);
    for (const id of p.defaultComponents) if (!components.get(id)?.selectable) fail(join(providersDir, name), `defaultComponents: ${id} is not a selectable component`);
    providers.set(p.id, p);
  }
  const presets = new Map<string, Preset>();
  const presetsDir = join(templatesDir, 'presets');
  for (const name of readdirSync(presetsDir).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const file = join(presetsDir, name);
    const raw = readYaml(file);
    const preset: Preset = {
      id: str(raw.id, file, 'id'),
      title: str(raw.title, file, 'title'),
      summary: str(raw.summary, file, 'summary'),
      components: asStringArray(raw.components, file, 'components'),
    };
    if (`${preset.id}.yaml` !== name) fail(file, `id ${preset.id} must match the file name`);
    if (preset.components.length === 0) fail(file, 'components must not be empty');
    for (const id of preset.components) if (!components.get(id)?.selectable) fail(file, `component ${id} is not a selectable component`);
    presets.set(preset.id, preset);
  }
  const catalog = { components, providers, presets };
  if (templatesDir === TEMPLATES_DIR) cached = catalog;
  return catalog;
}
