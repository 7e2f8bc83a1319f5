/**
 * References within what one cluster applies: Flux sources, chartRefs, dependsOn, valuesFrom; Argo CD
 * projects, destinations and repositories; namespaces; Secrets the platform expects (listed as "you
 * must create"); duplicates; cycles; and CRD ordering (an object of a CRD group comes after the
 * release that installs that CRD).
 */
import { posix } from 'node:path';
import type { Catalog } from '../catalog.js';
import { append, argoClusterSecret, argoRepositorySecret, clusterScoped, get, listOf, objectKey, type K8sObject } from './build.js';
import { error, warning, type Finding, type MustCreate } from './findings.js';
import { sopsEncryptedIdentity } from './secret-scan.js';
import { checkScheduledBackups } from './cnpg-schedule.js';
import { checkNetworkFlows } from './flows.js';
import { IN_CLUSTER_SERVER } from './applicationset.js';
import { argoSources } from './structure.js';
import { argoGlob } from './globs.js';
import { chartFacts } from '../chart-facts.js';
import type { Release } from './releases.js';
import type { ClusterView, Placed, Topology, Unit } from './topology.js';

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** The API groups the Kubernetes API server serves itself: those of k8s.io/api's packages, apiextensions and the aggregator (alpha and beta groups included). */
/** The API groups of the controllers `flux install` and `flux bootstrap` install by default (flux2 pkg/manifestgen/install/options.go: source, kustomize, helm, notification). */
const FLUX_DEFAULT_GROUPS = new Set(['source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io', 'notification.toolkit.fluxcd.io']);

const BUILTIN_GROUPS = new Set([
  'core', 'apps', 'batch', 'policy', 'autoscaling', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'storage.k8s.io',
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io',
  'node.k8s.io', 'resource.k8s.io', 'flowcontrol.apiserver.k8s.io', 'apiregistration.k8s.io', 'certificates.k8s.io', 'events.k8s.io',
  'authentication.k8s.io', 'authorization.k8s.io', 'internal.apiserver.k8s.io', 'storagemigration.k8s.io',
]);
const FLUX_GROUPS = ['source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io', 'notification.toolkit.fluxcd.io', 'image.toolkit.fluxcd.io', 'source.extensions.fluxcd.io'];
const group = (o: K8sObject) => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : 'core');
const nsOf = (o: K8sObject, fallback?: string) => o.metadata?.namespace ?? fallback;
/** A HelmRelease whose kubeConfig reaches another cluster: its chart, CRDs and target namespace are there (ClusterView.releases). */
const installsElsewhere = (o: K8sObject) => o.kind === 'HelmRelease' && get(o, 'spec.kubeConfig') !== undefined;

type SecretRef = { kind: MustCreate['kind']; name: string; namespace: string; keys: string[]; ifMissing?: string };

/** Secret (and secret store) references the platform's kinds make, and the keys they read. */
function secretRefs(o: K8sObject): SecretRef[] {
  const ns = o.metadata?.namespace ?? 'default';
  const refs: SecretRef[] = [];
  const add = (name: unknown, keys: string[], namespace = ns, kind: SecretRef['kind'] = 'Secret', ifMissing?: string) => {
    if (typeof name === 'string' && name) refs.push({ kind, name, namespace, keys, ...(ifMissing ? { ifMissing } : {}) });
  };
  if (o.kind === 'ExternalSecret' && group(o) === 'external-secrets.io') {
    const store = get(o, 'spec.secretStoreRef') as { kind?: string; name?: string } | undefined;
    const cluster = store?.kind === 'ClusterSecretStore';
    add(store?.name, [], cluster ? '' : ns, cluster ? 'ClusterSecretStore' : 'SecretStore');
  }
  if (o.kind === 'ObjectStore' && group(o) === 'barmancloud.cnpg.io') {
    const creds = get(o, 'spec.configuration.s3Credentials') as Record<string, { name?: string; key?: string }> | undefined;
    for (const ref of Object.values(creds ?? {})) if (ref && typeof ref === 'object') add(ref.name, ref.key ? [ref.key] : []);
  }
  if (['GitRepository', 'HelmRepository', 'OCIRepository', 'Bucket'].includes(o.kind ?? '') && FLUX_GROUPS.includes(group(o))) add(get(o, 'spec.secretRef.name'), []);
  if (o.kind === 'Kustomization' && group(o) === 'kustomize.toolkit.fluxcd.io') add(get(o, 'spec.decryption.secretRef.name'), []);
  if (o.kind === 'HelmRelease') {
    for (const v of listOf<{ kind?: string; name?: string; valuesKey?: string; optional?: boolean }>(get(o, 'spec.valuesFrom'))) {
      if (v.kind === 'Secret' && !v.optional) add(v.name, [v.valuesKey ?? 'values.yaml']);
    }
  }
  // The Keycloak Operator reads the database credentials and the serving certificate from Secrets.
  if (o.kind === 'Keycloak' && group(o) === 'k8s.keycloak.org') {
    for (const field of ['spec.db.usernameSecret', 'spec.db.passwordSecret']) {
      const ref = get(o, field) as { name?: string; key?: string } | undefined;
      add(ref?.name, ref?.key ? [ref.key] : []);
    }
    add(get(o, 'spec.http.tlsSecret'), ['tls.crt', 'tls.key']);
  }
  // Containers of workloads: env from a Secret key.
  if (WORKLOADS.has(o.kind ?? '')) {
    const visit = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const ref = (v as { secretKeyRef?: { name?: string; key?: string; optional?: boolean } }).secretKeyRef;
        if (ref && !ref.optional) add(ref.name, ref.key ? [ref.key] : []);
        else for (const x of Object.values(v)) visit(x);
      }
    };
    visit(o.spec);
  }
  return refs;
}

/** Secrets a Helm release's pods read: named in its values, or read by the chart's software by a fixed name (chart facts). */
function releaseSecretRefs(r: Release): SecretRef[] {
  const namespace = r.namespace ?? 'default';
  const facts = chartFacts(r.ref.chart, r.ref.version ?? r.ref.gitRef)?.runtimeSecrets ?? [];
  return [
    ...valuesSecretRefs(r.values).map((v) => ({ kind: 'Secret' as const, namespace, ...v })),
    ...facts.map((f) => ({ kind: 'Secret' as const, namespace, name: f.name, keys: f.keys, ifMissing: f.ifMissing })),
  ];
}

/**
 * Secrets that chart values name in the shapes of the Kubernetes API, which charts render into their pods
 * as given (`extraEnvFrom`, `extraEnvVars`, `env`): an env var's `valueFrom.secretKeyRef` and an envFrom
 * list's `secretRef`, unless marked optional. A chart's own keys for a Secret (`existingSecret`, say)
 * differ per chart and are not read here.
 */
function valuesSecretRefs(values: unknown): { name: string; keys: string[] }[] {
  const refs: { name: string; keys: string[] }[] = [];
  const visit = (v: unknown, parent: string) => {
    if (Array.isArray(v)) {
      for (const item of v) {
        const ref = /envfrom$/i.test(parent) ? (item as { secretRef?: { name?: unknown; optional?: unknown } } | null)?.secretRef : undefined;
        if (ref && typeof ref.name === 'string' && !ref.name.includes('{{') && ref.optional !== true) refs.push({ name: ref.name, keys: [] });
        else visit(item, parent);
      }
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const ref = k === 'valueFrom' ? (x as { secretKeyRef?: { name?: unknown; key?: unknown; optional?: unknown } } | null)?.secretKeyRef : undefined;
        // A name a chart renders with tpl (`{{ .Release.Name }}-secret`) is not known here.
        if (ref && typeof ref.name === 'string' && !ref.name.includes('{{') && ref.optional !== true) refs.push({ name: ref.name, keys: typeof ref.key === 'string' ? [ref.key] : [] });
        else visit(x, k);
      }
    }
  };
  visit(values, '');
  return refs;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod']);

/**
 * A Kargo Project's namespace, which Kargo's management controller creates with the Project's name (akuity/kargo
 * pkg/controller/management/projects/projects.go ensureNamespace, at 1c764767, v1.11.0-rc.1).
 */
const kargoProject = (o: K8sObject) => (o.kind === 'Project' && group(o) === 'kargo.akuity.io' && typeof o.metadata?.name === 'string' ? o.metadata.name : undefined);

const objectBucketClaim = (o: K8sObject) => o.kind === 'ObjectBucketClaim' && group(o) === 'objectbucket.io' && typeof o.metadata?.name === 'string';

/** The ConfigMaps operators make from an object: an ObjectBucketClaim's, with the bucket's endpoint (BUCKET_HOST, BUCKET_NAME, BUCKET_PORT, …), named as the claim. */
function generatedConfigMaps(o: K8sObject): { name: string; namespace: string }[] {
  return objectBucketClaim(o) ? [{ name: String(o.metadata?.name), namespace: o.metadata?.namespace ?? 'default' }] : [];
}

/**
 * Secrets operators create from objects in the repository, with their keys: CloudNativePG's
 * `<cluster>-app` (cloudnative-pg v1.30.0 pkg/specs/secrets.go CreateSecret), cert-manager's
 * Certificate secretName (tls.crt, tls.key, ca.crt).
 */
function generatedSecrets(o: K8sObject): { name: string; namespace: string; keys?: string[] }[] {
  const ns = o.metadata?.namespace ?? 'default';
  if (o.kind === 'Cluster' && group(o) === 'postgresql.cnpg.io' && !get(o, 'spec.bootstrap.initdb.secret')) {
    return [{ name: `${o.metadata?.name}-app`, namespace: ns, keys: ['username', 'user', 'password', 'dbname', 'host', 'port', 'pgpass', 'uri', 'jdbc-uri', 'fqdn-uri', 'fqdn-jdbc-uri'] }];
  }
  // The bucket provisioner (lib-bucket-provisioner: Rook, NooBaa/ODF) makes a Secret with the claim's name
  // holding its credentials (Rook docs, ceph-object-bucket-claim; ODF "Object Bucket Claim").
  if (objectBucketClaim(o)) return [{ name: String(o.metadata?.name), namespace: ns, keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] }];
  if (o.kind === 'Certificate' && group(o) === 'cert-manager.io' && typeof get(o, 'spec.secretName') === 'string') {
    return [{ name: get(o, 'spec.secretName') as string, namespace: ns, keys: ['tls.crt', 'tls.key', 'ca.crt'] }];
  }
  // An operator's object that names a Secret it creates (`clientSecretRef: {name: app, create: true}`): its keys
  // are the operator's, not known here.
  if (!BUILTIN_GROUPS.has(group(o))) {
    const made: { name: string; namespace: string; keys?: string[] }[] = [];
    const visit = (v: unknown, depth: number) => {
      if (!v || typeof v !== 'object' || depth > 6) return;
      if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
      const m = v as { name?: unknown; create?: unknown };
      if (m.create === true && typeof m.name === 'string') made.push({ name: m.name, namespace: ns });
      for (const x of Object.values(v)) visit(x, depth + 1);
    };
    visit(o.spec, 0);
    return made;
  }
  return [];
}

/**
 * The name of the Secret an object provides: an ExternalSecret's `spec.target.name` (external-secrets
 * apis/externalsecrets/v1 ExternalSecretTarget: the ExternalSecret's name by default), a SealedSecret's
 * template name (sealed-secrets: the SealedSecret's name by default), else its own.
 */
function providedName(o: K8sObject): string | undefined {
  if (o.kind === 'ExternalSecret') return (get(o, 'spec.target.name') as string | undefined) || o.metadata?.name;
  if (o.kind === 'SealedSecret') return (get(o, 'spec.template.metadata.name') as string | undefined) || o.metadata?.name;
  return o.metadata?.name;
}

/** The keys a Secret in the repository will have (undefined: not knowable, e.g. an ExternalSecret with dataFrom). */
function providedKeys(o: K8sObject): string[] | undefined {
  const keysOf = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v) : []);
  // A service-account-token Secret: the token controller fills in token, ca.crt and namespace (kubernetes tokens_controller.go).
  if (o.kind === 'Secret' && get(o, 'type') === 'kubernetes.io/service-account-token') return [...new Set(['token', 'ca.crt', 'namespace', ...keysOf(get(o, 'data')), ...keysOf(get(o, 'stringData'))])];
  if (o.kind === 'Secret') return [...keysOf(get(o, 'data')), ...keysOf(get(o, 'stringData'))];
  if (o.kind === 'SealedSecret') return [...keysOf(get(o, 'spec.encryptedData')), ...keysOf(get(o, 'spec.template.data'))];
  if (o.kind === 'ExternalSecret') {
    if (get(o, 'spec.dataFrom') || get(o, 'spec.target.template')) return undefined;
    return ((get(o, 'spec.data') as { secretKey?: string }[] | undefined) ?? []).flatMap((d) => (d.secretKey ? [d.secretKey] : []));
  }
  return undefined;
}

/** An Argo CD resource hook: annotated argocd.argoproj.io/hook (or Helm's helm.sh/hook, which Argo CD maps). */
const isArgoHook = (o: K8sObject) => {
  // `annotations:` left empty is null.
  const a = o.metadata?.annotations as Record<string, unknown> | null | undefined;
  return a != null && typeof a === 'object' && (a['argocd.argoproj.io/hook'] !== undefined || a['helm.sh/hook'] !== undefined);
};

function reachable(units: Map<string, Unit>, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(units.get(from)?.dependsOn ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(units.get(n)?.dependsOn ?? []));
  }
  return seen;
}

function findCycle(units: Map<string, Unit>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  let cycle: string[] | undefined;
  const visit = (n: string, path: string[]) => {
    if (cycle || state.get(n) === 'done' || !units.has(n)) return;
    if (state.get(n) === 'visiting') {
      cycle = [...path.slice(path.indexOf(n)), n];
      return;
    }
    state.set(n, 'visiting');
    for (const d of units.get(n)!.dependsOn) visit(d, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of [...units.keys()].sort()) visit(n, []);
  return cycle;
}

export interface ClusterReferences {
  findings: Finding[];
  mustCreate: MustCreate[];
}

/** References within what each cluster of the topology applies. */
/**
 * `generated`: the repository is this generator's, whose bootstrap installs no CRDs, so an object before
 * the release that installs its CRDs cannot apply (an error). Elsewhere CRDs are often installed before
 * the engine runs (a bootstrap outside the repository): a warning.
 */
export function checkReferences(topology: Topology, catalog: Catalog, generated = true, releases: ReadonlyMap<ClusterView, Release[]> = new Map()): ClusterReferences {
  const crdOrder = generated ? error : warning;
  const outside = generated ? '' : ' (unless its CRDs are installed before, outside this repository)';
  const findings: Finding[] = [];
  const mustCreate = new Map<string, MustCreate>();
  // chart name (and OCI chart, by its path after the registry) → CRD groups. An OCI chart is the same
  // chart through a registry mirror (oci://harbor.example.nl/dockerhub/envoyproxy/gateway-helm).
  const byName = new Map<string, string[]>();
  const ociCharts: { path: string; crds: string[] }[] = [];
  for (const c of catalog.components.values()) {
    for (const r of c.controller?.releases ?? []) {
      byName.set(r.chart, r.crds);
      if (r.source.type === 'oci') ociCharts.push({ path: r.source.url.replace(/^oci:\/\/[^/]+/, ''), crds: r.crds });
    }
  }
  // An OCI chart the catalog installs from a Helm repository is the same chart under its name (external-secrets
  // publishes to both charts.external-secrets.io and oci://ghcr.io/external-secrets/charts), as the values check takes it.
  const crdProviders = {
    get: (key: string): string[] | undefined => (key.startsWith('oci://') ? (ociCharts.find((o) => key.endsWith(o.path))?.crds ?? byName.get(key.replace(/\/+$/, '').split('/').pop()!)) : byName.get(key)),
  };

  const createsOwnNamespace = (unit: Unit, ns: string) => {
    const spec = unit.object.spec as { destination?: { namespace?: string }; syncPolicy?: { syncOptions?: unknown } } | undefined;
    return spec?.destination?.namespace === ns && listOf<string>(spec.syncPolicy?.syncOptions).includes('CreateNamespace=true');
  };
  // Namespaces the Argo CD directories applied by hand create, together: they are most likely applied to one Argo CD.
  const byHandNamespaces = new Set<string>();
  for (const view of topology.clusters.filter((c) => c.byHand)) {
    for (const unit of view.units.values()) {
      const ns = (unit.object.spec as { destination?: { namespace?: string } } | undefined)?.destination?.namespace;
      if (ns && createsOwnNamespace(unit, ns)) byHandNamespaces.add(ns);
    }
    for (const p of view.placed) if (p.object.kind === 'Namespace' && p.object.metadata?.name) byHandNamespaces.add(p.object.metadata.name);
  }
  // A repository for OpenShift (it applies *.openshift.io kinds): its clusters come with the platform's
  // openshift-* namespaces (openshift-config, openshift-ingress, …), which nothing in git creates.
  const openshift = topology.clusters.some((c) => c.placed.some((p) => /^[a-z.]*openshift\.io\//.test(p.object.apiVersion ?? '')));
  // Once for every Argo CD cluster: the clusters the repository registers, and the projects a spoke's
  // Applications may name (they live on the Argo CD that deploys to it: an ApplicationSet's, or beside plain Applications).
  let hubs: { clusters: RegisteredCluster[]; repositories: { url: string; project?: string }[]; projects: K8sObject[]; byHand: boolean } | undefined;
  const argoHubs = () =>
    (hubs ??= {
      clusters: registeredClusters(topology),
      repositories: topology.clusters.filter((c) => c.engine === 'argocd' && !c.spoke).flatMap((c) => c.placed.map((p) => argoRepositorySecret(p.object))).filter((r) => r !== undefined),
      projects: [...topology.projects, ...topology.clusters.filter((c) => c.engine === 'argocd' && !c.spoke).flatMap((c) => c.placed.filter((p) => p.object.kind === 'AppProject').map((p) => p.object))],
      byHand: topology.clusters.some((c) => c.engine === 'argocd' && !c.spoke && c.byHand === true),
    });
  for (const view of topology.clusters) {
    const cluster = view.name;
    const units = view.units;
    // An object whose name, namespace or kind SOPS encrypted is known only once decrypted: no reference is
    // checked for it, only that what applies it decrypts (its schema check says it was not checked).
    // Without decrypting, what it is cannot even be sent to the API server: it must be decrypted where it is applied.
    const hidden = view.placed.filter((p) => sopsEncryptedIdentity(p.object).length > 0);
    for (const p of hidden) checkDecryption(p, view.engine === 'argocd', findings);
    const placed: Placed[] = view.placed.filter((p) => !hidden.includes(p));
    // There before anything syncs: the system's, and those a bootstrap step creates (helmfile, kubectl create namespace).
    const createdNamespaces = new Map<string, Unit | null>([...SYSTEM_NAMESPACES, ...topology.handNamespaces.keys()].map((n) => [n, null]));
    if (openshift) for (const p of placed) if (/^openshift(-|$)/.test(p.object.metadata?.namespace ?? '')) createdNamespaces.set(p.object.metadata!.namespace!, null);
    const providers = new Map<string, Unit>(); // CRD group → unit installing it
    const argo = view.engine === 'argocd';
    const bootstrap = view.bootstrap;
    // The unit that applies each unit's object: a unit comes after the one that applies it.
    const parent = new Map<Unit, Unit>();
    for (const u of units.values()) {
      const by = placed.find((p) => p.object === u.object)?.unit ?? u.parent;
      if (by && by !== u) parent.set(u, by);
    }
    const ancestors = (u: Unit) => {
      const out = new Set<Unit>();
      for (let p = parent.get(u); p && !out.has(p); p = parent.get(p)) out.add(p);
      return out;
    };
    const handRoot = (u: Unit) => [u, ...ancestors(u)].find((x) => x.handRoot !== undefined)?.handRoot;

    if (argo) {
      // Argo CD's own namespace is there before anything syncs (the bootstrap's install): `argocd`, or where
      // its Applications live (openshift-gitops, say).
      createdNamespaces.set('argocd', null);
      for (const unit of units.values()) {
        const ns = unit.object.metadata?.namespace;
        if (typeof ns === 'string' && ns && !unit.unordered) createdNamespaces.set(ns, null);
      }
      // And where the ApplicationSets and AppProjects applied by hand live.
      if (view.byHand) {
        for (const p of placed) {
          const ns = p.object.metadata?.namespace;
          if (p.unit === bootstrap && (p.object.apiVersion ?? '').startsWith('argoproj.io/') && typeof ns === 'string' && ns) createdNamespaces.set(ns, null);
        }
      }
      for (const unit of units.values()) {
        const spec = unit.object.spec as { destination?: { namespace?: string }; syncPolicy?: { syncOptions?: string[] } };
        for (const s of argoSources(unit.object)) {
          if (s.chart) for (const g of crdProviders.get(s.chart) ?? []) providers.set(g, unit);
          else if (s.repoURL?.startsWith('oci://')) for (const g of crdProviders.get(s.repoURL) ?? []) providers.set(g, unit);
          else if (s.path) for (const g of crdProviders.get(s.path) ?? []) providers.set(g, unit);
        }
        const dest = spec.destination?.namespace;
        if (dest && spec.syncPolicy?.syncOptions?.includes('CreateNamespace=true') && !createdNamespaces.has(dest)) createdNamespaces.set(dest, unit);
      }
      // Argo CD itself (and so its CRDs and namespace) comes from the bootstrap, before any wave.
      providers.set('argoproj.io', bootstrap);
      // A spoke's Applications live on the hub: Argo CD looks their project up in its own namespace whatever the
      // destination (argo-cd util/argo/argo.go GetAppProjectByName), so a hub applied by hand may hold hand-applied projects.
      const byHand = view.spoke ? argoHubs().byHand : view.byHand;
      checkArgo(cluster, units, placed, view.spoke ? argoHubs().projects : topology.projects, findings, view.spoke === true, byHand ? topology.handProjects : [], view.partial === true, argoHubs().clusters, argoHubs().repositories);
    } else {
      createdNamespaces.set('flux-system', null);
      // Flux runs in its sync's namespace, there before it syncs: a FluxInstance's is the Flux Operator's own
      // (controlplaneio-fluxcd docs, flux-config: the instance lives where the operator is deployed).
      const fluxNamespace = bootstrap.object.metadata?.namespace;
      if (typeof fluxNamespace === 'string' && fluxNamespace) createdNamespaces.set(fluxNamespace, null);
      // Bootstrap creates the GitRepository flux-system unless the repository already holds the root source
      // (flux bootstrap commits it; a sandbox holds an OCIRepository).
      // (the kind and name its sync names: a Flux Operator instance syncs an OCIRepository, say).
      const syncRef = (get(bootstrap.object, 'spec.sourceRef') ?? {}) as { kind?: string; name?: string };
      const root = { kind: syncRef.kind ?? 'GitRepository', name: syncRef.name ?? 'flux-system', namespace: bootstrap.object.metadata?.namespace ?? 'flux-system' };
      const rootSource = (p: Placed) => p.object.kind === root.kind && p.object.metadata?.name === root.name && p.object.metadata.namespace === root.namespace;
      if (!placed.some(rootSource)) {
        placed.push({ object: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: root.kind, metadata: { name: root.name, namespace: root.namespace } }, file: '(flux bootstrap)', unit: bootstrap });
      }
      for (const g of [...FLUX_GROUPS, 'fluxcd.controlplane.io']) providers.set(g, bootstrap);
      for (const p of placed) {
        // Upstream manifests applied by a Kustomization inside a component (e.g. the Gateway API CRDs).
        if (p.object.kind === 'Kustomization' && group(p.object) === 'kustomize.toolkit.fluxcd.io' && get(p.object, 'spec.sourceRef.kind') === 'GitRepository') {
          const path = String(get(p.object, 'spec.path') ?? '').replace(/^\.\//, '');
          for (const g of crdProviders.get(path) ?? []) providers.set(g, p.unit);
        }
      }
      // A release installs its chart's CRDs where it installs: here, unless its kubeConfig reaches another cluster.
      for (const p of [...placed.filter((q) => !installsElsewhere(q.object)), ...(view.releases ?? [])]) {
        if (p.object.kind !== 'HelmRelease') continue;
        const chart = get(p.object, 'spec.chart.spec.chart') as string | undefined;
        for (const g of crdProviders.get(chart ?? '') ?? []) providers.set(g, p.unit);
        const chartRef = get(p.object, 'spec.chartRef') as { kind?: string; name?: string } | undefined;
        if (chartRef?.kind === 'OCIRepository') {
          // The chart's source is beside the release, on the release's cluster.
          const isSource = (q: Placed) => q.unit === p.unit && q.object.kind === 'OCIRepository' && q.object.metadata?.name === chartRef.name;
          const oci = placed.find(isSource) ?? (view.releases?.includes(p) ? topology.clusters.flatMap((c) => c.placed).find(isSource) : undefined);
          for (const g of crdProviders.get(String(get(oci?.object ?? {}, 'spec.url') ?? '')) ?? []) providers.set(g, p.unit);
        }
      }
      // A remote cluster's units are its Flux's: their order is checked there.
      const cycle = view.remote ? undefined : findCycle(units);
      if (cycle) findings.push(error('reference', units.get(cycle[0])!.file, `dependsOn cycle: ${cycle.map((k) => units.get(k)?.name ?? k).join(' → ')}`, { object: `Kustomization ${cycle[0]}` }));
      checkFlux(placed, findings, topology.nameReferenceDirs);
    }

    // What the cluster applies, as a whole: flows its NetworkPolicies must admit, schedules CloudNativePG's webhook accepts.
    const applied = placed.map((p) => ({ object: p.object, file: p.file }));
    append(findings, checkNetworkFlows(applied));
    append(findings, checkScheduledBackups(applied));
    for (const p of placed) if (p.object.kind === 'Namespace' && p.object.metadata?.name && !createdNamespaces.has(p.object.metadata.name)) createdNamespaces.set(p.object.metadata.name, p.unit);
    // Namespaces an operator makes for an object (a Kargo Project its own, kargoProject): Giant Swarm's organization-operator makes org-<name> for every
    // Organization (giantswarm/apiextensions pkg/apis/security/v1alpha1/organization_types.go at v3.40.0: "schema for managed
    // Kubernetes namespace", status.namespace; giantswarm/docs general/organizations, "Organization namespace": org-<name>).
    for (const p of placed) {
      const made = p.object.kind === 'Organization' && group(p.object) === 'security.giantswarm.io' && p.object.metadata?.name ? `org-${p.object.metadata.name}` : kargoProject(p.object);
      if (made && !createdNamespaces.has(made)) createdNamespaces.set(made, p.unit);
    }
    for (const p of placed) if (p.object.kind === 'CustomResourceDefinition') providers.set(String(get(p.object, 'spec.group')), p.unit);
    // helm-controller has Helm create a release's targetNamespace when install.createNamespace is set
    // (fluxcd/helm-controller internal/action/install.go): there once the release installs.
    const helmNamespaces = new Map<string, Placed>();
    // Namespaces Helm also creates where an object already does: whichever comes first makes it (workrave-infra).
    const alsoCreatedBy = new Map<string, Unit[]>();
    for (const p of placed) {
      const target = p.object.kind === 'HelmRelease' ? get(p.object, 'spec.targetNamespace') : undefined;
      // Not its own namespace: the release cannot be applied before that exists, so Helm never runs to make it.
      if (typeof target !== 'string' || !target || target === p.object.metadata?.namespace || get(p.object, 'spec.install.createNamespace') !== true) continue;
      if (createdNamespaces.has(target)) {
        // Not a suspended release, or one in a suspended Kustomization: Helm does not run for it.
        if (get(p.object, 'spec.suspend') !== true && get(p.unit.object, 'spec.suspend') !== true) alsoCreatedBy.set(target, [...(alsoCreatedBy.get(target) ?? []), p.unit]);
        continue;
      }
      createdNamespaces.set(target, p.unit);
      helmNamespaces.set(target, p);
    }

    // Applications of an ApplicationSet sync in no order: each retries until what it needs is there.
    const before = (a: Unit, b: Unit) =>
      a === bootstrap || ancestors(b).has(a) || (argo ? a.wave < b.wave || (a.unordered === true && b.unordered === true) : reachable(units, b.key ?? b.name).has(a.key ?? a.name));
    // helm-controller installs into spec.targetNamespace: it must exist first, unless Helm creates it.
    const checkTargetNamespace = (p: Placed) => {
      const target = p.object.kind === 'HelmRelease' ? get(p.object, 'spec.targetNamespace') : undefined;
      if (typeof target !== 'string' || !target || get(p.object, 'spec.install.createNamespace') === true) return;
      const where = { object: objectKey(p.object), path: '/spec/targetNamespace' };
      const creator = createdNamespaces.get(target);
      if (!createdNamespaces.has(target)) {
        findings.push(error('reference', p.file, `targetNamespace ${target} is never created on cluster ${cluster}, and install.createNamespace is not set: helm-controller fails the install`, where));
      } else if (creator && creator !== p.unit && !before(creator, p.unit)) {
        findings.push(error('reference', p.file, `targetNamespace ${target} is created by ${creator.name}, which is not ordered before ${p.unit.name} on cluster ${cluster}`, where));
      }
    };
    for (const r of view.releases ?? []) checkTargetNamespace(r);
    // A cause many objects share, said once on this cluster with how many share it (`tail`, where more than
    // one): a CRD group nothing installs (a home lab has hundreds of objects waiting on one), a namespace
    // problem of one unit (neco-apps: 1 523 errors, one Application creating every namespace, said for each
    // object in each).
    const grouped = new Map<string, { finding: Finding; count: number; tail: (count: number) => string }>();
    const once = (key: string, make: () => Finding, tail: (count: number) => string) => {
      const said = grouped.get(key);
      if (said) said.count++;
      else {
        const finding = make();
        grouped.set(key, { finding, count: 1, tail });
        findings.push(finding);
      }
    };
    const inNamespace = (ns: string, unit: Unit) => (count: number) => ` (${count} objects ${unit.name} applies in ${ns} on this cluster: this is the first)`;
    const unitNamespaces = new Map<Unit, Set<string>>();
    for (const p of placed) {
      if (p.object.kind !== 'Namespace' || typeof p.object.metadata?.name !== 'string') continue;
      unitNamespaces.set(p.unit, (unitNamespaces.get(p.unit) ?? new Set()).add(p.object.metadata.name));
    }
    const namespacesOf = (u: Unit) => unitNamespaces.get(u) ?? new Set<string>();
    // The Secrets operators make from what the cluster applies, worked out once (when a reference first asks).
    let made: ReturnType<typeof generatedSecrets> | undefined;
    /** A Secret (or store) an object reads: provided by what the cluster applies, with the keys read, or to be created. */
    const need = (ref: SecretRef, file: string, id: string, where: { object: string }) => {
      const providing = ref.kind === 'Secret' ? ['Secret', 'SealedSecret', 'ExternalSecret'] : [ref.kind];
      const provider = placed.find((q) => providing.includes(q.object.kind ?? '') && providedName(q.object) === ref.name && (nsOf(q.object) ?? '') === ref.namespace);
      const generated = ref.kind === 'Secret' ? (made ??= placed.flatMap((q) => generatedSecrets(q.object))).find((g) => g.name === ref.name && g.namespace === ref.namespace) : undefined;
      if (provider || generated) {
        // The keys it reads must be keys the Secret has.
        const have = provider ? providedKeys(provider.object) : generated!.keys;
        const missing = have ? ref.keys.filter((k) => !have.includes(k)) : [];
        if (missing.length > 0) {
          const by = provider ? `${provider.object.kind} ${ref.namespace}/${ref.name} (${provider.file})` : `Secret ${ref.namespace}/${ref.name}, which ${generatedBy(placed, ref)} creates,`;
          findings.push(error('reference', file, `reads key ${missing.join(', ')} of ${by} which has ${have!.join(', ') || 'no keys'}`, where));
        }
        return;
      }
      const key = `${cluster}/${ref.kind}/${ref.namespace}/${ref.name}`;
      const entry = mustCreate.get(key) ?? { cluster, kind: ref.kind, namespace: ref.namespace, name: ref.name, keys: [], referencedBy: [], ...(ref.ifMissing ? { ifMissing: ref.ifMissing } : {}) };
      for (const k of ref.keys) if (!entry.keys.includes(k)) entry.keys.push(k);
      if (!entry.referencedBy.includes(id)) entry.referencedBy.push(id);
      mustCreate.set(key, entry);
    };
    const seen = new Map<string, Placed>();
    for (const p of placed) {
      const id = objectKey(p.object);
      const where = { object: id };
      const dup = seen.get(`${p.object.apiVersion} ${id}`);
      // Applied by hand first (the bootstrap installing Argo CD) and then by an Application that manages the
      // same directory: Argo CD adopts it, the usual self-management, not two owners.
      const adopted = view.byHand && (dup?.unit === bootstrap || p.unit === bootstrap);
      // Argo CD resource hooks (a Sync Job, say) are made at each sync and tracked by no Application
      // (argo-cd controller/state.go: a hook stores no sync status): two Applications may both run one.
      const hooks = argo && dup !== undefined && isArgoHook(dup.object) && isArgoHook(p.object);
      if (dup && dup.unit !== p.unit && !adopted && !hooks) {
        // ApplicationSets in two directories applied by hand (a repository of alternatives, say): only a conflict
        // if both directories are applied to one Argo CD, which nothing in the repository says.
        const [a, b] = [handRoot(dup.unit), handRoot(p.unit)];
        // A Flux root whose sync is not in the repository, applied by hand (`kubectl apply -k clusters/prod`) or
        // by flux bootstrap's Kustomization: by hand, the Kustomization that applies the object again adopts it.
        const phantomRoot = !argo && bootstrap.object.kind === undefined && (dup.unit === bootstrap) !== (p.unit === bootstrap);
        const renamedBy = [dup.unit, p.unit].map((u) => ({ u, parts: mayRename(u) })).find((x) => x.parts);
        if (renamedBy) {
          // Built without what the offline builder does not implement (replacements, a name prefix): the names it
          // sees may be those the missing parts change, as a shared component's placeholder names are.
          findings.push(warning('reference', p.file, `${id} is also applied by ${dup.unit.name} (${dup.file}), as built offline: ${renamedBy.u.name} was built without ${renamedBy.parts}, which the offline builder does not implement and which may rename it`, where));
        } else if (phantomRoot) {
          findings.push(warning('reference', p.file, `${id} is also applied by ${dup.unit === bootstrap ? p.unit.name : dup.unit.name}, and by the root of cluster ${cluster} (${view.root || '.'}), whose sync is not in this repository: if the root is applied by hand (kubectl apply -k), that Kustomization adopts it; if a Flux Kustomization syncs the root, two own it`, where));
        } else if (a !== undefined && b !== undefined && a !== b) {
          findings.push(warning('reference', p.file, `${id} is also applied by ${dup.unit.name} (${dup.file}); their ApplicationSets are applied by hand from ${a || '.'} and ${b || '.'}: if both are applied to one Argo CD, two Applications own it`, where));
        } else {
          findings.push(error('reference', p.file, `${id} is also applied by ${dup.unit.name} (${dup.file})${dup.unit !== p.unit ? `, not only by ${p.unit.name}` : ''}`, where));
        }
      }
      seen.set(`${p.object.apiVersion} ${id}`, p);

      const ns = p.object.metadata?.namespace;
      if (ns && !clusterScoped(p.object, topology.crdScopes)) {
        if (!createdNamespaces.has(ns)) {
          if (view.byHand && byHandNamespaces.has(ns)) {
            // created by another directory applied by hand
          } else if (view.partial) {
            findings.push(warning('reference', p.file, `namespace ${ns} is not created by what cluster ${cluster} applies as built offline; a part not built offline (helmCharts, generators: see the notes) may create it`, where));
          } else once(`never ${ns} ${p.unit.key ?? p.unit.name}`, () => error('reference', p.file, `namespace ${ns} is never created on cluster ${cluster}`, where), inNamespace(ns, p.unit));
        } else if (helmNamespaces.get(ns)?.unit === p.unit && helmNamespaces.get(ns)?.object !== p.object && !namespacesOf(p.unit).has(ns)) {
          // kustomize-controller dry-runs every object before it applies any (fluxcd/pkg ssa ApplyAll): one in a
          // namespace Helm has yet to create fails the apply, and with it the release that would create it.
          const release = helmNamespaces.get(ns)!;
          findings.push(error('reference', p.file, `namespace ${ns} is created by Helm when ${objectKey(release.object)} installs (install.createNamespace), and ${p.unit.name} applies both: its apply fails on this object before the release exists, so neither ever applies (put the release in a Kustomization this one dependsOn, or apply a Namespace)`, where));
        } else {
          // Waits for the one that uses the namespace (dependsOn) or is applied by it: that one never makes it.
          const deadlocked = (c: Unit) => !argo && (reachable(units, c.key ?? c.name).has(p.unit.key ?? p.unit.name) || ancestors(c).has(p.unit));
          const first = createdNamespaces.get(ns);
          // (null: there before anything applies.) Of several that make it, one ordered before is enough, and one
          // that is not held up decides the rest.
          // (Helm in the unit itself makes it too late: kustomize-controller dry-runs every object of a stage before
          // it applies any, fluxcd/pkg ssa ApplyAllStaged, so the release never runs.)
          const creators = first ? [first, ...(alsoCreatedBy.get(ns) ?? []).filter((c) => c !== p.unit)] : [];
          const creator = creators.some((c) => c === p.unit || before(c, p.unit)) ? p.unit : (creators.find((c) => !deadlocked(c)) ?? first);
          // An Application with CreateNamespace=true creates its own destination namespace when it syncs; a unit
          // that applies the Namespace itself applies it first (Argo CD's kind order, kustomize-controller's stages).
          if (creator && creator !== p.unit && !before(creator, p.unit) && !(argo && createsOwnNamespace(p.unit, ns)) && !namespacesOf(p.unit).has(ns)) {
            // Between Argo CD Applications of a repository not made here, where the one that uses the namespace
            // syncs by hand or retries (syncPolicy.retry): a first-sync race, not a failure, so a warning. An
            // automated sync without retry is not tried again for the same revision (argo-cd appcontroller.go
            // autoSync), and what is applied by hand (kubectl apply) is never retried: errors.
            const automated = get(p.unit.object, 'spec.syncPolicy.automated') !== undefined;
            // retry.limit: 0 (the default) retries nothing; a negative limit, without end (argo-cd types.go RetryStrategy).
            const limit = Number(get(p.unit.object, 'spec.syncPolicy.retry.limit') ?? 0);
            const retried = get(p.unit.object, 'spec.syncPolicy.retry') !== undefined && limit !== 0 && !Number.isNaN(limit);
            // Flux retries a failed Kustomization at its retryInterval (its interval by default): between Flux
            // Kustomizations of a repository not made here, a first-reconcile race is a warning, unless the
            // creator waits for the one that fails (dependsOn) or is applied by it: then neither ever applies.
            const deadlock = deadlocked(creator);
            // Said once per namespace, creator and unit: every object of that unit in the namespace has the same cause.
            const key = `order ${ns} ${creator.key ?? creator.name} ${p.unit.key ?? p.unit.name}`;
            if (argo && !generated && p.unit !== bootstrap && (!automated || retried)) once(key, () => warning('reference', p.file, `namespace ${ns} is created by ${creator.name}, which is not ordered before ${p.unit.name} on cluster ${cluster}: ${automated ? 'its sync fails and is retried' : 'syncing it by hand fails'} until ${creator.name} has synced`, where), inNamespace(ns, p.unit));
            else if (!argo && !generated && !deadlock && !view.byHand) once(key, () => warning('reference', p.file, `namespace ${ns} is created by ${creator.name}, which is not ordered before ${p.unit.name} on cluster ${cluster}: ${p.unit.name} fails and is retried at its retryInterval until ${creator.name} has applied (dependsOn: ${creator.name} orders them)`, where), inNamespace(ns, p.unit));
            else once(key, () => error('reference', p.file, `namespace ${ns} is created by ${creator.name}, which is not ordered before ${p.unit.name} on cluster ${cluster}${deadlock ? `, and ${creator.name} ${ancestors(creator).has(p.unit) ? 'is applied by it' : 'waits for it (dependsOn)'}: neither ever applies` : ''}`, where), inNamespace(ns, p.unit));
          }
        }
      }
      const g = group(p.object);
      if (!BUILTIN_GROUPS.has(g)) {
        const provider = providers.get(g);
        if (!provider) {
          once(`crds ${g}`, () => warning('reference', p.file, `no release in this repository installs the CRDs of ${g} on cluster ${cluster}; they must exist before ${p.unit.name} applies`, where), (count) => ` (${count} objects of it on this cluster: this is the first)`);
        }
        // The kinds of Flux's default controllers on a cluster Flux reconciles: they run, so their CRDs are there
        // before any Kustomization applies (a Kustomization that installs Flux upgrades them: SovereignCloudStack's
        // flux-installation, which every Flux object would otherwise be said to wait for). Not the image
        // automation controllers', which flux install and flux bootstrap leave out unless asked.
        else if (provider !== p.unit && !before(provider, p.unit) && !(!argo && FLUX_DEFAULT_GROUPS.has(g))) {
          findings.push(crdOrder('reference', p.file, `${g} CRDs are installed by ${provider.name}, which is not ordered before ${p.unit.name} on cluster ${cluster} (${argo ? 'sync wave' : 'dependsOn'})${outside}`, where));
        } else if (provider === p.unit && provider !== bootstrap && p.object.kind !== 'HelmRelease' && !argo) {
          findings.push(crdOrder('reference', p.file, `${g} CRDs are installed by a release in the same Kustomization ${p.unit.name}: move the objects into a Kustomization that dependsOn it${outside}`, where));
        }
      }
      // kustomize-controller decrypts any kind with sops.mac (internal/decryptor/decryptor.go: isSOPSEncryptedResource);
      // a Secret or ConfigMap applied as ciphertext is what nothing else decrypts. Another kind may be an operator's,
      // which decrypts it in the cluster (sops-operator's SopsSecret declares a top-level sops field): not required.
      if ((p.object.kind === 'Secret' || p.object.kind === 'ConfigMap') && 'sops' in p.object) checkDecryption(p, argo, findings);
      if (!installsElsewhere(p.object)) checkTargetNamespace(p);
      for (const ref of secretRefs(p.object)) need(ref, p.file, id, where);
    }
    for (const r of releases.get(view) ?? []) {
      if (!installsElsewhere(r.object)) for (const ref of releaseSecretRefs(r)) need(ref, r.file, objectKey(r.object), { object: objectKey(r.object) });
    }
    for (const { finding, count, tail } of grouped.values()) if (count > 1) finding.message += tail(count);
  }
  return { findings, mustCreate: [...mustCreate.values()].map((m) => ({ ...m, keys: m.keys.sort() })) };
}

/** The kustomize fields of a partial build that may change names (kustomize's prefix/suffix, replacements, patches and transformer plugins). */
const RENAMING = /^(namePrefix|nameSuffix|replacements|patches|patchesJson6902|patchesStrategicMerge|transformers|vars)\b/;
/** The missing parts of a unit's build that may rename what it applies, or undefined. */
function mayRename(u: Unit): string | undefined {
  const found = [...new Set((u.partial ?? []).filter((f) => RENAMING.test(f)))];
  return found.length > 0 ? found.join(', ') : undefined;
}
/**
 * The missing parts of a unit's build that may make an object of a kind (kustomize's generators make ConfigMaps
 * and Secrets; Helm charts and generator plugins anything), or rename one, or undefined.
 */
function mayMake(u: Unit, kind: string): string | undefined {
  const found = [...new Set((u.partial ?? []).filter((f) => RENAMING.test(f) || /^(helmCharts|helmChartInflationGenerator|generators)$/.test(f) || (f === 'configMapGenerator' && kind === 'ConfigMap') || (f === 'secretGenerator' && kind === 'Secret')))];
  return found.length > 0 ? found.join(', ') : undefined;
}

/** What creates a generated Secret (for messages). */
function generatedBy(placed: Placed[], ref: { name: string; namespace: string }): string {
  const q = placed.find((x) => generatedSecrets(x.object).some((g) => g.name === ref.name && g.namespace === ref.namespace));
  return q ? objectKey(q.object) : 'an operator';
}

/** A SOPS-encrypted object reaches the cluster only through a Flux Kustomization that decrypts. */
function checkDecryption(p: Placed, argo: boolean, findings: Finding[]): void {
  const where = { object: objectKey(p.object) };
  if (argo) {
    findings.push(error('reference', p.file, 'is SOPS-encrypted, and Argo CD cannot decrypt SOPS: seal it (Sealed Secrets) or read it from a store (External Secrets)', where));
    return;
  }
  const decryption = get(p.unit.object, 'spec.decryption') as { provider?: string } | undefined;
  if (decryption?.provider === 'sops') return;
  const unit = p.unit.object.kind === undefined || p.unit.wave < 0 ? `the root Kustomization ${p.unit.name}` : `Kustomization ${p.unit.name}`;
  findings.push(error('reference', p.file, `is SOPS-encrypted, but ${unit} applies it without spec.decryption (provider: sops): Flux would apply the ciphertext`, where));
}

/** kustomize's generated name: the given name, a dash and a 10-character hash. */
const hashedFrom = (name: unknown, base: string) => typeof name === 'string' && name.length === base.length + 11 && name.startsWith(`${base}-`) && /^[a-z0-9]{10}$/.test(name.slice(base.length + 1));

function checkFlux(placed: Placed[], findings: Finding[], nameReferenceDirs: Set<string>): void {
  // An ArtifactGenerator makes an ExternalArtifact per artifact, in its own namespace (source-watcher v2.2).
  const artifacts = placed.filter((p) => p.object.kind === 'ArtifactGenerator').flatMap((p) => ((get(p.object, 'spec.artifacts') as { name?: string }[] | undefined) ?? []).map((a) => ({ name: a.name, ns: nsOf(p.object) })));
  const configMaps = placed.flatMap((p) => generatedConfigMaps(p.object));
  const has = (kind: string, name: string, ns: string | undefined) =>
    placed.some((p) => p.object.kind === kind && p.object.metadata?.name === name && nsOf(p.object) === ns) ||
    (kind === 'ExternalArtifact' && artifacts.some((a) => a.name === name && a.ns === ns)) ||
    (kind === 'ConfigMap' && configMaps.some((c) => c.name === name && c.namespace === (ns ?? 'default')));
  const releases = placed.filter((p) => p.object.kind === 'HelmRelease');
  // Part of what the cluster applies was built without what the offline builder does not implement (a
  // configMapGenerator, say): what it would add or rename may be what a reference names.
  const units = [...new Set(placed.map((q) => q.unit))];
  const absent = (file: string, message: string, at: Partial<Finding>, kind: string) => {
    const by = units.map((u) => ({ u, why: mayMake(u, kind) })).find((x) => x.why);
    findings.push(by ? warning('reference', file, `${message} as built offline; ${by.u.name} was built without ${by.why}, which the offline builder does not implement and which may make it`, at) : error('reference', file, message, at));
  };
  for (const p of placed) {
    const o = p.object;
    const where = { object: objectKey(o) };
    const ns = nsOf(o);
    if (o.kind === 'Kustomization' && group(o) === 'kustomize.toolkit.fluxcd.io') {
      const ref = get(o, 'spec.sourceRef') as { kind?: string; name?: string; namespace?: string } | undefined;
      if (ref?.kind && ref.name && !has(ref.kind, ref.name, ref.namespace ?? ns)) absent(p.file, `sourceRef ${ref.kind}/${ref.name} does not exist in namespace ${ref.namespace ?? ns}`, { ...where, path: '/spec/sourceRef' }, ref.kind);
    }
    if (o.kind !== 'HelmRelease') continue;
    const sourceRef = get(o, 'spec.chart.spec.sourceRef') as { kind?: string; name?: string; namespace?: string } | undefined;
    if (sourceRef?.kind && sourceRef.name && !has(sourceRef.kind, sourceRef.name, sourceRef.namespace ?? ns)) {
      absent(p.file, `chart sourceRef ${sourceRef.kind}/${sourceRef.name} does not exist in namespace ${sourceRef.namespace ?? ns}`, { ...where, path: '/spec/chart/spec/sourceRef' }, sourceRef.kind);
    }
    const chartRef = get(o, 'spec.chartRef') as { kind?: string; name?: string; namespace?: string } | undefined;
    if (chartRef?.kind && chartRef.name && !has(chartRef.kind, chartRef.name, chartRef.namespace ?? ns)) {
      absent(p.file, `chartRef ${chartRef.kind}/${chartRef.name} does not exist in namespace ${chartRef.namespace ?? ns}`, { ...where, path: '/spec/chartRef' }, chartRef.kind);
    }
    for (const [i, d] of listOf<{ name: string; namespace?: string }>(get(o, 'spec.dependsOn')).entries()) {
      if (!releases.some((r) => r.object.metadata?.name === d.name && nsOf(r.object) === (d.namespace ?? ns))) {
        absent(p.file, `dependsOn HelmRelease ${d.namespace ?? ns}/${d.name} does not exist`, { ...where, path: `/spec/dependsOn/${i}` }, 'HelmRelease');
      }
    }
    for (const [i, v] of listOf<{ kind: string; name: string; optional?: boolean }>(get(o, 'spec.valuesFrom')).entries()) {
      if (!v || typeof v !== 'object') continue;
      if (v.kind !== 'ConfigMap' || v.optional || has('ConfigMap', v.name, ns)) continue;
      const at = { ...where, path: `/spec/valuesFrom/${i}` };
      // A configMapGenerator's ConfigMap (name-hash) where the Kustomization sets targetNamespace: Flux writes that
      // namespace into the kustomization before building (fluxcd/pkg kustomize_generator.go), so a nameReference
      // configuration of the directory renames the reference, which the offline build (without it) cannot.
      // Only where the HelmRelease's kustomization declares a nameReference configuration: without one, kustomize
      // never renames valuesFrom, and helm-controller fails (an error, as before).
      const configured = [p.file, ...(p.origins ?? [])].some((f) => nameReferenceDirs.has(posix.dirname(f) === '.' ? '' : posix.dirname(f)));
      const generated = configured && typeof v.name === 'string' && get(p.unit.object, 'spec.targetNamespace') === ns && placed.some((q) => q.unit === p.unit && q.object.kind === 'ConfigMap' && nsOf(q.object) === ns && hashedFrom(q.object.metadata?.name, v.name));
      if (generated) findings.push(warning('reference', p.file, `valuesFrom ConfigMap ${ns}/${v.name} is not built offline as named; ${v.name}-<hash> is (a configMapGenerator's): Flux builds with targetNamespace ${ns}, and only a nameReference configuration (kustomize configurations:) for HelmRelease valuesFrom renames the reference`, at));
      else absent(p.file, `valuesFrom ConfigMap ${ns}/${v.name} does not exist`, at, 'ConfigMap');
    }
  }
  // HelmRelease dependsOn cycles.
  const hr = new Map<string, Unit>(releases.map((r) => [`${nsOf(r.object)}/${r.object.metadata?.name}`, { name: `${nsOf(r.object)}/${r.object.metadata?.name}`, file: r.file, object: r.object, wave: 0, dependsOn: listOf<{ name: string; namespace?: string }>(get(r.object, 'spec.dependsOn')).map((d) => `${d?.namespace ?? nsOf(r.object)}/${d?.name}`) }]));
  const cycle = findCycle(hr);
  if (cycle) findings.push(error('reference', hr.get(cycle[0])!.file, `HelmRelease dependsOn cycle: ${cycle.join(' → ')}`));
}

function checkArgo(cluster: string, units: Map<string, Unit>, placed: Placed[], hubProjects: K8sObject[], findings: Finding[], spoke: boolean, handProjects: Topology['handProjects'], partial: boolean, clusters: RegisteredCluster[], hubRepositories: { url: string; project?: string }[]): void {
  // Applied by hand: an AppProject another directory applied by hand holds, or one nothing applies, may be applied too.
  const own = new Map([...handProjects.map((p) => p.object), ...placed.filter((p) => p.object.kind === 'AppProject').map((p) => p.object)].map((o) => [o.metadata?.name, o]));
  const hub = new Map([...handProjects.map((p) => p.object), ...hubProjects].map((p) => [p.metadata?.name, p]));
  const repositories = [...placed.map((p) => argoRepositorySecret(p.object)), ...(spoke ? hubRepositories : [])].filter((r) => r !== undefined);
  const scopedTo = (project: string) => ({
    repositories: repositories.filter((r) => r.project === project).map((r) => r.url),
    destinations: clusters.filter((c) => c.project === project && c.server !== undefined).flatMap((c) => (c.namespaces ?? ['*']).map((namespace): { server?: string; name?: string; namespace?: string } => ({ server: c.server, namespace }))),
  });
  for (const unit of units.values()) {
    const spec = unit.object.spec as { project?: string; destination?: { server?: string; name?: string; namespace?: string }; sources?: unknown };
    const where = { object: objectKey(unit.object) };
    const project = spec.project ?? 'default';
    if (project === 'default') continue;
    const p = (spoke ? hub : own).get(project);
    if (!p) {
      const at = { ...where, path: '/spec/project' };
      if (partial) findings.push(warning('reference', unit.file, `project ${project} is not an AppProject of cluster ${cluster} as built offline; a part not built offline (helmCharts, generators: see the notes) may create it`, at));
      else findings.push(error('reference', unit.file, `project ${project} is not an AppProject of ${spoke ? 'the hub' : `cluster ${cluster}`}`, at));
      continue;
    }
    const template = handProjects.find((h) => h.object === p && h.templated);
    if (template) {
      findings.push(warning('reference', unit.file, `project ${project} is in a Helm template (${template.file}): its sources and destinations are what Helm renders, not checked offline`, { ...where, path: '/spec/project' }));
      continue;
    }
    // Repositories and clusters scoped to the project by their Secrets' `project` are its sources and
    // destinations too (argo-cd util/argo/argo.go GetAppProjectByName, at 37ee0097).
    const scoped = scopedTo(project);
    const base = p.spec as { sourceRepos?: string[]; destinations?: { server?: string; name?: string; namespace?: string }[] };
    const pspec = { ...base, sourceRepos: [...listOf<string>(base.sourceRepos), ...scoped.repositories], destinations: [...listOf<{ server?: string; name?: string; namespace?: string }>(base.destinations), ...scoped.destinations] };
    for (const [i, s] of argoSources(unit.object).entries()) {
      if (s.repoURL && !sourcePermitted(pspec.sourceRepos ?? [], s.repoURL)) {
        const at = { ...where, path: spec.sources ? `/spec/sources/${i}/repoURL` : '/spec/source/repoURL' };
        // An entry that is no text (`- {{ .Values.repo }}` left unrendered) may be this URL once rendered.
        if (listOf<unknown>(pspec.sourceRepos).some((r) => typeof r !== 'string')) findings.push(warning('reference', unit.file, `source ${s.repoURL} is not among the sourceRepos of project ${project} that are text; one of them is not (a template left unrendered?), so whether it permits this source is not known`, at));
        else findings.push(error('reference', unit.file, `source ${s.repoURL} is not in the sourceRepos of project ${project}`, at));
      }
    }
    const d = spec.destination ?? {};
    // Argo CD matches the registered cluster's name and server: the one the Application does not give comes from its registration.
    const dst = { ...(clusters.find((c) => (d.name !== undefined && c.name === d.name) || (d.server !== undefined && c.server === d.server)) ?? {}), ...definedOnly(d) };
    if (destinationMatched(pspec.destinations ?? [], dst)) continue;
    const at = { ...where, path: '/spec/destination' };
    const ns = d.namespace === undefined ? '(no namespace)' : `namespace ${d.namespace}`;
    if (dst.name === undefined || dst.server === undefined) {
      const by = (pspec.destinations ?? []).some((x) => (dst.name === undefined ? x.name : x.server) !== undefined);
      if (by) {
        findings.push(warning('reference', unit.file, `destination ${d.server ?? d.name} ${ns}: project ${project} allows clusters by ${dst.name === undefined ? 'name' : 'server'}, and no cluster Secret here says this cluster's; not decided offline`, at));
        continue;
      }
    }
    findings.push(error('reference', unit.file, `destination ${d.server ?? d.name} ${ns} is not allowed by project ${project}`, at));
  }
}

const definedOnly = (d: { server?: string; name?: string; namespace?: string }) => Object.fromEntries(Object.entries(d).filter(([, v]) => typeof v === 'string' && v !== '')) as typeof d;

/**
 * The clusters Argo CD knows, as the repository registers them: the one it runs on, and cluster Secrets
 * (label argocd.argoproj.io/secret-type: cluster) with their name and server.
 */
type RegisteredCluster = NonNullable<ReturnType<typeof argoClusterSecret>>;
function registeredClusters(topology: Topology): RegisteredCluster[] {
  const out: RegisteredCluster[] = [{ name: 'in-cluster', server: IN_CLUSTER_SERVER }];
  for (const view of topology.clusters) {
    for (const { object } of view.placed) {
      const registered = argoClusterSecret(object);
      if (registered) out.push(registered);
    }
  }
  return out;
}

/** argo-cd util/git NormalizeGitURL: lower case, scp-like as ssh://, no `.git`, no `ssh://` prefix. */
function normalGitUrl(repo: string): string {
  let r = repo.trim().toLowerCase();
  if (/^[a-z0-9._-]+@[^:/]+:/.test(r) && !r.startsWith('ssh://')) r = `ssh://${r.replace(':', '/')}`;
  r = r.replace(/\.git$/, '');
  try {
    return new URL(r).toString().replace(/^ssh:\/\//, '');
  } catch {
    return r.replace(/^ssh:\/\//, '');
  }
}

/** AppProject IsSourcePermitted: normalised URLs, globs with `/` as separator, `!` denying. */
function sourcePermitted(sourceRepos: string[], repoURL: string): boolean {
  const src = normalGitUrl(repoURL);
  let any = false;
  for (const r of sourceRepos) {
    if (typeof r !== 'string') continue;
    const deny = r.startsWith('!');
    const pattern = deny ? normalGitUrl(r.slice(1)) : normalGitUrl(r);
    const hit = pattern === '*' || argoGlob(pattern, '/')(src);
    if (deny ? !hit : hit) any = true;
    else if (deny) return false;
  }
  return any;
}

/** AppProject isDestinationMatched: the cluster's name or server, and the namespace, globbed; `!` denying. */
function destinationMatched(destinations: { server?: string; name?: string; namespace?: string }[], dst: { server?: string; name?: string; namespace?: string }): boolean {
  const glob = (pattern: string | undefined, value: string | undefined) => {
    const p = pattern ?? '';
    const v = value ?? '';
    const deny = p.startsWith('!');
    const body = deny ? p.slice(1) : p;
    const hit = body === '*' || argoGlob(body)(v);
    return deny ? !hit : hit;
  };
  const denies = (p: string | undefined) => (p ?? '').startsWith('!');
  let any = false;
  for (const item of destinations) {
    const name = dst.name !== undefined && dst.name !== '' && glob(item.name, dst.name);
    const server = dst.server !== undefined && dst.server !== '' && glob(item.server, dst.server);
    const namespace = glob(item.namespace, dst.namespace);
    if ((server || name) && namespace) any = true;
    // As Go reads `a || b && c`: a || (b && c).
    else if ((!name && denies(item.name)) || (!server && denies(item.server) && namespace)) return false;
    else if (!namespace && denies(item.namespace) && server) return false;
  }
  return any;
}
