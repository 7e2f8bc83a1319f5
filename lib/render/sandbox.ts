/**
 * The laptop sandbox: every cluster on a sandbox provider profile (`--provider local`) becomes a kind or
 * k3d cluster (--sandbox-runtime) that one script creates, bootstraps and waits on until everything is Ready.
 *   Makefile                              make sandbox [CLUSTER=…], sandbox-sync, sandbox-status, sandbox-down
 *   sandbox/sandbox.sh                    the script (bash 3.2+, shellcheck-clean)
 *   sandbox/<cluster>/{kind,k3d}.yaml     the kind or k3d cluster
 *   clusters/<cluster>/flux-system/sync.yaml   (Flux) the OCIRepository and root Kustomization
 * Flux follows the working tree: the script pushes it (what `git add -A` would commit) as an OCI artifact
 * to a local registry beside the clusters (see SANDBOX_RUNTIMES), and the cluster pulls it from there,
 * so an edit is live after `make sandbox-sync`, before any commit. Argo CD cannot read Helm values from an
 * OCI source (multi-source `$values` is git-only, argoproj/argo-cd#24376): an Argo CD sandbox follows the
 * git remote like every other cluster.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FileSet } from '../fileset.js';
import { TEMPLATES_DIR } from '../package-info.js';
import type { Plan, PlannedCluster } from '../plan.js';
import { clusterSecretSpecs, sandboxMakes, secretPath } from '../secrets/specs.js';
import { argocdBootstrap } from './argocd.js';
import { FLUX_NAMESPACE, FLUX_ROOT_SOURCE, SOPS_AGE_SECRET } from './flux.js';
import { documents } from './manifests.js';
import { renderTemplate } from './template.js';

/**
 * What creates the sandbox clusters: kind (with kind's local-registry recipe: a registry container the
 * script connects to the kind network) or k3d (a registry k3d manages, which it wires into each cluster
 * it is listed in). Clusters are named <platform>-<cluster> within the runtime's limit on names.
 */
export const SANDBOX_RUNTIMES = {
  kind: {
    title: 'kind',
    url: 'https://kind.sigs.k8s.io',
    install: 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
    config: 'kind.yaml',
    context: 'kind-',
    // Node containers are named <name>-control-plane, which is their hostname (63 characters at most).
    maxName: 63 - '-control-plane'.length,
    registry: { name: 'kind-registry', image: 'docker.io/library/registry:3', port: 5000 },
  },
  k3d: {
    title: 'k3d',
    url: 'https://k3d.io',
    install: 'https://k3d.io/stable/#installation',
    config: 'k3d.yaml',
    context: 'k3d-',
    // k3d refuses cluster names longer than 32 characters (it builds its container names from them).
    maxName: 32,
    // `k3d registry create haven-plus-registry` makes the container k3d-haven-plus-registry.
    registry: { name: 'k3d-haven-plus-registry', image: 'docker.io/library/registry:3', port: 5000 },
  },
} as const;

export const sandboxRuntime = (plan: Plan) => SANDBOX_RUNTIMES[plan.answers.sandboxRuntime ?? 'kind'];

/** The runtime's registry as the clusters reach it on their container network (host:port). */
function registryAddress(plan: Plan): string {
  const { name, port } = sandboxRuntime(plan).registry;
  return `${name}:${port}`;
}
/** The artifact tag the script pushes and the sandbox OCIRepository follows. */
const ARTIFACT_TAG = 'sandbox';

export const sandboxClusters = (plan: Plan) => plan.clusters.filter((c) => c.sandbox);

/** The sandbox cluster's name in its runtime: <platform>-<cluster>, shortened with a hash for uniqueness when too long. */
export function sandboxClusterName(plan: Plan, cluster: PlannedCluster): string {
  const name = `${plan.name}-${cluster.name}`;
  const max = sandboxRuntime(plan).maxName;
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9).replace(/-+$/, '')}-${hash}`;
}

/** The artifact repository (without registry) the working tree is pushed to. */
export const sandboxArtifact = (plan: Plan) => `haven-plus/${plan.name}`;

function kindConfig(plan: Plan, cluster: PlannedCluster): string {
  return documents(
    [
      {
        kind: 'Cluster',
        apiVersion: 'kind.x-k8s.io/v1alpha4',
        name: sandboxClusterName(plan, cluster),
        // One node: the sandbox runs every component with one replica and small requests. The node image is
        // the installed kind's default; pin one with nodes[].image (kindest/node:<version>@sha256:…).
        nodes: [{ role: 'control-plane' }],
        networking: { apiServerAddress: '127.0.0.1' },
      },
    ],
    `kind cluster for the sandbox cluster ${cluster.name}: make sandbox CLUSTER=${cluster.name} (sandbox/sandbox.sh).`,
  );
}

function k3dConfig(plan: Plan, cluster: PlannedCluster): string {
  const servers = ['server:*'];
  return documents(
    [
      {
        apiVersion: 'k3d.io/v1alpha5',
        kind: 'Simple',
        metadata: { name: sandboxClusterName(plan, cluster) },
        // One node: the sandbox runs every component with one replica and small requests. The k3s image is
        // the installed k3d's default; pin one with image (rancher/k3s:<version>).
        servers: 1,
        agents: 0,
        kubeAPI: { hostIP: '127.0.0.1' },
        // The registry the script creates (k3d registry create): k3d connects it and lets the cluster resolve it.
        registries: { use: [registryAddress(plan)] },
        options: {
          k3s: {
            // The platform brings its own gateway and, when chosen, metrics-server: k3s's bundled ones would collide.
            extraArgs: [
              { arg: '--disable=traefik', nodeFilters: servers },
              { arg: '--disable=metrics-server', nodeFilters: servers },
              // With MetalLB, k3s's own service load balancer would hand out the same Services' addresses
              // (metallb website/content/configuration/k3s.md).
              ...(cluster.components.includes('metallb') ? [{ arg: '--disable=servicelb', nodeFilters: servers }] : []),
            ],
          },
          kubeconfig: { updateDefaultKubeconfig: true, switchCurrentContext: false },
        },
      },
    ],
    `k3d cluster for the sandbox cluster ${cluster.name}: make sandbox CLUSTER=${cluster.name} (sandbox/sandbox.sh).`,
  );
}

function fluxSync(plan: Plan, cluster: PlannedCluster): string {
  const metadata = { name: FLUX_ROOT_SOURCE, namespace: FLUX_NAMESPACE };
  return documents(
    [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata,
        spec: {
          interval: '1m',
          url: `oci://${registryAddress(plan)}/${sandboxArtifact(plan)}`,
          ref: { tag: ARTIFACT_TAG },
          // The local registry speaks plain HTTP, on the kind network only.
          insecure: true,
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata,
        spec: {
          interval: '10m',
          path: `./clusters/${cluster.name}`,
          prune: true,
          sourceRef: { kind: 'OCIRepository', name: FLUX_ROOT_SOURCE },
        },
      },
    ],
    `Sandbox cluster ${cluster.name}: Flux follows the working tree that sandbox/sandbox.sh pushes to the local registry\n` +
      `(what \`flux bootstrap\` writes to flux-system/ on the other clusters). The script applies this file once; then it manages itself.`,
  );
}

const MAKEFILE = (plan: Plan, first: string, engine: string, runtime: string) => `# The laptop sandbox of ${plan.name} (generated by haven-plus): ${runtime} clusters running this repository.
# Needs Docker or Podman, ${runtime}, kubectl and ${engine === 'flux' ? 'flux' : 'helm'}: README.md, "Sandbox". The work is in sandbox/sandbox.sh.
# make <target> CLUSTER=<name> picks a sandbox cluster; the first is the default.
CLUSTER ?= ${first}

.PHONY: help sandbox sandbox-sync sandbox-status sandbox-down sandbox-clean

help: ## Show the targets
\t@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  %-16s %s\\n", $$1, $$2 }' $(MAKEFILE_LIST)

sandbox: ## Create the ${runtime} cluster CLUSTER, bootstrap ${engine === 'flux' ? 'Flux from this working tree' : 'Argo CD from the git remote'}, wait until Ready
\t@bash sandbox/sandbox.sh up '$(CLUSTER)'

sandbox-sync: ## ${engine === 'flux' ? 'Push the working tree to CLUSTER now' : 'Make Argo CD on CLUSTER refresh from the git remote now'}
\t@bash sandbox/sandbox.sh sync '$(CLUSTER)'

sandbox-status: ## Show what is Ready on CLUSTER
\t@bash sandbox/sandbox.sh status '$(CLUSTER)'

sandbox-down: ## Delete the ${runtime} cluster CLUSTER
\t@bash sandbox/sandbox.sh down '$(CLUSTER)'

sandbox-clean: ## Remove the local registry container
\t@bash sandbox/sandbox.sh clean
`;

/** What the script sets up in a sandbox cluster that git cannot hold: the object storage and its Secrets. */
export function sandboxFacts(plan: Plan, cluster: PlannedCluster) {
  const own = clusterSecretSpecs(plan, cluster).filter((s) => !plan.secretFiles.has(secretPath(s, plan.secrets)));
  const backend = cluster.objectStorage?.backend;
  const makesS3 = backend === 'garage' || backend === 'seaweedfs';
  const s3Secrets = own.filter((s) => sandboxMakes(plan, s)).map((s) => `${s.namespace}/${s.name}`);
  const buckets = backend === 'garage' ? cluster.objectStorage!.bucketList.map((b) => b.name) : [];
  const secretList = s3Secrets.map((s) => `\`${s}\``).join(', ');
  return {
    name: cluster.name,
    clusterName: sandboxClusterName(plan, cluster),
    s3Backend: makesS3 ? backend : '',
    buckets,
    s3Secrets,
    otherSecrets: own.filter((s) => !sandboxMakes(plan, s)).map((s) => `${s.namespace}/${s.name}`),
    /** One sentence for the cluster README. */
    objectStorage:
      backend === 'garage'
        ? `a layout for Garage's node, the buckets, one Garage access key with read/write access to them, and that key in ${secretList || 'no Secret'}`
        : backend === 'seaweedfs'
          ? `an access key of its own making (SeaweedFS adopts it) in ${secretList || 'no Secret'}`
          : '',
  };
}

export function renderSandbox(files: FileSet, plan: Plan): void {
  const clusters = sandboxClusters(plan);
  if (clusters.length === 0) return;
  const flux = plan.engine === 'flux';
  const runtime = sandboxRuntime(plan);
  for (const cluster of clusters) {
    files.add(`sandbox/${cluster.name}/${runtime.config}`, runtime === SANDBOX_RUNTIMES.k3d ? k3dConfig(plan, cluster) : kindConfig(plan, cluster));
    if (flux) files.add(`clusters/${cluster.name}/flux-system/sync.yaml`, fluxSync(plan, cluster));
  }
  const context = {
    platform: plan.name,
    engineTitle: flux ? 'Flux' : 'Argo CD',
    flux,
    sops: plan.secrets === 'sops',
    sopsSecret: SOPS_AGE_SECRET,
    registry: runtime.registry,
    runtime,
    k3d: runtime === SANDBOX_RUNTIMES.k3d,
    artifact: `${sandboxArtifact(plan)}:${ARTIFACT_TAG}`,
    remote: plan.gitRemote ?? '',
    branch: plan.branch,
    argocd: argocdBootstrap(plan),
    clusters: clusters.map((cluster) => sandboxFacts(plan, cluster)),
  };
  files.add('sandbox/sandbox.sh', renderTemplate(join(TEMPLATES_DIR, 'repo', 'sandbox', 'sandbox.sh.hbs'), context));
  files.add('Makefile', MAKEFILE(plan, clusters[0].name, plan.engine, runtime.title));
}
