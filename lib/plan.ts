/**
 * Plan: a pure function of the answers and the catalog. It decides which components each cluster
 * runs (dependencies pulled in, with the reason), per-cluster settings from the provider profile,
 * and the dependency graph from which Flux dependsOn and Argo CD sync waves are both derived.
 */
import type { Answers, ClusterAnswer, GatewayImplementation, ObjectStorageBackend, SecretsStrategy } from './answers.js';
import { bucketName, loadBalancerAddressesOf, selectedOn } from './answers.js';
import { bucketPurposes, requiredClosure, type Catalog, type ComponentDef, type Engine, type GatewayProxy, type ProviderProfile, type Release, type ServiceKind, type Stage } from './catalog.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from './package-info.js';
import { mirrorRelease } from './mirror.js';
import { keycloakHostname } from './names.js';

export const S3_SECRET_NAME = 's3-credentials';
/** In-cluster S3 services: name, endpoint and region (path-style addressing for all). */
export const IN_CLUSTER_S3: Record<Exclude<ObjectStorageBackend, 'provider-s3'>, { title: string; endpoint: string; region: string }> = {
  garage: { title: 'Garage', endpoint: 'http://garage.garage.svc.cluster.local:3900', region: 'garage' },
  // SeaweedFS signs with whatever region the client sends; us-east-1 avoids LocationConstraint errors.
  seaweedfs: { title: 'SeaweedFS', endpoint: 'http://seaweedfs-s3.seaweedfs.svc.cluster.local:8333', region: 'us-east-1' },
  'rook-ceph': { title: 'Rook-Ceph', endpoint: 'http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc.cluster.local', region: 'us-east-1' },
};

/** How a cluster's object storage is named in summaries. */
export function objectStorageTitle(os: ClusterObjectStorage): string {
  return os.backend === 'provider-s3' ? `provider S3 (${os.endpoint})` : `${IN_CLUSTER_S3[os.backend].title} (in cluster)`;
}

export interface Bucket {
  purpose: string;
  name: string;
  /** An application's (`haven-plus bucket`, the answer `buckets`), not a component's. */
  application?: boolean;
}

export interface ClusterObjectStorage {
  backend: ObjectStorageBackend;
  endpoint: string;
  /** The endpoint without its scheme (host[:port]), for clients that take a host. */
  host: string;
  /** Plain HTTP (in-cluster services): clients must not expect TLS. */
  insecure: boolean;
  region: string;
  pathStyle: boolean;
  secretName: string;
  /** Bucket name by purpose: the components' buckets, then the extra application buckets. */
  buckets: Record<string, string>;
  bucketList: Bucket[];
  /** Facts the user should check (e.g. a region default). */
  notes: string[];
  /** The provider's S3: how its access key is made (the commands filled in for this cluster), and the region `aws s3 mb` takes. */
  keys?: {
    how: string;
    commands: string[];
    docs: string[];
    /** The key's policy re-sent with every bucket (after buckets are added), filled in. */
    grant: string[];
    /** The lines of `commands` that make each bucket. */
    bucketCommands: Record<string, string[]>;
  };
  /** The provider CLI's commands in `keys` make the buckets (no S3 client is needed for them). */
  cliMakesBuckets?: boolean;
  createRegion?: string;
}

export interface PlannedCluster {
  name: string;
  provider: ProviderProfile;
  /** The range MetalLB hands out to LoadBalancer Services (where MetalLB runs). */
  loadBalancerAddresses?: string;
  /** The environment it belongs to (test, acceptance, production…), when given. */
  environment?: string;
  /** The DNS zone ExternalDNS manages on this cluster: its own, else the platform's --domain. */
  domain?: string;
  storageClass?: string;
  /** The ReadWriteMany StorageClass: the provider's, or `nfs` from the in-cluster NFS server. */
  rwxStorageClass: string;
  instances: number;
  sandbox: boolean;
  objectStorage?: ClusterObjectStorage;
  garage?: { replicas: number; replicationFactor: string; metaSize: string; dataSize: string; cpu: string; memory: string; memoryLimit: string };
  /** Component ids this cluster runs, in dependency order. */
  components: string[];
  /** Keycloak's public hostname on this cluster (when it runs Keycloak). */
  keycloakHostname?: string;
  /** Namespaces of this cluster's components that are not Pod Security `restricted` (policy exemptions), sorted. */
  podSecurityExempt: string[];
}

export interface PlannedComponent {
  def: ComponentDef;
  /** Why it is here: "selected", or the component and reason that pulled it in. */
  reasons: string[];
}

export interface PlannedDatabase {
  name: string;
  objectStore: string;
  appSecret: string;
}

export interface Plan {
  name: string;
  engine: Engine;
  /** The cluster whose Argo CD deploys to the others (--topology hub). */
  hub?: string;
  branch: string;
  gitRemote?: string;
  answers: Answers;
  /** Every component used by any cluster, in dependency order. */
  components: PlannedComponent[];
  clusters: PlannedCluster[];
  /** The clusters' environments in the order their first clusters come (test, acceptance, production): each has its own layer of chart versions and values. */
  environments: string[];
  databases: PlannedDatabase[];
  /** Namespaces whose pods may connect to the databases (NetworkPolicy). */
  databaseClients: string[];
  /** How Secrets reach the clusters. */
  secrets: SecretsStrategy;
  /** GatewayClass and listener ports of public-gateway (when the gateway component runs), and where its proxies run. */
  gateway?: { className: string; http: number; https: number; proxy?: GatewayProxy };
  /** Encrypted or sealed Secret files (path → content), made before rendering (they are not a pure function of the answers). */
  secretFiles: ReadonlyMap<string, string>;
  generator: { name: string; version: string };
}

/** The version of a chart release in an environment: held there (--environment-versions), else the catalog's pin. */
export function releaseVersion(plan: Plan, release: Release, environment: string | undefined): string {
  if (environment === undefined) return release.version;
  return plan.answers.environmentVersions.find((p) => p.environment === environment && p.release === release.name)?.version ?? release.version;
}

/** A node of the per-cluster delivery graph: a Flux Kustomization, or a group of Argo CD Applications. */
export interface StageNode {
  id: string;
  component: string;
  stage: Stage;
  dependsOn: string[];
}

/** A node of the per-cluster release graph: one Argo CD Application (a chart release or a config stage). */
export interface AppNode {
  id: string;
  component: string;
  stage: Stage;
  release?: Release;
  dependsOn: string[];
  wave: number;
}

const BACKEND_REASON: Record<ServiceKind, (cluster: PlannedCluster, a: Answers) => string> = {
  secrets: (_c, a) => `delivers Secrets (--secrets ${a.secrets})`,
  'object-storage': (c) => `object storage backend of cluster ${c.name}`,
  rwx: (c) => `ReadWriteMany volumes on cluster ${c.name}: ${c.provider.title} has no ReadWriteMany StorageClass`,
  gateway: (_c, a) => `implements the Gateway (--gateway ${a.gateway})`,
};

/**
 * Per Gateway implementation: the GatewayClass it serves (istiod creates `istio` itself) and the
 * listener ports of public-gateway (Traefik's listeners must equal its entry points, 8000/8443,
 * which its Service maps from 80/443).
 */
export const GATEWAYS: Record<GatewayImplementation, { className: string; http: number; https: number }> = {
  envoy: { className: 'envoy-gateway', http: 80, https: 443 },
  istio: { className: 'istio', http: 80, https: 443 },
  traefik: { className: 'traefik', http: 8000, https: 8443 },
};

/** A component whose releases pull their Docker Hub images and OCI charts through the mirror (lib/mirror.ts). */
function mirrored(def: ComponentDef, mirror: string | undefined): ComponentDef {
  if (!mirror || !def.controller) return def;
  return { ...def, controller: { releases: def.controller.releases.map((r) => mirrorRelease(r, mirror)) } };
}

/** The platform Gateway, `public-gateway` in the gateway component's namespace. */
export const PUBLIC_GATEWAY = 'public-gateway';

/** Where the proxies of public-gateway run, from the implementation's catalog data. */
function gatewayProxy(catalog: Catalog, implementation: GatewayImplementation): GatewayProxy | undefined {
  const service = catalog.components.get('gateway');
  const id = service?.backends?.[implementation];
  const proxy = id ? catalog.components.get(id)?.gatewayProxy : undefined;
  if (!service || !proxy) return undefined;
  const resolve = (v: string) => v.replaceAll('{gateway}', PUBLIC_GATEWAY).replaceAll('{gatewayNamespace}', service.namespace);
  return { namespace: resolve(proxy.namespace), podLabels: Object.fromEntries(Object.entries(proxy.podLabels).map(([k, v]) => [k, resolve(v)])) };
}

export function buildPlan(answers: Answers, catalog: Catalog): Plan {
  const clusters = answers.clusters.map((c) => planCluster(answers, catalog, c, catalog.providers.get(c.provider)!));
  const reasons = new Map<string, string[]>();
  const addReason = (id: string, reason: string) => {
    const list = reasons.get(id) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(id, list);
  };

  for (const cluster of clusters) {
    const included = new Set<string>();
    const include = (id: string, reason: string) => {
      addReason(id, reason);
      if (included.has(id)) return;
      included.add(id);
      const def = catalog.components.get(id)!;
      for (const r of def.requires) if (!r.optional) include(r.id, `required by ${def.id}: ${r.reason}`);
      const impl = backendOf(def, cluster, answers);
      if (impl) include(impl, BACKEND_REASON[def.service!](cluster, answers));
    };
    // With a hub, Argo CD runs on the hub only and deploys to the other clusters from there.
    if (answers.engine === 'argocd' && (answers.hubCluster ?? cluster.name) === cluster.name) include('argocd', 'the GitOps engine: installed by the bootstrap, then it manages itself');
    for (const id of answers.components) include(id, 'selected');
    const answer = answers.clusters.find((c) => c.name === cluster.name)!;
    for (const id of answer.providerComponents ?? []) include(id, `the ${cluster.provider.title} profile adds it (--components from a preset)`);
    for (const id of answer.components) include(id, `selected for cluster ${cluster.name}`);
    cluster.components = topoSort([...included], catalog);
    const relaxed = cluster.components.map((id) => catalog.components.get(id)!).filter((d) => d.podSecurity !== 'restricted');
    cluster.podSecurityExempt = [...new Set(relaxed.flatMap((d) => [d.namespace, ...(d.config ? [d.config.namespace] : [])]))].sort();
  }

  const allIds = topoSort([...new Set(clusters.flatMap((c) => c.components))], catalog);
  // A held version applies where a cluster of its environment runs the release and it differs from the pin;
  // others are dropped (a component taken out, an environment promoted), so the stored answers stay true.
  const releasesIn = (environment: string) =>
    new Map(clusters.filter((c) => c.environment === environment).flatMap((c) => c.components.flatMap((id) => catalog.components.get(id)!.controller?.releases ?? [])).map((r) => [r.name, r]));
  const environmentVersions = answers.environmentVersions.filter((p) => {
    const release = releasesIn(p.environment).get(p.release);
    return release !== undefined && release.version !== p.version;
  });
  return {
    name: answers.name,
    engine: answers.engine,
    hub: answers.hubCluster,
    branch: answers.branch,
    gitRemote: answers.gitRemote,
    answers: environmentVersions.length === answers.environmentVersions.length ? answers : { ...answers, environmentVersions },
    environments: [...new Set(clusters.flatMap((c) => (c.environment ? [c.environment] : [])))],
    components: allIds.map((id) => ({ def: mirrored(catalog.components.get(id)!, answers.registryMirror), reasons: reasons.get(id) ?? [] })),
    clusters,
    databases: allIds.includes('postgres') ? answers.databases.map((name) => ({ name, objectStore: `${name}-backups`, appSecret: `${name}-app` })) : [],
    databaseClients: allIds.includes('postgres') ? answers.databaseClients : [],
    secrets: answers.secrets,
    gateway: answers.gateway ? { ...GATEWAYS[answers.gateway], proxy: gatewayProxy(catalog, answers.gateway) } : undefined,
    secretFiles: new Map(),
    generator: { name: GENERATOR_NAME, version: GENERATOR_VERSION },
  };
}

/**
 * A profile's commands for the platform's access key, filled in for one cluster: the key's name, the region,
 * the buckets (as a CEL list and as S3 ARNs); a line with {bucket} once per bucket.
 */
function keyCommands(keys: NonNullable<NonNullable<ProviderProfile['s3']>['keys']>, key: string, region: string, buckets: string[]) {
  const fill = (line: string, bucket?: string) =>
    line
      .replaceAll('{key}', key)
      .replaceAll('{region}', region)
      .replaceAll('{REGION}', region.toUpperCase())
      .replaceAll('{bucketsQuoted}', buckets.map((b) => `\\"${b}\\"`).join(', '))
      .replaceAll('{bucketArns}', buckets.flatMap((b) => [`"arn:aws:s3:::${b}"`, `"arn:aws:s3:::${b}/*"`]).join(','))
      .replaceAll('{bucket}', bucket ?? '');
  const commands = keys.commands.flatMap((line) => (line.includes('{bucket}') ? buckets.map((b) => fill(line, b)) : [fill(line)]));
  const bucketCommands = Object.fromEntries(buckets.map((b) => [b, keys.commands.filter((line) => line.includes('{bucket}')).map((line) => fill(line, b))]));
  return { keys: { how: keys.how, docs: keys.docs, commands, grant: keys.grant.map((line) => fill(line)), bucketCommands }, makesBuckets: keys.commands.some((line) => line.includes('{bucket}')) };
}

function planCluster(a: Answers, catalog: Catalog, answer: ClusterAnswer, provider: ProviderProfile): PlannedCluster {
  const name = answer.name;
  const selected = selectedOn(a, answer);
  const onDefault = provider.id === a.provider;
  const sandbox = provider.sandbox;
  let objectStorage: ClusterObjectStorage | undefined;
  if (requiredClosure(selected, catalog.components).has('object-storage')) {
    const endpointOverride = answer.s3Endpoint ?? (onDefault ? a.s3Endpoint : undefined);
    const backend: ObjectStorageBackend =
      a.objectStorage ?? (provider.defaultObjectStorage === 'provider-s3' || endpointOverride ? 'provider-s3' : 'garage');
    const purposes = [...bucketPurposes(selected, catalog), ...a.buckets];
    const buckets = Object.fromEntries(purposes.map((p) => [p, bucketName(a.name, name, p)]));
    const bucketList: Bucket[] = purposes.map((p) => ({ purpose: p, name: buckets[p], ...(a.buckets.includes(p) ? { application: true } : {}) }));
    const notes: string[] = [];
    if (backend !== 'provider-s3') {
      const { endpoint, region } = IN_CLUSTER_S3[backend];
      objectStorage = { backend, endpoint, ...hostOf(endpoint), region, pathStyle: true, secretName: S3_SECRET_NAME, buckets, bucketList, notes };
    } else {
      const given = answer.region ?? (onDefault ? a.region : undefined);
      const region = given ?? provider.s3?.defaultRegion ?? 'us-east-1';
      if (!provider.s3 && given === undefined) notes.push(`region ${region} is assumed for the external S3 endpoint; pass --region if your service needs another`);
      const endpoint = endpointOverride ?? provider.s3!.endpoints?.[region] ?? provider.s3!.endpoint!.replace('{region}', region);
      objectStorage = { backend, endpoint, ...hostOf(endpoint), region, pathStyle: provider.s3?.pathStyle ?? true, secretName: S3_SECRET_NAME, buckets, bucketList, notes };
      // The provider's own service: its endpoint, or one of its instances (UpCloud has no endpoint but each instance's).
      const own = provider.s3 && (!endpointOverride || provider.s3.endpoint === null) ? provider.s3 : undefined;
      const keys = own?.keys ? keyCommands(own.keys, `${a.name}-${name}-s3`, region, bucketList.map((b) => b.name)) : undefined;
      Object.assign(objectStorage, { keys: keys?.keys, cliMakesBuckets: keys?.makesBuckets === true, createRegion: own?.createRegion });
    }
  }
  return {
    name,
    provider,
    loadBalancerAddresses: requiredClosure(selected, catalog.components).has('metallb') ? loadBalancerAddressesOf(a, answer) : undefined,
    environment: answer.environment,
    domain: answer.domain ?? a.domain,
    // k3s names its class local-path; the sandbox profile's `standard` is kind's.
    storageClass: answer.storageClass ?? (onDefault ? a.storageClass : undefined) ?? (sandbox && a.sandboxRuntime === 'k3d' ? 'local-path' : provider.storage.rwo) ?? undefined,
    rwxStorageClass: provider.storage.rwx ?? 'nfs',
    instances: sandbox ? 1 : 3,
    sandbox,
    objectStorage,
    garage: sandbox
      ? { replicas: 1, replicationFactor: '1', metaSize: '1Gi', dataSize: '5Gi', cpu: '50m', memory: '256Mi', memoryLimit: '512Mi' }
      : { replicas: 3, replicationFactor: '3', metaSize: '5Gi', dataSize: '100Gi', cpu: '250m', memory: '1Gi', memoryLimit: '2Gi' },
    components: [],
    podSecurityExempt: [],
    keycloakHostname: a.keycloakHostname ? keycloakHostname(a.keycloakHostname, name) : undefined,
  };
}

function hostOf(endpoint: string): { host: string; insecure: boolean } {
  return { host: endpoint.replace(/^https?:\/\//, '').replace(/\/$/, ''), insecure: endpoint.startsWith('http://') };
}

/** The backend a service component uses on a cluster (an answer, or a fact of the provider). */
export function serviceChoice(def: ComponentDef, cluster: PlannedCluster, answers: Answers): string | undefined {
  switch (def.service) {
    case 'secrets':
      return answers.secrets;
    case 'gateway':
      return answers.gateway;
    case 'object-storage':
      return cluster.objectStorage?.backend;
    case 'rwx':
      return cluster.provider.storage.rwx ? 'provider' : 'nfs';
    default:
      return undefined;
  }
}

/** The component implementing a service component on a cluster (undefined: nothing to deploy). */
export function backendOf(def: ComponentDef, cluster: PlannedCluster, answers: Answers): string | undefined {
  if (!def.backends) return undefined;
  const choice = serviceChoice(def, cluster, answers);
  return (choice && def.backends[choice]) || undefined;
}

/** Stable topological order: requirements first, ties broken by id. */
function topoSort(ids: string[], catalog: Catalog): string[] {
  const set = new Set(ids);
  const first = ids.filter((id) => catalog.components.get(id)!.runsFirst);
  const firstNeeds = requiredClosure(first, catalog.components);
  const deps = (id: string): string[] => {
    const def = catalog.components.get(id)!;
    const list = def.requires.map((r) => r.id);
    for (const impl of Object.values(def.backends ?? {})) if (impl) list.push(impl);
    if (def.category !== 'gitops' && !firstNeeds.has(id)) list.push(...first);
    return list.filter((d) => set.has(d));
  };
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`catalog: dependency cycle ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const d of deps(id).sort()) visit(d, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...ids].sort()) visit(id, []);
  return order;
}

function stagesOf(def: ComponentDef): Stage[] {
  const stages: Stage[] = [];
  if (def.controller) stages.push('controller');
  if (def.config) stages.push('config');
  return stages;
}

export function stageId(component: string, stage: Stage): string {
  return `${component}-${stage}`;
}

/** The component that really runs in the cluster for a requirement (a service resolves to its backend, or nothing). */
function deployedFor(id: string, cluster: PlannedCluster, plan: Plan): ComponentDef | undefined {
  const def = plan.components.find((c) => c.def.id === id)?.def;
  if (!def || !cluster.components.includes(id)) return undefined;
  if (def.backends) {
    const impl = backendOf(def, cluster, plan.answers);
    return impl ? deployedFor(impl, cluster, plan) : stagesOf(def).length > 0 ? def : undefined;
  }
  return stagesOf(def).length > 0 ? def : undefined;
}

/**
 * What a requirement waits for: a service with manifests of its own (the gateway component's Gateway, where
 * Keycloak's TLSRoute attaches and HTTP-01 challenges come in) is its own last stage, which itself waits for
 * its implementation; a service without manifests is its implementation.
 */
function requiredFor(id: string, cluster: PlannedCluster, plan: Plan): ComponentDef | undefined {
  const def = plan.components.find((c) => c.def.id === id)?.def;
  if (def?.backends && cluster.components.includes(id) && stagesOf(def).length > 0) return def;
  return deployedFor(id, cluster, plan);
}

/** Stage-level graph for one cluster (Flux Kustomizations), in dependency order. */
export function clusterStages(plan: Plan, cluster: PlannedCluster): StageNode[] {
  const nodes: StageNode[] = [];
  const defOf = (id: string) => plan.components.find((c) => c.def.id === id)!.def;
  // Components that run first (policy): every other component's first stage waits for their last,
  // except the GitOps engine and what they need themselves.
  const first = cluster.components.map(defOf).filter((d) => d.runsFirst && stagesOf(d).length > 0);
  const firstNeeds = requiredClosure(first.map((d) => d.id), new Map(plan.components.map((c) => [c.def.id, c.def])));
  for (const id of cluster.components) {
    const def = defOf(id);
    const stages = stagesOf(def);
    for (const stage of stages) {
      const dependsOn = new Set<string>();
      if (stage === 'config' && stages.includes('controller')) dependsOn.add(stageId(id, 'controller'));
      if (stage === stages[0] && def.category !== 'gitops' && !firstNeeds.has(id)) {
        for (const f of first) dependsOn.add(stageId(f.id, stagesOf(f).at(-1)!));
      }
      // A service's own manifests (e.g. the Gateway) need its implementation in place.
      if (stage === stages[0] && def.backends) {
        const impl = deployedFor(def.id, cluster, plan);
        if (impl && impl.id !== def.id) dependsOn.add(stageId(impl.id, stagesOf(impl).at(-1)!));
      }
      for (const r of def.requires) {
        if (r.stage !== stage && !(r.stage === 'config' && !stages.includes('config'))) continue;
        const target = requiredFor(r.id, cluster, plan);
        if (target) dependsOn.add(stageId(target.id, r.upTo && stagesOf(target).includes(r.upTo) ? r.upTo : stagesOf(target).at(-1)!));
      }
      nodes.push({ id: stageId(id, stage), component: id, stage, dependsOn: [...dependsOn] });
    }
  }
  return nodes;
}

/** Application-level graph for one cluster (Argo CD), each node with its sync wave. */
export function clusterApps(plan: Plan, cluster: PlannedCluster): AppNode[] {
  const byComponent = new Map<string, AppNode[]>();
  const finals = (id: string): string[] => {
    const apps = byComponent.get(id) ?? [];
    const config = apps.find((a) => a.stage === 'config');
    return config ? [config.id] : apps.map((a) => a.id);
  };
  const nodes: AppNode[] = [];
  for (const stage of clusterStages(plan, cluster)) {
    const def = plan.components.find((c) => c.def.id === stage.component)!.def;
    // Another component's config stage (or last): its final Applications; its controller stage: its releases.
    const external = stage.dependsOn.filter((d) => d !== stageId(def.id, 'controller'));
    const fromDeps = external.flatMap((d) => {
      const id = d.replace(/-(controller|config)$/, '');
      return d.endsWith('-controller') ? (byComponent.get(id) ?? []).filter((a) => a.stage === 'controller').map((a) => a.id) : finals(id);
    });
    const apps = byComponent.get(def.id) ?? [];
    if (stage.stage === 'controller') {
      for (const release of def.controller!.releases) {
        const node: AppNode = {
          id: release.name,
          component: def.id,
          stage: 'controller',
          release,
          dependsOn: [...fromDeps, ...release.dependsOn],
          wave: 0,
        };
        apps.push(node);
        nodes.push(node);
      }
    } else {
      const node: AppNode = { id: stageId(def.id, 'config'), component: def.id, stage: 'config', dependsOn: [...apps.map((a) => a.id), ...fromDeps], wave: 0 };
      apps.push(node);
      nodes.push(node);
    }
    byComponent.set(def.id, apps);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) n.wave = n.dependsOn.reduce((w, d) => Math.max(w, byId.get(d)!.wave + 1), 0);
  return nodes;
}

/**
 * Buckets a day-2 change adds on a provider's own object storage, on clusters that had it before: the
 * cluster cannot make them (the in-cluster backends' jobs can), and the platform's key may be scoped to the
 * buckets it had. New clusters are left out: their README's bootstrap steps make all of theirs.
 */
export function bucketsToMake(before: Plan | undefined, after: Plan): { cluster: PlannedCluster; buckets: string[]; commands: string[] }[] {
  if (!before) return [];
  return after.clusters.flatMap((cluster) => {
    const was = before.clusters.find((c) => c.name === cluster.name)?.objectStorage;
    const now = cluster.objectStorage;
    if (!was || now?.backend !== 'provider-s3' || was.backend !== 'provider-s3') return [];
    const had = new Set(was.bucketList.map((b) => b.name));
    const buckets = now.bucketList.map((b) => b.name).filter((b) => !had.has(b));
    return buckets.length > 0 ? [{ cluster, buckets, commands: newBucketCommands(now, buckets) }] : [];
  });
}

/**
 * The commands that make buckets added after the first run and let the existing key reach them: the
 * profile's bucket lines for those buckets only (with the prompts for the variables they use), or an S3
 * client's `mb`; then the key's grant (its policy re-sent with every bucket). Not the first run's user and
 * key lines, which would make a second user or fail.
 */
export function newBucketCommands(os: ClusterObjectStorage, buckets: string[]): string[] {
  const keys = os.keys;
  const region = os.createRegion ?? os.region;
  if (!os.cliMakesBuckets || !keys) {
    return [
      "# with a key that may create buckets in this account or project (not the platform's key where its policy grants no bucket creation)",
      "read -rsp 'access key ID: ' AWS_ACCESS_KEY_ID && echo && export AWS_ACCESS_KEY_ID",
      "read -rsp 'secret access key: ' AWS_SECRET_ACCESS_KEY && echo && export AWS_SECRET_ACCESS_KEY",
      ...buckets.map((b) => `aws s3 mb s3://${b} --endpoint-url ${os.endpoint} --region ${region}`),
      'unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY',
      ...(keys?.grant ?? []),
    ];
  }
  const made = buckets.flatMap((b) => keys.bucketCommands[b] ?? []);
  const variables = (lines: string[]) => new Set(lines.flatMap((line) => [...line.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1])));
  const readInto = (line: string) => /^read .* ([A-Z_][A-Z0-9_]*)$/.exec(line)?.[1];
  const madeUses = variables(made);
  const grantUses = variables(keys.grant);
  const grantReads = new Set(keys.grant.map(readInto).filter((v) => v !== undefined));
  // The first run's prompts the bucket commands need (or the grant, where it does not ask itself), each once.
  const prompts = keys.commands.filter((line) => {
    const v = readInto(line);
    return v !== undefined && (madeUses.has(v) || (grantUses.has(v) && !grantReads.has(v)));
  });
  const prompted = new Set(prompts.map(readInto));
  return [...prompts, ...made, ...keys.grant.filter((line) => !prompted.has(readInto(line)))];
}
