/**
 * The one question table. Flags (bin and Yeoman options), interactive prompts, the answers-file
 * JSON Schema, `--help` and docs/options.md are all derived from it: adding a question is one entry.
 */
import { isIP } from 'node:net';
import { didYouMean } from './suggest.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from './package-info.js';
import { loadCatalog, requiredClosure, type Catalog } from './catalog.js';
import {
  AGE_RECIPIENT_ALLOWED,
  BRANCH_ALLOWED,
  checkAgeRecipient,
  checkBranch,
  checkDescription,
  checkDnsSubdomain,
  checkEmail,
  keycloakHostname,
  EMAIL_ALLOWED,
  DESCRIPTION_ALLOWED,
  DNS1123_SUBDOMAIN_ALLOWED,
  checkDnsLabel,
  checkEndpoint,
  checkGitRemote,
  DNS1123_LABEL_ALLOWED,
  ENDPOINT_ALLOWED,
  GIT_REMOTE_ALLOWED,
  checkRegistryMirror,
  REGISTRY_MIRROR_ALLOWED,
  VALIDATOR_ALLOWED,
  checkValidator,
} from './names.js';

export type QuestionType = 'string' | 'boolean' | 'choice' | 'list' | 'choices';

/** Raw answers as given: flag names as keys; lists already split into arrays. */
export type RawAnswers = Record<string, unknown>;

export interface QuestionContext {
  catalog: Catalog;
  /** Name of the target directory, the default for --name. */
  directoryName: string;
}

export interface Choice {
  value: string;
  name: string;
  description?: string;
}

export interface Question {
  /** Flag name and answers-file key. */
  name: string;
  type: QuestionType;
  /** Prompt text. */
  message: string;
  /** One line for --help and the answers schema. */
  description: string;
  /** Placeholder shown in --help, e.g. `<id>`. */
  valueName?: string;
  /** What is allowed, said in errors and docs. */
  allowed: (ctx: QuestionContext) => string;
  choices?: (ctx: QuestionContext, answers: RawAnswers) => Choice[];
  /** Why there is no default in this context (said when the answer is missing). */
  noDefault?: (ctx: QuestionContext) => string;
  /** Default from the answers given so far; undefined means "no default": the answer is required. */
  default?: (answers: RawAnswers, ctx: QuestionContext) => unknown;
  /** Problem with one value (one list item for list types), or undefined. */
  check?: (value: string, answers: RawAnswers, ctx: QuestionContext) => string | undefined;
  /** Whether the question applies given the other answers (not asked, not required otherwise). */
  when?: (answers: RawAnswers, ctx?: QuestionContext) => boolean;
  /** Optional answers have no default and may stay unset. */
  /** Not asked at the prompt when the answers or run options given already decide it (--acme-email implies letsencrypt). */
  impliedBy?: (answers: RawAnswers, option: (name: string) => unknown) => boolean;
  optional?: boolean;
  /** For an optional choice: what leaving it unset means, offered first (and preselected) at the prompt. */
  unset?: string;
  /** Optional as a flag, but once asked at the prompt (because it is needed) it may not be left empty. */
  requiredAtPrompt?: boolean;
  /** Not asked interactively (still a flag and an answers key). */
  promptable?: boolean;
}

const providerChoices = (ctx: QuestionContext): Choice[] =>
  [...ctx.catalog.providers.values()].map((p) => ({ value: p.id, name: `${p.id} (${p.title})` }));

/** Parses `cluster=component` (a component that runs on one cluster only). */
export function parseClusterComponent(spec: string): { cluster: string; component: string } {
  const at = spec.indexOf('=');
  return at < 0 ? { cluster: '', component: spec } : { cluster: spec.slice(0, at), component: spec.slice(at + 1) };
}

/** The names of the clusters answered so far. */
const clusterNames = (answers: RawAnswers): string[] => (Array.isArray(answers.clusters) ? (answers.clusters as string[]).map((c) => parseClusterSpec(c).name) : []);

/** Whether some cluster runs ExternalDNS without a domain of its own (then it takes the platform's --domain). */
function needsPlatformDomain(answers: RawAnswers, catalog: Catalog = loadCatalog()): boolean {
  if (!runs(answers, 'external-dns', catalog)) return false;
  const names = clusterNames(answers);
  if (names.length === 0) return true;
  const settings = Array.isArray(answers['cluster-settings']) ? (answers['cluster-settings'] as string[]).map((v) => parseClusterSetting(v)) : [];
  const extras = Array.isArray(answers['cluster-components']) ? (answers['cluster-components'] as string[]).map((v) => parseClusterComponent(v)) : [];
  const platform = Array.isArray(answers.components) ? (answers.components as string[]) : [];
  return names.some(
    (n) =>
      !settings.some((x) => x.cluster === n && x.key === 'domain') &&
      requiredClosure([...platform, ...extras.filter((e) => e.cluster === n).map((e) => e.component)], catalog.components).has('external-dns'),
  );
}

/** Every component chosen for some cluster: the platform-wide ones, then those of single clusters. */
const componentIds = (answers: RawAnswers): string[] => {
  const all = Array.isArray(answers.components) ? (answers.components as string[]) : [];
  const extra = Array.isArray(answers['cluster-components']) ? (answers['cluster-components'] as string[]).map((s) => parseClusterComponent(s).component) : [];
  return [...new Set([...all, ...extra])];
};

function checkClusterComponent(spec: string, answers: RawAnswers, ctx: QuestionContext): string | undefined {
  const { cluster, component } = parseClusterComponent(spec);
  if (!cluster) return `${JSON.stringify(spec)} is not cluster=component`;
  const clusters = clusterNames(answers);
  if (!clusters.includes(cluster)) return `${JSON.stringify(cluster)} is not one of the clusters (${clusters.join(', ')})`;
  if (!selectableComponents(ctx).includes(component)) return `${JSON.stringify(component)} is not a component${didYouMean(component, selectableComponents(ctx))}`;
  if (Array.isArray(answers.components) && (answers.components as string[]).includes(component)) return `${component} already runs on every cluster (--components)`;
  return undefined;
}

const LOAD_BALANCER_ADDRESSES_ALLOWED = 'an IPv4 or IPv6 range first-last (192.0.2.240-192.0.2.250) or a CIDR (192.0.2.240/28), as MetalLB\'s IPAddressPool takes it';

/** An address range as MetalLB's IPAddressPool spec.addresses takes one: `first-last` (one family, first ≤ last) or a CIDR. */
export function checkAddressRange(value: string): string | undefined {
  const bad = `${JSON.stringify(value)} is not an address range`;
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (cidr) {
    const family = isIP(cidr[1]);
    const bits = Number(cidr[2]);
    if (family === 0 || bits > (family === 4 ? 32 : 128)) return bad;
    // MetalLB widens a prefix with host bits set to its network (internal/config/config.go): say so instead.
    const width = family === 4 ? 32 : 128;
    const address = family === 4 ? cidr[1].split('.').reduce((n, o) => n * 256n + BigInt(o), 0n) : expandIPv6(cidr[1]);
    const host = (1n << BigInt(width - bits)) - 1n;
    return (address & host) === 0n ? undefined : `${JSON.stringify(value)}: ${cidr[1]} is not where a /${bits} starts (MetalLB would take the whole network it is in)`;
  }
  const range = /^([^-\s]+)-([^-\s]+)$/.exec(value);
  if (!range) return bad;
  const [first, last] = [range[1], range[2]];
  if (isIP(first) === 0 || isIP(first) !== isIP(last)) return bad;
  const number = (ip: string) => (isIP(ip) === 4 ? ip.split('.').reduce((n, o) => n * 256n + BigInt(o), 0n) : expandIPv6(ip));
  return number(first) <= number(last) ? undefined : `${JSON.stringify(value)}: ${first} comes after ${last}`;
}

/** An IPv6 address as a number (`::` expanded; an embedded IPv4 tail read as its two groups). */
function expandIPv6(ip: string): bigint {
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const text = v4 ? ip.replace(v4[1], ((n) => `${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`)(v4[1].split('.').reduce((n, o) => n * 256 + Number(o), 0))) : ip;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const a = head ? head.split(':') : [];
  const b = tail ? tail.split(':') : [];
  const groups = tail === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill('0'), ...b];
  return groups.reduce((n, g) => n * 65536n + BigInt(parseInt(g || '0', 16)), 0n);
}

/** Settings one cluster can have of its own (--cluster-settings, --clusters-file), and what checks each. */
export const CLUSTER_SETTINGS = ['environment', 'region', 'domain', 'storage-class', 's3-endpoint', 'load-balancer-addresses'] as const;

/** Parses `cluster.key=value`. */
export function parseClusterSetting(spec: string): { cluster: string; key: string; value: string } {
  const eq = spec.indexOf('=');
  const dot = spec.indexOf('.');
  if (eq < 0 || dot < 0 || dot > eq) return { cluster: '', key: '', value: '' };
  return { cluster: spec.slice(0, dot), key: spec.slice(dot + 1, eq), value: spec.slice(eq + 1) };
}

function checkClusterSetting(spec: string, answers: RawAnswers, ctx: QuestionContext): string | undefined {
  const { cluster, key, value } = parseClusterSetting(spec);
  if (!cluster) return `${JSON.stringify(spec)} is not cluster.setting=value`;
  const clusters = clusterNames(answers);
  if (!clusters.includes(cluster)) return `${JSON.stringify(cluster)} is not one of the clusters (${clusters.join(', ')})`;
  if (!(CLUSTER_SETTINGS as readonly string[]).includes(key)) return `${JSON.stringify(key)} is not a cluster setting (${CLUSTER_SETTINGS.join(', ')})`;
  // Each value obeys the rule of the platform-wide answer of the same name; an environment is a label.
  const problem = key === 'environment' ? checkDnsLabel(value, 40) : QUESTION_BY_NAME.get(key)!.check!(value, answers, ctx);
  return problem ? `cluster ${cluster}: ${key} ${problem}` : undefined;
}

/** Whether some cluster answered so far is on a sandbox provider (`local`: a laptop). */
export function hasSandboxCluster(answers: RawAnswers, catalog: Catalog = loadCatalog()): boolean {
  const fallback = typeof answers.provider === 'string' ? answers.provider : undefined;
  const clusters = Array.isArray(answers.clusters) ? (answers.clusters as string[]).map((c) => parseClusterSpec(c)) : [];
  return clusters.some((c) => {
    const provider = c.provider ?? fallback;
    return provider !== undefined && catalog.providers.get(provider)?.sandbox === true;
  });
}

/** Parses `environment.release=version` (a chart release held at a version in one environment). */
export function parseEnvironmentVersion(spec: string): { environment: string; release: string; version: string } {
  const { cluster, key, value } = parseClusterSetting(spec);
  return { environment: cluster, release: key, version: value };
}

/** The environments of the clusters answered so far (--cluster-settings cluster.environment=…), in the order of their first clusters. */
export function environmentsOf(answers: RawAnswers): string[] {
  const settings = Array.isArray(answers['cluster-settings']) ? (answers['cluster-settings'] as string[]).map((v) => parseClusterSetting(v)) : [];
  const environments = clusterNames(answers).flatMap((c) => settings.filter((s) => s.key === 'environment' && s.cluster === c).map((s) => s.value));
  return [...new Set(environments)];
}

/**
 * A chart version, git tag or semver range (Flux and Argo CD take `~1.2`, `>=1.0 <2.0`): nothing that could
 * leave a YAML scalar, a Markdown table cell or a shell word in a README (no quotes, backticks, `$`, `|`).
 */
const VERSION = /^[0-9A-Za-z*~^<>=]([0-9A-Za-z.+_*~^<>=, -]{0,62}[0-9A-Za-z.+_*])?$/;

/** Every chart release of the catalog, by name. */
const releaseNames = (ctx: QuestionContext): string[] => [...ctx.catalog.components.values()].flatMap((c) => (c.controller?.releases ?? []).map((r) => r.name)).sort();

function checkEnvironmentVersion(spec: string, answers: RawAnswers, ctx: QuestionContext): string | undefined {
  const { environment, release, version } = parseEnvironmentVersion(spec);
  if (!environment) return `${JSON.stringify(spec)} is not environment.release=version`;
  const environments = environmentsOf(answers);
  if (!environments.includes(environment)) {
    return `${JSON.stringify(environment)} is not the environment of any cluster (${environments.join(', ') || 'none: give clusters one with --cluster-settings <cluster>.environment=<name>'})`;
  }
  if (!releaseNames(ctx).includes(release)) return `${JSON.stringify(release)} is not a chart release (${releaseNames(ctx).join(', ')})`;
  if (!VERSION.test(version)) return `${environment}.${release}: ${JSON.stringify(version)} is not a chart version, tag or semver range (letters, digits, spaces and . + _ - * ~ ^ < > = ,; at most 64)`;
  return undefined;
}

/** Parses `name=url`. */
export function parseTenantSpec(spec: string): { name: string; url: string } {
  const at = spec.indexOf('=');
  return at < 0 ? { name: spec, url: '' } : { name: spec.slice(0, at), url: spec.slice(at + 1) };
}

function checkTenant(spec: string): string | undefined {
  const { name, url } = parseTenantSpec(spec);
  const nameProblem = checkDnsLabel(name, 40);
  if (nameProblem) return `tenant name ${nameProblem}`;
  if (!url) return `tenant ${name} has no git URL (name=url)`;
  if (!/^(https|ssh):\/\//.test(url)) return `tenant ${name}: ${JSON.stringify(url)} is not an https:// or ssh:// URL (Flux and Argo CD clone those)`;
  const urlProblem = checkGitRemote(url);
  return urlProblem ? `tenant ${name}: git URL ${urlProblem}` : undefined;
}

/** Parses `name[:provider]`. */
export function parseClusterSpec(spec: string): { name: string; provider?: string } {
  const [name, provider, ...rest] = spec.split(':');
  if (rest.length > 0) return { name: spec };
  return provider === undefined ? { name } : { name, provider };
}

export const QUESTIONS: Question[] = [
  {
    name: 'name',
    type: 'string',
    message: 'Platform name (used for the repository and bucket names)',
    description: 'platform/repository name (DNS-1123 label); default: the directory name',
    valueName: '<name>',
    allowed: () => DNS1123_LABEL_ALLOWED,
    default: (_a, ctx) => (checkDnsLabel(ctx.directoryName) ? undefined : ctx.directoryName),
    noDefault: (ctx) => `the directory name ${JSON.stringify(ctx.directoryName)} cannot be the default: it ${checkDnsLabel(ctx.directoryName)?.replace(/^".*?" /, '')}; give --name`,
    check: (v) => checkDnsLabel(v),
  },
  {
    name: 'engine',
    type: 'choice',
    message: 'GitOps engine',
    description: 'GitOps engine that applies the repository',
    valueName: '<engine>',
    allowed: () => 'flux or argocd',
    choices: () => [
      { value: 'flux', name: 'Flux (as the Haven+ reference gitops-flux)' },
      { value: 'argocd', name: 'Argo CD (app-of-apps with sync waves)' },
    ],
    default: () => 'flux',
  },
  {
    name: 'provider',
    type: 'choice',
    message: 'Provider of your (first) cluster',
    description: 'provider profile of the clusters given without one (the default provider: --clusters name:provider sets another)',
    valueName: '<id>',
    allowed: (ctx) => [...ctx.catalog.providers.keys()].join(', '),
    choices: (ctx) => providerChoices(ctx),
    default: () => 'local',
  },
  {
    name: 'clusters',
    type: 'list',
    message: 'Clusters (comma-separated, name or name:provider)',
    description: 'clusters this repository deploys to, as name[:provider], comma-separated',
    valueName: '<name[:provider],...>',
    allowed: (ctx) => `${DNS1123_LABEL_ALLOWED.replace('63', '40')}; provider one of ${[...ctx.catalog.providers.keys()].join(', ')}`,
    default: (a) => [a.provider === 'local' ? 'local' : 'prod'],
    check: (v, _a, ctx) => {
      const spec = parseClusterSpec(v);
      const nameProblem = checkDnsLabel(spec.name, 40);
      if (nameProblem) return `cluster name ${nameProblem}`;
      if (spec.provider !== undefined && !ctx.catalog.providers.has(spec.provider)) {
        return `unknown provider ${JSON.stringify(spec.provider)} for cluster ${spec.name}${didYouMean(spec.provider, [...ctx.catalog.providers.keys()])}`;
      }
      return undefined;
    },
  },
  {
    name: 'preset',
    type: 'choice',
    message: 'Starting set of components',
    description: 'named component set that --components defaults to',
    valueName: '<preset>',
    allowed: (ctx) => [...ctx.catalog.presets.keys()].join(', '),
    choices: (ctx) => [...ctx.catalog.presets.values()].map((p) => ({ value: p.id, name: `${p.id}: ${p.title}`, description: p.summary })),
    // Only a starting point: with --components given there is nothing to choose.
    when: (a) => a.components === undefined || a.preset !== undefined,
    default: () => 'minimal',
  },
  {
    name: 'components',
    type: 'choices',
    message: 'Components',
    description: "Haven+ components to deploy (dependencies are added automatically); default: those of --preset, and on each cluster those its provider's profile adds (metallb on previder)",
    valueName: '<id,...>',
    allowed: (ctx) => selectableComponents(ctx).join(', '),
    choices: (ctx) =>
      [...ctx.catalog.components.values()]
        .filter((c) => c.selectable)
        .map((c) => ({ value: c.id, name: `${c.id}: ${c.title}`, description: c.summary })),
    // The preset's; clusters on a provider whose profile adds components (MetalLB on previder) get those too.
    default: (a, ctx) => [...(ctx.catalog.presets.get(typeof a.preset === 'string' ? a.preset : 'minimal')?.components ?? [])],
  },
  {
    name: 'cluster-components',
    type: 'list',
    message: 'Components for single clusters, as cluster=component',
    description: 'components that run on one cluster only, as cluster=component, comma-separated (what `haven-plus component <id> --cluster <name>` adds)',
    valueName: '<cluster=id,...>',
    allowed: (ctx) => `cluster=component, a cluster of --clusters and a component not in --components: ${selectableComponents(ctx).join(', ')}`,
    check: (v, a, ctx) => checkClusterComponent(v, a, ctx),
    optional: true,
    promptable: false,
  },
  {
    name: 'cluster-settings',
    type: 'list',
    message: 'Settings of single clusters, as cluster.setting=value',
    description: `what one cluster has of its own, as cluster.setting=value, comma-separated; settings: ${CLUSTER_SETTINGS.join(', ')}; merged with the stored ones by cluster and setting (cluster.setting= unsets one; a fleet: --clusters-file)`,
    valueName: '<cluster.setting=value,...>',
    allowed: () => `cluster.setting=value, a cluster of --clusters; settings: environment (a label), region, domain, storage-class, s3-endpoint, load-balancer-addresses (each as its platform-wide answer)`,
    check: (v, a, ctx) => checkClusterSetting(v, a, ctx),
    optional: true,
    promptable: false,
  },
  {
    name: 'sandbox-runtime',
    type: 'choice',
    message: 'What runs the laptop sandbox clusters',
    description: 'kind or k3d: what creates the clusters on the local provider (make sandbox); k3d clusters get the local-path StorageClass',
    valueName: '<runtime>',
    allowed: () => 'kind or k3d',
    choices: () => [
      { value: 'kind', name: 'kind: Kubernetes in Docker (kind.sigs.k8s.io), StorageClass standard' },
      { value: 'k3d', name: 'k3d: k3s in Docker (k3d.io), StorageClass local-path' },
    ],
    default: () => 'kind',
    when: (a, ctx) => hasSandboxCluster(a, ctx?.catalog),
    promptable: false,
  },
  {
    name: 'environment-versions',
    type: 'list',
    message: 'Chart versions held in one environment, as environment.release=version',
    description: 'hold a chart release at a version in one environment (the others take this generator\'s pins), as environment.release=version, comma-separated; `haven-plus upgrade --environments <env>` sets them',
    valueName: '<env.release=version,...>',
    allowed: (ctx) => `environment.release=version: an environment of --cluster-settings, a chart release (${releaseNames(ctx).join(', ')}) and a version`,
    check: (v, a, ctx) => checkEnvironmentVersion(v, a, ctx),
    when: (a) => environmentsOf(a).length > 0,
    optional: true,
    promptable: false,
  },
  {
    name: 'overlays',
    type: 'choice',
    message: 'How the clusters share their overlays',
    description: 'per-cluster: an overlay per cluster; per-profile: one overlay per provider profile and environment, each cluster\'s own values substituted by Flux from its cluster-vars ConfigMap (a fleet)',
    valueName: '<layout>',
    allowed: () => 'per-cluster, or per-profile (Flux only)',
    choices: (_ctx, a) => [
      { value: 'per-cluster', name: 'per-cluster: infrastructure/<component>/*/overlays/<cluster>, every cluster editable on its own' },
      ...(a.engine === 'argocd' ? [] : [{ value: 'per-profile', name: 'per-profile: overlays per provider profile and environment, per-cluster values from clusters/<cluster>/cluster-vars.yaml' }]),
    ],
    default: () => 'per-cluster',
    check: (v, a) =>
      v === 'per-profile' && a.engine === 'argocd'
        ? 'per-profile needs --engine flux: Argo CD cannot substitute per-cluster values into a shared overlay (Flux does, with postBuild.substituteFrom)'
        : undefined,
    promptable: false,
  },
  {
    name: 'topology',
    type: 'choice',
    message: 'How Argo CD reaches the clusters',
    description: 'per-cluster: Argo CD on every cluster, each with its own app-of-apps; hub: one Argo CD on --hub-cluster deploys to the other clusters through ApplicationSets (Argo CD only)',
    valueName: '<topology>',
    allowed: () => 'per-cluster, or hub (Argo CD only)',
    choices: (_ctx, a) => [
      { value: 'per-cluster', name: 'per-cluster: Argo CD on every cluster, clusters/<cluster>/apps for each' },
      ...(a.engine === 'argocd' ? [{ value: 'hub', name: 'hub: one Argo CD on the hub cluster, an ApplicationSet per release with the cluster generator' }] : []),
    ],
    default: () => 'per-cluster',
    check: (v, a) => {
      if (v !== 'hub') return undefined;
      if (a.engine !== 'argocd') return 'hub needs --engine argocd: with Flux every cluster reconciles itself (a fleet shares overlays with --overlays per-profile)';
      const local = ((a.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c)).filter((c) => (c.provider ?? a.provider) === 'local');
      if (local.length > 0) return `hub needs clusters the hub reaches over the network; ${local.map((c) => c.name).join(', ')} ${local.length === 1 ? 'is a local sandbox' : 'are local sandboxes'} (use --topology per-cluster)`;
      if (((a.clusters as string[] | undefined) ?? []).length < 2) return 'hub needs at least two clusters: the hub and a cluster it deploys to';
      return undefined;
    },
    // Stored with Argo CD only; without it a repository is per-cluster.
    optional: true,
    promptable: false,
  },
  {
    name: 'hub-cluster',
    type: 'string',
    message: 'Cluster that runs Argo CD for all clusters',
    description: 'the cluster whose Argo CD deploys to every other cluster (--topology hub); default: the first of --clusters',
    valueName: '<cluster>',
    allowed: () => 'a cluster of --clusters',
    when: (a) => a.topology === 'hub',
    default: (a) => ((a.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c).name)[0],
    check: (v, a) => {
      const names = ((a.clusters as string[] | undefined) ?? []).map((c) => parseClusterSpec(c).name);
      return names.includes(v) ? undefined : `${JSON.stringify(v)} is not a cluster of this platform${didYouMean(v, names)} (clusters: ${names.join(', ')})`;
    },
    promptable: false,
  },
  {
    name: 'object-storage',
    type: 'choice',
    message: 'Object storage backend',
    description: "object storage backend; default: the provider's S3 where it has one, else garage (docs/usage.md: which to pick)",
    valueName: '<backend>',
    allowed: () => 'provider-s3, garage, seaweedfs or rook-ceph',
    choices: () => [
      { value: 'provider-s3', name: "provider-s3: the provider's S3 service (Haven+ production default)" },
      { value: 'garage', name: 'garage: Garage in the cluster, smallest footprint (sandbox, small on-premises)' },
      { value: 'seaweedfs', name: 'seaweedfs: SeaweedFS in the cluster, on ordinary volumes (mid-sized on-premises)' },
      { value: 'rook-ceph', name: 'rook-ceph: Ceph RGW through Rook, on raw disks of 3+ nodes (large on-premises)' },
    ],
    when: (a) => usesObjectStorage(a),
    optional: true,
    unset: "per cluster: the provider's S3 where it has one, else garage",
  },
  {
    name: 'region',
    type: 'string',
    message: 'Provider region (for the S3 endpoint)',
    description: "region of the default provider's S3 service; default: the profile's region",
    valueName: '<region>',
    allowed: () => 'a region of the provider profile (see docs/providers.md)',
    check: (v) => (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(v) && v.length <= 40 ? undefined : `${JSON.stringify(v)} is not a region name`),
    when: (a) => usesObjectStorage(a),
    optional: true,
    promptable: false,
  },
  {
    name: 's3-endpoint',
    type: 'string',
    message: 'S3 endpoint URL',
    description: "S3 endpoint for clusters on the default provider (overrides the profile; required where the profile has none)",
    valueName: '<url>',
    allowed: () => ENDPOINT_ALLOWED,
    check: (v) => checkEndpoint(v),
    // Asked only where it is needed: the provider S3 service without a known endpoint.
    when: (a, ctx) => {
      if (!usesObjectStorage(a)) return false;
      if (!ctx) return true;
      const profile = ctx.catalog.providers.get(String(a.provider));
      return a['object-storage'] === 'provider-s3' && !profile?.s3?.endpoint;
    },
    optional: true,
    requiredAtPrompt: true,
  },
  {
    name: 'storage-class',
    type: 'string',
    message: 'StorageClass for volumes',
    description: "ReadWriteOnce StorageClass for clusters on the default provider; default: the profile's, else the cluster default",
    valueName: '<class>',
    allowed: () => DNS1123_LABEL_ALLOWED.replace('63', '253'),
    check: (v) => checkDnsLabel(v, 253),
    optional: true,
    promptable: false,
  },
  {
    name: 'load-balancer-addresses',
    type: 'string',
    message: 'Addresses MetalLB hands out to LoadBalancer Services (first-last or a CIDR, free addresses on the nodes\' network)',
    description: "the address range MetalLB announces for LoadBalancer Services on clusters on the default provider (a free range on the nodes' network, from the provider or the network team); a cluster of its own: --cluster-settings <cluster>.load-balancer-addresses=…",
    valueName: '<first-last|cidr>',
    allowed: () => LOAD_BALANCER_ADDRESSES_ALLOWED,
    check: (v) => checkAddressRange(v),
    // MetalLB chosen, or added by a cluster's provider profile (previder) where --components comes from a preset.
    when: (a, ctx) => {
      if (componentIds(a).includes('metallb')) return true;
      if (!ctx) return true;
      const providers = Array.isArray(a.clusters) ? (a.clusters as string[]).map((c) => parseClusterSpec(c).provider ?? String(a.provider)) : [String(a.provider)];
      return a.preset !== undefined && providers.some((p) => ctx.catalog.providers.get(p)?.defaultComponents.includes('metallb'));
    },
    optional: true,
    requiredAtPrompt: true,
  },
  {
    name: 'databases',
    type: 'list',
    message: 'PostgreSQL databases (comma-separated)',
    description: 'PostgreSQL clusters to declare, comma-separated',
    valueName: '<name,...>',
    allowed: () => `${DNS1123_LABEL_ALLOWED.replace('63', '40')}; no duplicates`,
    when: (a) => componentIds(a).includes('postgres'),
    default: () => ['app'],
    check: (v) => checkDnsLabel(v, 40),
  },
  {
    name: 'database-clients',
    type: 'list',
    message: 'Namespaces whose applications may connect to the databases (comma-separated, may be empty)',
    description: 'namespaces allowed to reach PostgreSQL on 5432 (NetworkPolicy); default: none, only the operator',
    valueName: '<namespace,...>',
    allowed: () => `${DNS1123_LABEL_ALLOWED}; no duplicates`,
    when: (a) => componentIds(a).includes('postgres'),
    default: () => [],
    check: (v) => checkDnsLabel(v),
    promptable: false,
  },
  {
    name: 'buckets',
    type: 'list',
    message: 'Extra buckets for applications (comma-separated, may be empty)',
    description: 'extra application buckets to declare on the object storage, comma-separated',
    valueName: '<name,...>',
    allowed: () => `${DNS1123_LABEL_ALLOWED.replace('63', '30')}; no duplicates`,
    when: (a) => usesObjectStorage(a),
    default: () => [],
    check: (v) => checkDnsLabel(v, 30),
    promptable: false,
  },
  {
    name: 'tenants',
    type: 'list',
    message: 'Tenants (teams deploying their own applications), as name=git-url, comma-separated',
    description: "tenants: a namespace, a ServiceAccount with namespace admin, and their git repository synced into that namespace only, as name=https-or-ssh-url, comma-separated",
    valueName: '<name=url,...>',
    allowed: () => `name: ${DNS1123_LABEL_ALLOWED.replace('63', '40')}; url: an https:// or ssh:// git URL without credentials; no duplicates`,
    default: () => [],
    check: (v) => checkTenant(v),
    promptable: false,
  },
  {
    name: 'gateway',
    type: 'choice',
    message: 'Gateway API implementation behind public-gateway',
    description: 'Gateway API implementation of the gateway component',
    valueName: '<implementation>',
    allowed: () => 'envoy, istio or traefik',
    choices: () => [
      { value: 'envoy', name: 'envoy: Envoy Gateway (CNCF Envoy project)' },
      { value: 'istio', name: 'istio: Istio in ambient mode, as the Haven+ reference (also a mesh: mTLS between pods)' },
      { value: 'traefik', name: 'traefik: Traefik Proxy' },
    ],
    when: (a) => runs(a, 'gateway'),
    default: () => 'envoy',
  },
  {
    name: 'domain',
    type: 'string',
    message: 'DNS zone ExternalDNS manages (records of the Gateway routes go here)',
    description: 'the DNS zone ExternalDNS publishes route hostnames in (external-dns only)',
    valueName: '<zone>',
    allowed: () => `${DNS1123_SUBDOMAIN_ALLOWED}, at least two labels, no trailing dot`,
    // Not needed when every cluster running ExternalDNS has a domain of its own (--cluster-settings).
    when: (a, ctx) => needsPlatformDomain(a, ctx?.catalog),
    default: () => undefined,
    noDefault: () => 'ExternalDNS only touches records in a zone you name, e.g. apps.gemeente.nl',
    check: (v) => checkDnsSubdomain(v) ?? (v.includes('.') ? undefined : `${JSON.stringify(v)} is not a DNS zone (at least two labels)`),
  },
  {
    name: 'keycloak-hostname',
    type: 'string',
    message: 'Hostname of Keycloak ({cluster} stands for the cluster name)',
    description: 'public hostname of Keycloak on each cluster; {cluster} is replaced by the cluster name (required with more than one cluster)',
    valueName: '<host>',
    allowed: () => `${DNS1123_SUBDOMAIN_ALLOWED}, optionally with {cluster}, e.g. sso.{cluster}.gemeente.nl`,
    when: (a) => runs(a, 'keycloak'),
    default: () => undefined,
    noDefault: () => 'Keycloak serves OpenID Connect at a public hostname that must be known in advance (its issuer URL)',
    check: (v, a) => {
      const clusters = Array.isArray(a.clusters) ? (a.clusters as string[]).map((c) => parseClusterSpec(c).name) : ['prod'];
      if (clusters.length > 1 && !v.includes('{cluster}')) return `${JSON.stringify(v)} would be the same on every cluster; each cluster runs its own Keycloak: put {cluster} in it`;
      for (const c of clusters) {
        const host = keycloakHostname(v, c);
        const problem = checkDnsSubdomain(host);
        if (problem) return `for cluster ${c}: ${problem}`;
        if (!host.includes('.')) return `${JSON.stringify(host)} is not a fully qualified hostname`;
      }
      return undefined;
    },
  },
  {
    name: 'certificate-issuer',
    type: 'choice',
    message: 'Who signs the certificates cert-manager issues',
    description: "ClusterIssuer for certificates: letsencrypt (staging and production) or private-ca; default: letsencrypt with --acme-email, else private-ca",
    valueName: '<issuer>',
    allowed: () => 'letsencrypt or private-ca',
    choices: () => [
      { value: 'letsencrypt', name: "letsencrypt: Let's Encrypt (ACME HTTP-01 through the Gateway), for public hostnames" },
      { value: 'private-ca', name: 'private-ca: a CA in the cluster, for closed networks (distribute its certificate to clients)' },
    ],
    when: (a) => usesCertManager(a),
    impliedBy: (a) => a['acme-email'] !== undefined,
    default: (a) => (a['acme-email'] ? 'letsencrypt' : 'private-ca'),
  },
  {
    name: 'acme-email',
    type: 'string',
    message: "Contact email of the Let's Encrypt (ACME) account (Let's Encrypt sends no expiry emails since June 2025)",
    description: "email of the Let's Encrypt (ACME) account; implies --certificate-issuer letsencrypt",
    valueName: '<email>',
    allowed: () => EMAIL_ALLOWED,
    when: (a) => usesCertManager(a) && (a['certificate-issuer'] ?? (a['acme-email'] ? 'letsencrypt' : 'private-ca')) === 'letsencrypt',
    default: () => undefined,
    noDefault: () => "the ClusterIssuers register a Let's Encrypt account with this contact address",
    check: (v) => checkEmail(v),
  },
  {
    name: 'secrets',
    type: 'choice',
    message: 'How Secrets reach the clusters (nothing secret is ever committed in plaintext)',
    description: 'secrets strategy; default: sops with Flux, sealed-secrets with Argo CD',
    valueName: '<strategy>',
    allowed: () => 'sops (Flux only), sealed-secrets or external-secrets',
    choices: (_ctx, a) => [
      ...(a.engine === 'argocd' ? [] : [{ value: 'sops', name: 'sops: files encrypted with SOPS/age, decrypted by Flux' }]),
      { value: 'sealed-secrets', name: "sealed-secrets: sealed with the controller's certificate, opened in the cluster" },
      { value: 'external-secrets', name: 'external-secrets: ExternalSecrets read from a ClusterSecretStore you run (OpenBao, Vault, …)' },
    ],
    default: (a) => (a.engine === 'argocd' ? 'sealed-secrets' : 'sops'),
    check: (v, a) => (v === 'sops' && a.engine === 'argocd' ? 'sops needs --engine flux: Argo CD has no built-in SOPS decryption' : undefined),
  },
  {
    name: 'age-recipient',
    type: 'list',
    message: 'age recipients (public keys) to encrypt to, comma-separated (empty: none yet)',
    description: 'age public key(s) the SOPS files are encrypted to (repeatable or comma-separated; see --age-generate)',
    valueName: '<age1...>',
    allowed: () => `${AGE_RECIPIENT_ALLOWED}; no duplicates`,
    // --age-generate makes the recipient.
    impliedBy: (_a, option) => Boolean(option('age-generate')),
    when: (a) => (a.secrets ?? (a.engine === 'argocd' ? 'sealed-secrets' : 'sops')) === 'sops',
    check: (v) => checkAgeRecipient(v),
    optional: true,
  },
  {
    name: 'sealing-scope',
    type: 'choice',
    message: 'Scope of sealed values',
    description: 'where a sealed value may be opened: strict (this name and namespace), namespace-wide or cluster-wide',
    valueName: '<scope>',
    allowed: () => 'strict, namespace-wide or cluster-wide',
    choices: () => [
      { value: 'strict', name: 'strict: only as this Secret, in this namespace (kubeseal default)' },
      { value: 'namespace-wide', name: 'namespace-wide: under any name in this namespace' },
      { value: 'cluster-wide', name: 'cluster-wide: anywhere in the cluster' },
    ],
    when: (a) => (a.secrets ?? (a.engine === 'argocd' ? 'sealed-secrets' : 'sops')) === 'sealed-secrets',
    default: () => 'strict',
    promptable: false,
  },
  {
    name: 'secret-store',
    type: 'string',
    message: 'ClusterSecretStore the ExternalSecrets read from',
    description: 'name of the ClusterSecretStore the ExternalSecrets read from (--secrets external-secrets)',
    valueName: '<name>',
    allowed: () => DNS1123_SUBDOMAIN_ALLOWED,
    when: (a) => a.secrets === 'external-secrets',
    default: () => undefined,
    noDefault: () => 'the store is yours (OpenBao, Vault, a cloud key vault): name the ClusterSecretStore your clusters have',
    check: (v) => checkDnsSubdomain(v),
  },
  {
    name: 'description',
    type: 'string',
    message: 'Description of the platform (free text, optional)',
    description: 'one line describing the platform, shown in the README and on the namespaces (free text)',
    valueName: '<text>',
    allowed: () => DESCRIPTION_ALLOWED,
    check: (v) => checkDescription(v),
    optional: true,
  },
  {
    name: 'registry-mirror',
    type: 'string',
    message: 'Registry mirror for Docker Hub images and charts (empty for none)',
    description:
      'a registry that mirrors Docker Hub (a Harbor proxy cache, say), as host[:port][/path]: every image and OCI chart otherwise pulled anonymously from docker.io comes through it (anonymous Docker Hub pulls are rate limited)',
    valueName: '<host[/path]>',
    allowed: () => REGISTRY_MIRROR_ALLOWED,
    check: (v) => checkRegistryMirror(v),
    optional: true,
    promptable: false,
  },
  {
    name: 'ci',
    type: 'choices',
    message: 'CI that validates the repository on every change',
    description: 'CI pipelines that run haven-plus validate on every change (comma-separated; none for no CI)',
    valueName: '<gitlab,github|none>',
    allowed: () => 'gitlab, github, or none',
    choices: () => [
      { value: 'gitlab', name: 'GitLab CI (.gitlab-ci.yml)' },
      { value: 'github', name: 'GitHub Actions (.github/workflows/validate.yml)' },
      { value: 'none', name: 'none' },
    ],
    default: () => ['gitlab'],
    promptable: false,
  },
  {
    name: 'validator',
    type: 'string',
    message: 'Where CI gets haven-plus validate from',
    description: 'what CI and the README run haven-plus validate from (npx --package): this package at this version, or a tarball or git URL your organisation hosts',
    valueName: '<package@version|url>',
    allowed: () => VALIDATOR_ALLOWED,
    check: (v) => checkValidator(v),
    default: () => `${GENERATOR_NAME}@${GENERATOR_VERSION}`,
    // Stored only where it differs from this version's package: an upgrade moves CI along.
    optional: true,
    promptable: false,
  },
  {
    name: 'git',
    type: 'boolean',
    message: 'Initialise git and commit',
    description: 'initialise a git repository and commit the result (--no-git to skip)',
    allowed: () => 'true or false',
    default: () => true,
    promptable: false,
  },
  {
    name: 'git-remote',
    type: 'string',
    message: 'Git remote URL (empty for none)',
    description: 'URL of the remote repository (origin); required for Argo CD',
    valueName: '<url>',
    allowed: () => GIT_REMOTE_ALLOWED,
    check: (v) => checkGitRemote(v),
    optional: true,
  },
  {
    name: 'branch',
    type: 'string',
    message: 'Branch',
    description: 'branch the clusters follow',
    valueName: '<name>',
    allowed: () => BRANCH_ALLOWED,
    default: () => 'main',
    check: (v) => checkBranch(v),
  },
  {
    name: 'push',
    type: 'boolean',
    message: 'Push to the remote after committing',
    description: 'push the commit to the remote (needs --git-remote)',
    allowed: () => 'true or false',
    default: () => false,
    when: (a) => typeof a['git-remote'] === 'string' && a.git !== false,
  },
  {
    name: 'git-author',
    type: 'string',
    message: 'Commit author',
    description: 'commit author "Name <email>" when git has no identity configured',
    valueName: '<"Name <email>">',
    allowed: () => 'Name <email>, printable characters only',
    check: (v) => (/^[^<>\n\r\t"]{1,100} <[^<>\s"]{3,200}>$/.test(v) ? undefined : `${JSON.stringify(v)} is not of the form Name <email>`),
    optional: true,
    promptable: false,
  },
];

export function selectableComponents(ctx: QuestionContext): string[] {
  return [...ctx.catalog.components.values()].filter((c) => c.selectable).map((c) => c.id);
}

/** Whether the chosen components run a component (directly or through a dependency). */
export function runs(answers: RawAnswers, id: string, catalog: Catalog = loadCatalog()): boolean {
  return requiredClosure(componentIds(answers), catalog.components).has(id);
}

/** Whether the chosen components run cert-manager. */
export const usesCertManager = (answers: RawAnswers, catalog?: Catalog) => runs(answers, 'cert-manager', catalog);

/** Whether the chosen components need object storage. */
export const usesObjectStorage = (answers: RawAnswers, catalog?: Catalog) => runs(answers, 'object-storage', catalog);

export const QUESTION_BY_NAME = new Map(QUESTIONS.map((q) => [q.name, q]));

/** Options that are not answers: they steer the run, are never stored. */
export interface RunOption {
  name: string;
  /** list: repeatable, collected in order. */
  type: 'string' | 'boolean' | 'list';
  description: string;
  valueName?: string;
}

export const RUN_OPTIONS: RunOption[] = [
  { name: 'answers', type: 'string', description: 'read answers from a YAML or JSON file (same keys as the flags)', valueName: '<file>' },
  {
    name: 'clusters-file',
    type: 'string',
    description: 'read the clusters from a YAML file: per cluster name, provider, environment, region, domain, storage-class, s3-endpoint, load-balancer-addresses, components (instead of --clusters, --cluster-settings and --cluster-components)',
    valueName: '<file>',
  },
  {
    name: 'age-generate',
    type: 'boolean',
    description: 'create an age key pair for SOPS: the private key goes to your SOPS key file (0600, never into the repository), the public key is stored as --age-recipient',
  },
  {
    name: 'sealed-secrets-cert',
    type: 'list',
    description: "the Sealed Secrets controller's public certificate (kubeseal --fetch-cert); [cluster=]file, repeatable; kept as clusters/<cluster>/sealed-secrets.pem",
    valueName: '<[cluster=]file>',
  },
  {
    name: 'secret-file',
    type: 'string',
    description: 'read secret values from this YAML file (outside the repository); values also come from HAVEN_PLUS_SECRET_* variables or hidden prompts, never from flags',
    valueName: '<file>',
  },
  { name: 'ask-answered', type: 'boolean', description: 'at the prompt, ask again what the stored answers (.yo-rc.json) already say' },
  { name: 'yes', type: 'boolean', description: 'accept defaults for everything not given; never prompt' },
  { name: 'force', type: 'boolean', description: 'write into a non-empty directory and overwrite changed files' },
  { name: 'dry-run', type: 'boolean', description: 'show what would be written, write nothing, make no commit' },
  { name: 'verbose', type: 'boolean', description: 'list each file written or removed (with --dry-run: each file that would be)' },
  {
    name: 'push-timeout',
    type: 'string',
    description: 'with --push: stop waiting for the remote after this many seconds (default 120); the commit stays, exit code 6',
    valueName: '<seconds>',
  },
  { name: 'skip-install', type: 'boolean', description: 'accepted for Yeoman compatibility (nothing is installed)' },
];
