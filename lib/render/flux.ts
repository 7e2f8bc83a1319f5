/**
 * Flux delivery, in the layout of the Haven+ reference (gitops-flux):
 *   clusters/<c>/infrastructure/<component>.yaml    Flux Kustomizations with dependsOn
 *   infrastructure/<component>/controller/{base,overlays/<c>}   sources + HelmReleases
 *   infrastructure/<component>/controller/environments/<env>/  each environment's versions (a Component)
 *   infrastructure/<component>/config/{base,overlays/<c>}       plain manifests (shared with Argo CD)
 * clusters/<c>/flux-system/ is left to `flux bootstrap` (or the Flux Operator); its README says how.
 */
import type { ComponentDef, Release } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import { clusterStages, releaseVersion, type Plan, type PlannedCluster, type StageNode } from '../plan.js';
import { clusterValues, clustersIn, componentPath, renderConfig, renderOverlays, renderSecrets } from './components.js';
import { CLUSTER_VARS, ProfileOverlays } from './fleet.js';
import { documents, kustomization, kustomizeComponent, namespaceObject } from './manifests.js';
import { buildKustomization } from '../validate/build.js';
import { fluxTenantsKustomization, TENANTS_DIR } from './tenants.js';

export const FLUX_NAMESPACE = 'flux-system';
/** The Secret in flux-system holding the age private key(s) kustomize-controller decrypts with. */
export const SOPS_AGE_SECRET = 'sops-age';
/** Name of the GitRepository that `flux bootstrap`, `flux create source git` and a FluxInstance all create. */
export const FLUX_ROOT_SOURCE = 'flux-system';

/** The Flux source kind of each source type (the HelmRelease's sourceRef names the same kind). */
const SOURCE_KIND = { helm: 'HelmRepository', git: 'GitRepository', oci: 'OCIRepository' } as const;

/**
 * The source every Kustomization of a cluster reads: the GitRepository the bootstrap creates, or, on a
 * laptop sandbox, the OCIRepository its script pushes the working tree to (see lib/render/sandbox.ts).
 */
export function rootSource(cluster: PlannedCluster): { kind: string; name: string } {
  return { kind: cluster.sandbox ? SOURCE_KIND.oci : SOURCE_KIND.git, name: FLUX_ROOT_SOURCE };
}

function sourceObject(release: Release, namespace: string): Record<string, unknown> {
  const { source } = release;
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: SOURCE_KIND[source.type],
    metadata: { name: source.name, namespace },
    spec: {
      interval: '12h',
      url: source.url,
      // git and OCI sources pin the release's tag; a Helm repository is an index, the HelmRelease pins the version.
      ...(source.type === 'helm' ? {} : { ref: { tag: release.version } }),
      // A Helm chart as an OCI artifact: the chart layer, copied as-is for helm-controller.
      ...(source.type === 'oci' ? { layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' } } : {}),
    },
  };
}

function helmRelease(release: Release, namespace: string): Record<string, unknown> {
  const git = release.source.type === 'git';
  // OCI charts are referenced whole (chartRef: the OCIRepository pins the version); the others by chart template.
  const chart =
    release.source.type === 'oci'
      ? { chartRef: { kind: SOURCE_KIND.oci, name: release.source.name } }
      : {
          chart: {
            spec: {
              chart: release.chart,
              ...(git ? { reconcileStrategy: 'Revision' } : { version: release.version }),
              sourceRef: { kind: SOURCE_KIND[release.source.type], name: release.source.name },
              interval: '12h',
            },
          },
        };
  const strategy = { name: 'RetryOnFailure', retryInterval: '5m' };
  const spec: Record<string, unknown> = {
    releaseName: release.name,
    interval: '30m',
    timeout: '10m',
    ...chart,
    install: { crds: 'CreateReplace', strategy },
    upgrade: { crds: 'CreateReplace', strategy },
  };
  if (release.dependsOn.length > 0) spec.dependsOn = release.dependsOn.map((name) => ({ name }));
  if (Object.keys(release.values).length > 0) spec.values = release.values;
  return { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: release.name, namespace }, spec };
}

/**
 * Plain manifests from a git repository (upstream CRDs): a Kustomization applies them. Never pruned:
 * removing CRDs would delete every object of their kinds.
 */
function manifestsKustomization(release: Release, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: release.name, namespace },
    spec: {
      interval: '1h',
      timeout: '5m',
      path: `./${release.chart}`,
      prune: false,
      wait: true,
      sourceRef: { kind: SOURCE_KIND.git, name: release.source.name },
      ...(release.patches.length > 0 ? { patches: release.patches } : {}),
      ...(release.dependsOn.length > 0 ? { dependsOn: release.dependsOn.map((name) => ({ name })) } : {}),
    },
  };
}

function renderController(files: FileSet, plan: Plan, def: ComponentDef, profiles?: ProfileOverlays): void {
  const releases = def.controller?.releases;
  if (!releases) return;
  const dir = componentPath(def.id, 'controller');
  const ns = def.namespace;
  const sources = new Map<string, Record<string, unknown>>();
  for (const r of releases) sources.set(r.source.name, sourceObject(r, ns));
  files.add(`${dir}/base/namespace.yaml`, documents([namespaceObject(ns, def.podSecurity, plan)]));
  files.add(`${dir}/base/sources.yaml`, documents([...sources.values()]));
  files.add(
    `${dir}/base/releases.yaml`,
    documents(
      releases.map((r) => (r.kind === 'manifests' ? manifestsKustomization(r, ns) : helmRelease(r, ns))),
      `${def.title}: pinned chart versions. Per-cluster values are patched in overlays/<cluster>.`,
    ),
  );
  files.add(`${dir}/base/kustomization.yaml`, kustomization(['namespace.yaml', 'sources.yaml', 'releases.yaml']));
  for (const environment of plan.environments) {
    const clusters = clustersIn(plan, def.id, environment);
    if (clusters.length > 0) renderEnvironment(files, plan, def, environment, clusters);
  }
  renderOverlays(files, plan, def, 'controller', (into, cluster, overlay) => renderControllerOverlay(into, plan, def, cluster, overlay), profiles);
}

/** The directory of an environment's layer of a stage: a kustomize Component the overlays of its clusters include. */
const environmentDir = (component: string, environment: string) => `${componentPath(component, 'controller')}/environments/${environment}`;

/**
 * An environment's layer of a component's releases: the version each release runs in the environment
 * (one line each, so promoting from test to production is changing one line) and room for the
 * environment's own values. Its clusters' overlays include it; their own values are patched after it.
 */
function renderEnvironment(files: FileSet, plan: Plan, def: ComponentDef, environment: string, clusters: string[]): void {
  const ns = def.namespace;
  const dir = environmentDir(def.id, environment);
  const patches = new Map<string, Record<string, unknown>>();
  for (const r of def.controller!.releases) {
    const version = releaseVersion(plan, r, environment);
    // git and OCI sources carry the tag; a Helm repository chart is pinned in its HelmRelease.
    if (r.source.type !== 'helm') {
      if (!patches.has(`source/${r.source.name}`)) patches.set(`source/${r.source.name}`, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: SOURCE_KIND[r.source.type], metadata: { name: r.source.name, namespace: ns }, spec: { ref: { tag: version } } });
    } else {
      patches.set(`release/${r.name}`, { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: r.name, namespace: ns }, spec: { chart: { spec: { version } } } });
    }
  }
  const others = plan.environments.filter((e) => e !== environment && clustersIn(plan, def.id, e).length > 0);
  files.add(
    `${dir}/releases.yaml`,
    documents(
      [...patches.values()],
      `${def.title} in environment ${environment} (clusters ${clusters.join(', ')}): the versions it runs, over the base.
` +
        (others.length > 0 ? `Promote a version from another environment by changing its line here (${others.map((e) => `../${e}/releases.yaml`).join(', ')}).
` : '') +
        `Values for this environment only go under a HelmRelease's spec.values here; each cluster's own come after them (overlays/<cluster>).`,
    ),
  );
  files.add(`${dir}/kustomization.yaml`, kustomizeComponent(['releases.yaml'], `The ${environment} layer of ${def.id}: included by the overlays of its clusters.`));
}

/** One overlay of the controller stage: the cluster's chart values as HelmRelease patches, and the Secrets charts read. */
function renderControllerOverlay(files: FileSet, plan: Plan, def: ComponentDef, cluster: PlannedCluster, overlay: string): void {
  const ns = def.namespace;
  // Secrets a chart reads when it installs: applied with the HelmReleases, so they exist first.
  const secrets = renderSecrets(files, plan, def, cluster, 'controller', overlay);
  const patches: string[] = [];
  for (const r of def.controller!.releases) {
    const values = clusterValues(def, r, plan, cluster);
    if (Object.keys(values).length === 0) continue;
    const name = `${r.name}-values.yaml`;
    files.add(
      `${overlay}/${name}`,
      documents(
        [{ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: r.name, namespace: ns }, spec: { values } }],
        `Values for cluster ${cluster.name} (${cluster.provider.id}), merged over the base release.`,
      ),
    );
    patches.push(name);
  }
  const layer = cluster.environment === undefined ? [] : [`../../environments/${cluster.environment}`];
  files.add(`${overlay}/kustomization.yaml`, kustomization(['../../base', ...secrets], patches, layer));
}

/** A file of Flux Kustomizations, written once every directory they build is rendered. */
interface PendingFile {
  path: string;
  objects: Record<string, unknown>[];
  comment: string;
}

/**
 * Whether the build of a directory holds a SOPS-encrypted file. kustomize-controller fails a Kustomization
 * whose `decryption.secretRef` Secret is missing even when nothing in it is encrypted
 * (kustomize-controller's decryptor reads the Secret before building), so only the Kustomizations that
 * need it decrypt: a cluster without the age key still gets everything that holds no Secret.
 */
export function holdsSopsFile(files: FileSet, dir: string): boolean {
  return buildKustomization(files, dir).objects.some((b) => isSopsFile(b.origin) || (b.object as { sops?: unknown }).sops !== undefined);
}
/** An encrypted file (`*.sops.yaml`), not the rules file `.sops.yaml` at the root. */
const isSopsFile = (path: string) => path.endsWith('.sops.yaml') && path !== '.sops.yaml';

/** The stage Kustomizations of each cluster; returns the directory each one builds (`<cluster>/<stage id>` → dir). */
function renderClusterKustomizations(files: FileSet, plan: Plan, pending: PendingFile[], profiles?: ProfileOverlays): Map<string, string> {
  const paths = new Map<string, string>();
  for (const cluster of plan.clusters) {
    profiles?.clusterVars(files, cluster, FLUX_NAMESPACE);
    const stages = clusterStages(plan, cluster);
    for (const id of cluster.components) {
      const own = stages.filter((s) => s.component === id);
      if (own.length === 0) continue;
      const objects = own.map((s) => {
        const path = stagePath(cluster, s, profiles);
        paths.set(`${cluster.name}/${s.id}`, path);
        const spec: Record<string, unknown> = {
          interval: '15m',
          retryInterval: '2m',
          timeout: '10m',
          path: `./${path}`,
          prune: true,
          wait: true,
          sourceRef: rootSource(cluster),
        };
        // Shared overlays: the cluster's own values come from its cluster-vars ConfigMap.
        if (profiles) spec.postBuild = { substituteFrom: [{ kind: 'ConfigMap', name: CLUSTER_VARS }] };
        if (s.dependsOn.length > 0) spec.dependsOn = s.dependsOn.map((name) => ({ name }));
        return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: s.id, namespace: FLUX_NAMESPACE }, spec };
      });
      const def = plan.components.find((c) => c.def.id === id)!;
      pending.push({ path: `clusters/${cluster.name}/infrastructure/${id}.yaml`, objects, comment: `${def.def.title} on cluster ${cluster.name}. Included because: ${def.reasons.join('; ')}.` });
    }
    if (plan.answers.tenants.length > 0) {
      files.add(
        `clusters/${cluster.name}/tenants.yaml`,
        documents([fluxTenantsKustomization(stages, rootSource(cluster), FLUX_NAMESPACE)], `Tenants on cluster ${cluster.name}, after the platform: see ${TENANTS_DIR}/.`),
      );
    }
  }
  return paths;
}

/** The directory a cluster's Kustomization of a stage builds: its own overlay, or its place in a profile overlay. */
function stagePath(cluster: PlannedCluster, node: StageNode, profiles?: ProfileOverlays): string {
  return profiles?.paths.get(`${cluster.name}/${node.id}`) ?? `${componentPath(node.component, node.stage)}/overlays/${cluster.name}`;
}

/** Renders the Flux tree; returns the directory each cluster's stage Kustomization builds (`<cluster>/<stage id>` → dir). */
export function renderFlux(files: FileSet, plan: Plan): Map<string, string> {
  const profiles = plan.answers.overlays === 'per-profile' ? new ProfileOverlays(plan) : undefined;
  for (const { def } of plan.components) {
    renderController(files, plan, def, profiles);
    renderConfig(files, plan, def, profiles);
  }
  const pending: PendingFile[] = [];
  const paths = renderClusterKustomizations(files, plan, pending, profiles);
  profiles?.finish(files);
  // Building every stage is only needed when something is encrypted (a fleet without Secrets yet skips it).
  const encrypted = plan.secrets === 'sops' && files.paths().some(isSopsFile);
  for (const file of pending) {
    for (const k of file.objects) {
      const spec = k.spec as Record<string, unknown>;
      // The root (flux-system) Kustomization never decrypts: nothing encrypted lives under clusters/.
      if (encrypted && holdsSopsFile(files, (spec.path as string).replace(/^\.\//, ''))) spec.decryption = { provider: 'sops', secretRef: { name: SOPS_AGE_SECRET } };
    }
    files.add(file.path, documents(file.objects, file.comment));
  }
  return paths;
}
