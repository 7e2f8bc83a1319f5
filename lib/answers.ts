/**
 * Answers: gathered from the stored .yo-rc.json, an answers file and flags, then checked against the
 * question table. Every problem is reported at once; nothing downstream sees an invalid answer.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { AnswerProblem } from './errors.js';
import { AnswersError, HavenPlusError } from './errors.js';
import { didYouMean } from './suggest.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from './package-info.js';
import { bucketPurposes, requiredClosure, type Engine, type ProviderProfile } from './catalog.js';
import { engineRemoteProblem } from './names.js';
import {
  QUESTIONS,
  QUESTION_BY_NAME,
  CLUSTER_SETTINGS,
  parseClusterComponent,
  hasSandboxCluster,
  parseClusterSetting,
  parseEnvironmentVersion,
  parseClusterSpec,
  parseTenantSpec,
  runs,
  usesCertManager,
  usesObjectStorage,
  type Question,
  type QuestionContext,
  type RawAnswers,
} from './questions.js';

export type ObjectStorageBackend = 'provider-s3' | 'garage' | 'seaweedfs' | 'rook-ceph';
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';
export type SecretsStrategy = 'sops' | 'sealed-secrets' | 'external-secrets';
/** Overlays per cluster, or shared per provider profile and environment with per-cluster variables (Flux). */
export type OverlayLayout = 'per-cluster' | 'per-profile';
/** Argo CD on every cluster, or one Argo CD (on the hub) deploying to the others through ApplicationSets. */
export type Topology = 'per-cluster' | 'hub';
export type CertificateIssuer = 'letsencrypt' | 'private-ca';
export type GatewayImplementation = 'envoy' | 'istio' | 'traefik';
/** What creates the laptop sandbox clusters. */
export type SandboxRuntime = 'kind' | 'k3d';

export interface ClusterAnswer {
  name: string;
  provider: string;
  /** Components that run on this cluster only (besides the platform-wide `components`). */
  components: string[];
  /** Components its provider's profile adds where --components came from a preset (MetalLB on previder); not stored: derived. */
  providerComponents?: string[];
  /** The cluster's own settings (--cluster-settings, --clusters-file); unset ones follow the platform-wide answer. */
  environment?: string;
  region?: string;
  domain?: string;
  storageClass?: string;
  s3Endpoint?: string;
  /** The range MetalLB hands out (first-last or a CIDR). */
  loadBalancerAddresses?: string;
}

/** A chart release held at a version in one environment. */
export interface EnvironmentVersion {
  environment: string;
  /** The release's name in the catalog (the HelmRelease / Application name). */
  release: string;
  version: string;
}

/** ClusterAnswer field of each cluster setting. */
const SETTING_FIELD = { environment: 'environment', region: 'region', domain: 'domain', 'storage-class': 'storageClass', 's3-endpoint': 's3Endpoint', 'load-balancer-addresses': 'loadBalancerAddresses' } as const;

/** The components chosen for one cluster: the platform-wide ones, then its own. */
export function selectedOn(a: Answers, cluster: ClusterAnswer): string[] {
  return [...a.components, ...(cluster.providerComponents ?? []), ...cluster.components];
}

/** The range MetalLB hands out on a cluster: its own, else the platform-wide answer for clusters on the default provider. */
export function loadBalancerAddressesOf(a: Answers, c: ClusterAnswer): string | undefined {
  return c.loadBalancerAddresses ?? (c.provider === a.provider ? a.loadBalancerAddresses : undefined);
}

/**
 * Why a component cannot run on a provider's clusters (what would run, why not, what is allowed), or undefined
 * where it can: the rules the answers are refused by, and what bundle-data leaves out per provider.
 */
export function unsupportedOn(id: string, p: ProviderProfile): { what: string; why: string; allowed: string } | undefined {
  // A managed service's cloud load balancer serves LoadBalancer Services, and its virtual network emulates ARP, so
  // layer 2 announcements do not reach it (metallb website/content/installation/clouds.md); OpenShift brings
  // MetalLB as an operator of its own, with its security context constraints.
  if (id === 'metallb' && (p.managed || p.openshift)) {
    return {
      what: 'MetalLB',
      why: p.managed ? `${p.title} has a cloud load balancer for LoadBalancer Services, and layer 2 announcements do not work on its virtual network` : `${p.title} is OpenShift, which installs MetalLB with its own operator`,
      allowed: 'metallb on clusters without a load balancer of their own (previder, generic, hetzner, leaseweb, local)',
    };
  }
  // On OpenShift NVIDIA documents the GPU Operator as its certified operator from OperatorHub (OLM, namespace
  // nvidia-gpu-operator, with OpenShift's driver toolkit and security context constraints), not this chart.
  if (id === 'gpu-operator' && p.openshift) {
    return {
      what: 'the NVIDIA GPU Operator from its Helm chart',
      why: `${p.title} is OpenShift, where NVIDIA documents it as the certified operator from OperatorHub (with the Node Feature Discovery operator)`,
      allowed: 'gpu-operator on clusters that are not OpenShift; on OpenShift, install NVIDIA GPU Operator from OperatorHub',
    };
  }
  return undefined;
}

/** Every component chosen for some cluster. */
export function selectedAnywhere(a: Answers): string[] {
  return [...new Set([...a.components, ...a.clusters.flatMap((c) => [...(c.providerComponents ?? []), ...c.components])])];
}

/** Validated, typed answers. Optional values are undefined when not given. */
export interface Answers {
  name: string;
  engine: Engine;
  provider: string;
  clusters: ClusterAnswer[];
  /** How the clusters' overlays are laid out. */
  overlays: OverlayLayout;
  topology: Topology;
  /** The cluster running Argo CD for every cluster (topology hub). */
  hubCluster?: string;
  /** What creates the sandbox clusters (when a cluster is on a sandbox provider). */
  sandboxRuntime?: SandboxRuntime;
  /** Chart releases held at a version in one environment (the others take the catalog's pins), sorted. */
  environmentVersions: EnvironmentVersion[];
  /** The component set --components defaulted to (unset when --components was given). */
  preset?: string;
  components: string[];
  objectStorage?: ObjectStorageBackend;
  region?: string;
  s3Endpoint?: string;
  storageClass?: string;
  /** The range MetalLB hands out on clusters on the default provider that have none of their own. */
  loadBalancerAddresses?: string;
  databases: string[];
  /** Namespaces allowed to connect to the databases. */
  databaseClients: string[];
  buckets: string[];
  /** Teams with a namespace and their own git repository. */
  tenants: { name: string; url: string }[];
  /** Gateway API implementation (when the gateway component runs). */
  gateway?: GatewayImplementation;
  /** The DNS zone ExternalDNS manages. */
  domain?: string;
  /** Keycloak's hostname pattern ({cluster} replaced per cluster). */
  keycloakHostname?: string;
  /** ClusterIssuer cert-manager signs with (when cert-manager runs). */
  certificateIssuer?: CertificateIssuer;
  /** Let's Encrypt account email (letsencrypt only). */
  acmeEmail?: string;
  /** How Secrets reach the clusters. */
  secrets: SecretsStrategy;
  /** age public keys SOPS files are encrypted to (sops only). */
  ageRecipients: string[];
  /** Where a sealed value may be opened (sealed-secrets only). */
  sealingScope: SealingScope;
  /** ClusterSecretStore ExternalSecrets read from (external-secrets only). */
  secretStore?: string;
  /** Free text describing the platform (README, annotations). */
  description?: string;
  /** A Docker Hub mirror every docker.io image and OCI chart comes through. */
  registryMirror?: string;
  /** CI providers whose pipeline validates the repository. */
  ci: ('gitlab' | 'github')[];
  /** What CI and the README run haven-plus validate from (an npx --package spec). */
  validator: string;
  git: boolean;
  gitRemote?: string;
  branch: string;
  push: boolean;
  gitAuthor?: string;
}

/** Turns one raw value into the shape its question expects, or a problem. */
function coerce(q: Question, value: unknown): { value?: unknown; problem?: string } {
  switch (q.type) {
    case 'boolean':
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return { problem: `must be true or false, got ${JSON.stringify(value)}` };
    case 'list':
    case 'choices': {
      // A repeated flag gives an array; each item may itself be comma-separated.
      const items = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) {
        return { problem: `must be a list of strings or a comma-separated string, got ${JSON.stringify(value)}` };
      }
      return { value: (items as string[]).flatMap((i) => i.split(',')).map((i) => i.trim()).filter((i) => i.length > 0) };
    }
    default:
      if (typeof value !== 'string') return { problem: `must be a string, got ${JSON.stringify(value)}` };
      return { value: value.trim() === value ? value : value };
  }
}

/**
 * Normalises answers from one source (flags, answers file, stored config). Unknown keys and wrong
 * types are problems; values are not yet checked against the rules of their question.
 */
export function normaliseRaw(input: Record<string, unknown>, source: string): { answers: RawAnswers; problems: AnswerProblem[] } {
  const answers: RawAnswers = {};
  const problems: AnswerProblem[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const q = QUESTION_BY_NAME.get(key);
    if (!q) {
      problems.push({ answer: key, problem: `is not a known answer (in ${source})`, allowed: QUESTIONS.map((x) => x.name).join(', ') });
      continue;
    }
    const r = coerce(q, value);
    if (r.problem) problems.push({ answer: key, problem: `${r.problem} (in ${source})` });
    else answers[key] = r.value;
  }
  return { answers, problems };
}

/** Reads an answers file (YAML or JSON; JSON is YAML). */
export function readAnswersFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new HavenPlusError(`answers: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`, 2);
  }
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, version: '1.2' });
  } catch (error) {
    throw new HavenPlusError(`answers: ${JSON.stringify(file)} is not valid YAML/JSON: ${(error as Error).message}`, 2);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new HavenPlusError(`answers: ${JSON.stringify(file)} must hold a mapping of answer names to values`, 2);
  return doc as Record<string, unknown>;
}

/** Keys of one entry of a clusters file: the cluster, its provider and components, and its settings. */
const CLUSTER_FILE_KEYS = ['name', 'provider', 'components', ...CLUSTER_SETTINGS];

/**
 * Reads a clusters file (YAML: `clusters:` with one mapping per cluster, or the list itself) into the
 * answers it stands for: clusters, cluster-components and cluster-settings. Values are checked later,
 * by the rules of those answers; here only the shape.
 */
export function readClustersFile(file: string): { answers: RawAnswers; problems: AnswerProblem[] } {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'), { uniqueKeys: true, version: '1.2' });
  } catch (error) {
    throw new HavenPlusError(`clusters-file: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`, 2);
  }
  const list = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).clusters : doc;
  const allowed = `a list of clusters (or a mapping with key clusters), each a mapping of ${CLUSTER_FILE_KEYS.join(', ')}`;
  if (!Array.isArray(list) || list.length === 0) return { answers: {}, problems: [{ answer: 'clusters-file', problem: `${file} holds no clusters`, allowed }] };
  const problems: AnswerProblem[] = [];
  const clusters: string[] = [];
  const components: string[] = [];
  const settings: string[] = [];
  list.forEach((entry: unknown, i) => {
    const where = `${file}, cluster ${i + 1}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ answer: 'clusters-file', problem: `${where} is not a mapping`, allowed });
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e).filter((k) => !CLUSTER_FILE_KEYS.includes(k))) {
      problems.push({ answer: 'clusters-file', problem: `${where}: ${JSON.stringify(key)} is not a cluster key`, allowed: CLUSTER_FILE_KEYS.join(', ') });
    }
    const scalar = (key: string) => {
      const v = e[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string' && v.length > 0 && !/[,=:]/.test(v)) return v;
      problems.push({ answer: 'clusters-file', problem: `${where}: ${key} must be a non-empty string without , = or :, got ${JSON.stringify(v)}`, allowed });
      return undefined;
    };
    const name = scalar('name');
    if (!name) {
      if (e.name === undefined) problems.push({ answer: 'clusters-file', problem: `${where} has no name`, allowed });
      return;
    }
    const provider = scalar('provider');
    clusters.push(provider ? `${name}:${provider}` : name);
    const own = e.components ?? [];
    if (!Array.isArray(own) || own.some((c) => typeof c !== 'string')) problems.push({ answer: 'clusters-file', problem: `${where}: components must be a list of component ids`, allowed });
    else components.push(...own.map((c: string) => `${name}=${c}`));
    for (const key of CLUSTER_SETTINGS) {
      // Only , is a separator inside a list answer; a URL's : and = are fine in a value.
      const v = e[key];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string' && v.length > 0 && !v.includes(',')) settings.push(`${name}.${key}=${v}`);
      else problems.push({ answer: 'clusters-file', problem: `${where}: ${key} must be a non-empty string without commas, got ${JSON.stringify(v)}`, allowed });
    }
  });
  return { answers: { clusters, 'cluster-components': components, 'cluster-settings': settings }, problems };
}

/** Questions that apply to these answers, in table order. */
export function applicableQuestions(answers: RawAnswers): Question[] {
  // Without a context, `when` answers whether the question can apply at all (flags, schema, resolution).
  return QUESTIONS.filter((q) => !q.when || q.when(answers));
}

/** Fills in defaults for every applicable question without an answer, in table order (later defaults see earlier answers). */
export function withDefaults(given: RawAnswers, ctx: QuestionContext, which: (q: Question) => boolean = () => true): RawAnswers {
  const answers: RawAnswers = { ...given };
  for (const q of QUESTIONS) {
    if (answers[q.name] !== undefined || !q.default || !which(q)) continue;
    if (q.when && !q.when(answers)) continue;
    const d = q.default(answers, ctx);
    if (d !== undefined) answers[q.name] = d;
  }
  return answers;
}

/**
 * What a prompt says about an answer, with the same rules as its flag: the answer's own checks, then the
 * rules across answers that concern it, with the answers given so far and the defaults of the rest (an
 * empty Git remote with Argo CD is refused where it is typed, not after the next question).
 * `undefined`: accepted. `value` undefined: left empty (an optional answer).
 */
export function promptProblem(q: Question, value: unknown, raw: RawAnswers, ctx: QuestionContext): string | undefined {
  const say = (p: AnswerProblem) => `${p.problem}${p.allowed ? ` (allowed: ${p.allowed})` : ''}`;
  if (value !== undefined) {
    const own = checkAnswer(q, value, raw, ctx);
    if (own.length > 0) return say(own[0]);
  }
  try {
    resolveAnswers(withDefaults({ ...raw, [q.name]: value }, ctx), ctx);
  } catch (error) {
    if (!(error instanceof AnswersError)) throw error;
    const across = error.problems.find((p) => p.answer === q.name);
    if (across) return say(across);
  }
  return undefined;
}

/** The problems of the answers given (flags, an answers file) on their own: what a prompt run refuses before asking. */
export function givenProblems(raw: RawAnswers, ctx: QuestionContext): AnswerProblem[] {
  return QUESTIONS.flatMap((q) => (raw[q.name] === undefined ? [] : checkAnswer(q, raw[q.name], raw, ctx)));
}

/** Checks one answer against its question; returns problems (for prompts: the first message). */
export function checkAnswer(q: Question, value: unknown, answers: RawAnswers, ctx: QuestionContext): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const allowed = q.allowed(ctx);
  const values = Array.isArray(value) ? (value as string[]) : [value];
  if ((q.type === 'choice' || q.type === 'choices') && q.choices) {
    const valid = new Set(q.choices(ctx, answers).map((c) => c.value));
    for (const v of values) {
      if (valid.has(v as string)) continue;
      // The question's own check can say why a value is not offered here (sops with Argo CD).
      const why = typeof v === 'string' ? q.check?.(v, answers, ctx) : undefined;
      problems.push({ answer: q.name, problem: why ?? `${JSON.stringify(v)} is not one of the choices${typeof v === 'string' ? didYouMean(v, [...valid]) : ''}`, allowed });
    }
  }
  if (q.check) {
    for (const v of values) {
      if (typeof v !== 'string') continue;
      const problem = q.check(v, answers, ctx);
      if (problem && !problems.some((p) => p.problem.includes(JSON.stringify(v)) || p.problem === problem)) problems.push({ answer: q.name, problem, allowed });
    }
  }
  if (Array.isArray(value)) {
    const seen = new Set<string>();
    for (const v of value as string[]) {
      const setting = parseClusterSetting(v);
      const key = q.name === 'clusters' ? parseClusterSpec(v).name : q.name === 'tenants' ? parseTenantSpec(v).name : q.name === 'cluster-settings' || q.name === 'environment-versions' ? `${setting.cluster}.${setting.key}` : v;
      if (seen.has(key)) problems.push({ answer: q.name, problem: `${JSON.stringify(key)} is given twice`, allowed });
      seen.add(key);
    }
    if (value.length === 0 && (q.name === 'clusters' || q.name === 'components')) {
      problems.push({ answer: q.name, problem: 'needs at least one entry', allowed });
    }
  }
  return problems;
}

/**
 * Turns raw answers (defaults already applied where wanted) into typed Answers, or throws an
 * AnswersError listing every missing and invalid answer.
 */
export function resolveAnswers(raw: RawAnswers, ctx: QuestionContext): Answers {
  const problems: AnswerProblem[] = [];
  for (const q of applicableQuestions(raw)) {
    const value = raw[q.name];
    if (value === undefined) {
      if (q.optional) continue;
      const hasDefault = q.default !== undefined && q.default(raw, ctx) !== undefined;
      const why = !hasDefault && q.default && q.noDefault ? ` (${q.noDefault(ctx)})` : '';
      problems.push({ answer: q.name, problem: `is missing${why}`, allowed: q.allowed(ctx) });
      continue;
    }
    problems.push(...checkAnswer(q, value, raw, ctx));
  }
  // A choice that does not apply to these answers (--gateway without a gateway) is still one of its values:
  // a misspelt one is refused, not dropped in silence.
  const applicable = new Set(applicableQuestions(raw));
  for (const q of QUESTIONS.filter((x) => !applicable.has(x) && (x.type === 'choice' || x.type === 'choices') && raw[x.name] !== undefined)) {
    problems.push(...checkAnswer(q, raw[q.name], raw, ctx));
  }
  const ci = raw.ci as string[] | undefined;
  if (ci && ci.includes('none') && ci.length > 1) problems.push({ answer: 'ci', problem: 'none cannot be combined with a CI provider', allowed: 'gitlab, github, or none' });
  if (problems.length > 0) throw new AnswersError(problems);

  const provider = raw.provider as string;
  const extras = ((raw['cluster-components'] as string[] | undefined) ?? []).map((s) => parseClusterComponent(s));
  const settings = ((raw['cluster-settings'] as string[] | undefined) ?? []).map((s) => parseClusterSetting(s));
  const ownSettings = (cluster: string) =>
    Object.fromEntries(settings.filter((x) => x.cluster === cluster).map((x) => [SETTING_FIELD[x.key as keyof typeof SETTING_FIELD], x.value]));
  const answers: Answers = {
    name: raw.name as string,
    engine: raw.engine as Engine,
    provider,
    clusters: (raw.clusters as string[]).map((s) => {
      const spec = parseClusterSpec(s);
      const on = spec.provider ?? provider;
      // With --components from a preset, a cluster also runs what its provider's profile adds (MetalLB on previder).
      const byProvider = raw.preset !== undefined ? (ctx.catalog.providers.get(on)?.defaultComponents ?? []).filter((id) => !(raw.components as string[]).includes(id)) : [];
      const own = extras.filter((e) => e.cluster === spec.name).map((e) => e.component);
      const providerComponents = byProvider.filter((id) => !own.includes(id));
      return { name: spec.name, provider: on, components: own, ...(providerComponents.length > 0 ? { providerComponents } : {}), ...ownSettings(spec.name) };
    }),
    overlays: (raw.overlays as OverlayLayout | undefined) ?? 'per-cluster',
    topology: (raw.topology as Topology | undefined) ?? 'per-cluster',
    hubCluster: raw.topology === 'hub' ? (raw['hub-cluster'] as string) : undefined,
    sandboxRuntime: hasSandboxCluster(raw, ctx.catalog) ? ((raw['sandbox-runtime'] as SandboxRuntime | undefined) ?? 'kind') : undefined,
    environmentVersions: ((raw['environment-versions'] as string[] | undefined) ?? [])
      .map((v) => parseEnvironmentVersion(v))
      .sort((x, y) => x.environment.localeCompare(y.environment) || x.release.localeCompare(y.release)),
    preset: raw.preset as string | undefined,
    components: [...(raw.components as string[])],
    objectStorage: raw['object-storage'] as ObjectStorageBackend | undefined,
    region: raw.region as string | undefined,
    s3Endpoint: raw['s3-endpoint'] as string | undefined,
    storageClass: raw['storage-class'] as string | undefined,
    loadBalancerAddresses: raw['load-balancer-addresses'] as string | undefined,
    databases: (raw.databases as string[] | undefined) ?? [],
    databaseClients: (raw['database-clients'] as string[] | undefined) ?? [],
    buckets: (raw.buckets as string[] | undefined) ?? [],
    tenants: ((raw.tenants as string[] | undefined) ?? []).map((t) => parseTenantSpec(t)),
    gateway: runs(raw, 'gateway', ctx.catalog) ? ((raw.gateway as GatewayImplementation | undefined) ?? 'envoy') : undefined,
    domain: raw.domain as string | undefined,
    keycloakHostname: raw['keycloak-hostname'] as string | undefined,
    certificateIssuer: usesCertManager(raw, ctx.catalog) ? ((raw['certificate-issuer'] as CertificateIssuer | undefined) ?? (raw['acme-email'] ? 'letsencrypt' : 'private-ca')) : undefined,
    acmeEmail: raw['acme-email'] as string | undefined,
    secrets: (raw.secrets as SecretsStrategy | undefined) ?? (raw.engine === 'argocd' ? 'sealed-secrets' : 'sops'),
    ageRecipients: raw.secrets === 'sops' ? ((raw['age-recipient'] as string[] | undefined) ?? []) : [],
    sealingScope: (raw['sealing-scope'] as SealingScope | undefined) ?? 'strict',
    secretStore: raw.secrets === 'external-secrets' ? (raw['secret-store'] as string | undefined) : undefined,
    description: raw.description as string | undefined,
    registryMirror: raw['registry-mirror'] as string | undefined,
    ci: ((raw.ci as string[] | undefined) ?? ['gitlab']).filter((c): c is 'gitlab' | 'github' => c !== 'none'),
    validator: (raw.validator as string | undefined) ?? `${GENERATOR_NAME}@${GENERATOR_VERSION}`,
    git: raw.git !== false,
    gitRemote: raw['git-remote'] as string | undefined,
    branch: (raw.branch as string | undefined) ?? 'main',
    push: raw.push === true,
    gitAuthor: raw['git-author'] as string | undefined,
  };
  if (!usesObjectStorage(raw)) {
    answers.objectStorage = undefined;
    answers.buckets = [];
  }
  problems.push(...crossCheck(answers, raw, ctx));
  if (problems.length > 0) throw new AnswersError(problems);
  return answers;
}

/** Rules that involve more than one answer. */
function crossCheck(a: Answers, given: RawAnswers, ctx: QuestionContext): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  if (a.engine === 'argocd' && !a.gitRemote) {
    problems.push({
      answer: 'git-remote',
      problem: 'is required with --engine argocd: every Application points at the repository URL',
      allowed: 'the URL Argo CD will clone, e.g. https://gitlab.example.nl/platform/gitops.git',
    });
  }
  const remoteProblem = a.gitRemote ? engineRemoteProblem(a.engine, a.gitRemote) : undefined;
  if (remoteProblem) problems.push({ answer: 'git-remote', ...remoteProblem });
  if (a.objectStorage === 'rook-ceph') {
    for (const c of a.clusters.filter((x) => ctx.catalog.providers.get(x.provider)!.sandbox)) {
      problems.push({
        answer: 'object-storage',
        problem: `rook-ceph needs empty raw disks on at least three nodes; cluster ${c.name} is a laptop sandbox (${c.provider})`,
        allowed: 'garage or seaweedfs for sandboxes',
      });
    }
  }
  const closure = requiredClosure(selectedAnywhere(a), ctx.catalog.components);
  if (closure.has('external-dns')) {
    const runsDns = (c: ClusterAnswer) => requiredClosure(selectedOn(a, c), ctx.catalog.components).has('external-dns');
    for (const c of a.clusters.filter((x) => runsDns(x) && !ctx.catalog.providers.get(x.provider)!.dns)) {
      problems.push({
        answer: 'components',
        problem: `external-dns has no DNS service to manage on cluster ${c.name} (${c.provider})`,
        allowed: 'leave external-dns out, or run it only on clusters of providers with a DNS profile (docs/providers.md)',
      });
    }
  }
  const platformNamespaces = new Set([...closure].flatMap((id) => {
    const d = ctx.catalog.components.get(id)!;
    return [d.namespace, ...(d.config ? [d.config.namespace] : []), ...Object.values(d.backends ?? {}).flatMap((b) => (b ? [ctx.catalog.components.get(b)!.namespace] : []))];
  }));
  for (const t of a.tenants) {
    if (platformNamespaces.has(t.name) || /^(kube-|flux-system$|argocd$|default$)/.test(t.name)) {
      problems.push({ answer: 'tenants', problem: `${JSON.stringify(t.name)} is a namespace of the platform or of Kubernetes`, allowed: 'a name of your own, e.g. the team: sociaal-domein' });
    }
  }
  if (a.certificateIssuer === 'letsencrypt' && !a.gateway) {
    problems.push({
      answer: 'certificate-issuer',
      problem: "letsencrypt answers HTTP-01 challenges through the Gateway, and the gateway component is not chosen",
      allowed: 'add gateway to --components, or use --certificate-issuer private-ca',
    });
  }
  if (a.acmeEmail && a.certificateIssuer !== 'letsencrypt') {
    problems.push({
      answer: 'acme-email',
      problem: a.certificateIssuer ? `is only used with --certificate-issuer letsencrypt, not ${a.certificateIssuer}` : 'is only used when cert-manager runs (a component that needs certificates)',
      allowed: 'leave it out, or use --certificate-issuer letsencrypt',
    });
  }
  if (a.sandboxRuntime === undefined && given['sandbox-runtime'] !== undefined) {
    problems.push({ answer: 'sandbox-runtime', problem: 'is only used with clusters on the local provider (a laptop sandbox)', allowed: 'leave it out, or add a sandbox cluster (--clusters dev:local)' });
  }
  const held = given['environment-versions'];
  if (Array.isArray(held) && held.length > 0 && !a.clusters.some((c) => c.environment !== undefined)) {
    problems.push({ answer: 'environment-versions', problem: 'no cluster has an environment to hold a version in', allowed: 'give clusters environments first (--cluster-settings <cluster>.environment=<name>, or environment: in --clusters-file)' });
  }
  if (a.hubCluster === undefined && given['hub-cluster'] !== undefined) {
    problems.push({ answer: 'hub-cluster', problem: 'is only used with --topology hub', allowed: 'leave it out, or add --topology hub (Argo CD)' });
  }
  if (a.push && !a.git) problems.push({ answer: 'push', problem: 'cannot push with --no-git' });
  if (a.push && !a.gitRemote) problems.push({ answer: 'push', problem: 'needs --git-remote to push to' });
  // MetalLB announces addresses from a range it is given: nothing to guess.
  const metallb = a.clusters.filter((x) => requiredClosure(selectedOn(a, x), ctx.catalog.components).has('metallb'));
  for (const c of metallb) {
    const refused = unsupportedOn('metallb', ctx.catalog.providers.get(c.provider)!);
    if (refused) {
      problems.push({ answer: 'components', problem: `cluster ${c.name} on ${c.provider} would run ${refused.what}, but ${refused.why}`, allowed: refused.allowed });
      continue;
    }
    if (loadBalancerAddressesOf(a, c) === undefined) {
      problems.push({
        answer: 'load-balancer-addresses',
        problem: `cluster ${c.name} runs MetalLB, which needs a range of free addresses on the nodes' network to hand out to LoadBalancer Services (${ctx.catalog.providers.get(c.provider)?.sandbox ? "on a laptop sandbox: free addresses of its docker network, `docker network inspect kind` (k3d: k3d-<cluster>)" : `ask ${c.provider === 'generic' ? 'your network team' : `${ctx.catalog.providers.get(c.provider)?.title ?? c.provider} or your network team`} for one that no DHCP server or node uses`})`,
        allowed: `--load-balancer-addresses <first-last|cidr> (clusters on the default provider) or --cluster-settings ${c.name}.load-balancer-addresses=<first-last|cidr>`,
      });
    }
  }
  for (const c of a.clusters.filter((x) => requiredClosure(selectedOn(a, x), ctx.catalog.components).has('gpu-operator'))) {
    const refused = unsupportedOn('gpu-operator', ctx.catalog.providers.get(c.provider)!);
    if (refused) problems.push({ answer: 'components', problem: `cluster ${c.name} on ${c.provider} would run ${refused.what}, but ${refused.why}`, allowed: refused.allowed });
  }
  // One range on two clusters: where they share a network both answer ARP for the same addresses.
  const sharing = metallb.filter((c) => c.loadBalancerAddresses === undefined && c.provider === a.provider && a.loadBalancerAddresses !== undefined);
  if (sharing.length > 1) {
    problems.push({
      answer: 'load-balancer-addresses',
      problem: `clusters ${sharing.map((c) => c.name).join(', ')} would all take ${a.loadBalancerAddresses}: two clusters on one network would hand out the same addresses`,
      allowed: sharing.map((c) => `--cluster-settings ${c.name}.load-balancer-addresses=<first-last|cidr>`).join(', '),
    });
  }
  const profile = ctx.catalog.providers.get(a.provider);
  if (a.region && profile?.s3 && profile.s3.regions.length > 0 && !profile.s3.regions.includes(a.region)) {
    problems.push({ answer: 'region', problem: `${JSON.stringify(a.region)} is not a region of ${a.provider}`, allowed: profile.s3.regions.join(', ') });
  }
  if (usesObjectStorage({ components: selectedAnywhere(a) }, ctx.catalog)) {
    const own = bucketPurposes(selectedAnywhere(a), ctx.catalog);
    for (const b of a.buckets.filter((x) => own.includes(x))) {
      problems.push({ answer: 'buckets', problem: `${JSON.stringify(b)} is already the bucket of a component`, allowed: `names other than ${own.join(', ')}` });
    }
    for (const c of a.clusters) {
      if (!usesObjectStorage({ components: selectedOn(a, c) }, ctx.catalog)) continue;
      const purposes = [...bucketPurposes(selectedOn(a, c), ctx.catalog), ...a.buckets];
      const p = ctx.catalog.providers.get(c.provider)!;
      // The cluster's own endpoint (--cluster-settings c.s3-endpoint=…, a clusters-file's s3-endpoint), else the
      // platform's for clusters on the default provider: as the plan takes it (lib/plan.ts planCluster).
      const endpoint = c.s3Endpoint ?? (c.provider === a.provider ? a.s3Endpoint : undefined);
      const backend = a.objectStorage ?? (p.defaultObjectStorage === 'provider-s3' || endpoint ? 'provider-s3' : p.defaultObjectStorage);
      const hasEndpoint = Boolean(p.s3?.endpoint) || Boolean(endpoint);
      if (backend === 'provider-s3' && !hasEndpoint) {
        const hint = p.s3?.endpointHint ? ` (${p.s3.endpointHint})` : '';
        problems.push({
          answer: 's3-endpoint',
          problem: `cluster ${c.name} on ${c.provider} uses provider-s3 object storage but the ${c.provider} profile has no S3 endpoint${hint}`,
          allowed: `--cluster-settings ${c.name}.s3-endpoint=<url> (or --s3-endpoint <url> for clusters on the default provider), or --object-storage garage`,
        });
      }
      for (const purpose of purposes) {
        const bucket = bucketName(a.name, c.name, purpose);
        if (bucket.length > 63) {
          problems.push({
            answer: 'name',
            problem: `bucket name ${JSON.stringify(bucket)} (name-cluster-purpose) is ${bucket.length} characters; S3 allows 63`,
            allowed: 'a shorter --name, cluster name or bucket name',
          });
        }
      }
    }
  }
  return problems;
}

export function bucketName(platform: string, cluster: string, purpose: string): string {
  return `${platform}-${cluster}-${purpose}`;
}

/** Answers in their stored form: flag keys, table order, unset values left out. */
export function toStored(a: Answers): RawAnswers {
  const raw: RawAnswers = {
    name: a.name,
    engine: a.engine,
    provider: a.provider,
    clusters: a.clusters.map((c) => (c.provider === a.provider ? c.name : `${c.name}:${c.provider}`)),
    overlays: a.overlays,
    topology: a.engine === 'argocd' ? a.topology : undefined,
    'hub-cluster': a.hubCluster,
    preset: a.preset,
    components: a.components,
    'cluster-components': a.clusters.flatMap((c) => c.components.map((id) => `${c.name}=${id}`)),
    'sandbox-runtime': a.sandboxRuntime,
    'environment-versions': a.environmentVersions.map((p) => `${p.environment}.${p.release}=${p.version}`),
    'cluster-settings': a.clusters.flatMap((c) => CLUSTER_SETTINGS.flatMap((key) => (c[SETTING_FIELD[key]] === undefined ? [] : [`${c.name}.${key}=${c[SETTING_FIELD[key]]}`]))),
    'object-storage': a.objectStorage,
    region: a.region,
    's3-endpoint': a.s3Endpoint,
    'storage-class': a.storageClass,
    'load-balancer-addresses': selectedAnywhere(a).includes('metallb') ? a.loadBalancerAddresses : undefined,
    databases: selectedAnywhere(a).includes('postgres') ? a.databases : undefined,
    'database-clients': selectedAnywhere(a).includes('postgres') ? a.databaseClients : undefined,
    buckets: usesObjectStorage({ components: selectedAnywhere(a) }) ? a.buckets : undefined,
    tenants: a.tenants.map((t) => `${t.name}=${t.url}`),
    gateway: a.gateway,
    domain: a.domain,
    'keycloak-hostname': a.keycloakHostname,
    'certificate-issuer': a.certificateIssuer,
    'acme-email': a.certificateIssuer === 'letsencrypt' ? a.acmeEmail : undefined,
    secrets: a.secrets,
    'age-recipient': a.secrets === 'sops' && a.ageRecipients.length > 0 ? a.ageRecipients : undefined,
    'sealing-scope': a.secrets === 'sealed-secrets' ? a.sealingScope : undefined,
    'secret-store': a.secretStore,
    description: a.description,
    'registry-mirror': a.registryMirror,
    ci: a.ci.length > 0 ? a.ci : ['none'],
    // Stored only where it is not this version's own package (an upgrade then moves CI along with it).
    validator: a.validator === `${GENERATOR_NAME}@${GENERATOR_VERSION}` ? undefined : a.validator,
    git: a.git,
    'git-remote': a.gitRemote,
    branch: a.branch,
  };
  const ordered: RawAnswers = {};
  // Only what applies: an answer of a component taken out again leaves no trace.
  for (const q of QUESTIONS) if (raw[q.name] !== undefined && (!q.when || q.when(raw))) ordered[q.name] = raw[q.name];
  for (const key of ['cluster-components', 'cluster-settings', 'environment-versions']) if ((ordered[key] as string[] | undefined)?.length === 0) delete ordered[key];
  return ordered;
}
