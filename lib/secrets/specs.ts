/**
 * Which Secrets a plan needs, per cluster, and where each one lives in the repository. A Secret is
 * declared by the component that reads it (catalog `secrets:`); its file sits in that component's
 * overlay for the cluster, next to the objects that use it: the config overlay, or the controller
 * overlay for a Secret a chart reads when it installs.
 */
import type { SecretsStrategy } from '../answers.js';
import type { ComponentDef, SecretDecl, Stage } from '../catalog.js';
import { clusterApps, S3_SECRET_NAME, type Plan, type PlannedCluster } from '../plan.js';

export interface SecretSpec {
  cluster: string;
  component: string;
  namespace: string;
  name: string;
  description: string;
  keys: { name: string; description: string }[];
  stage: Stage;
  /** The overlay the Secret's file belongs to. */
  dir: string;
  /** Labels of the Secret (they are not secret: plain in a SealedSecret's template and an ExternalSecret's). */
  labels?: Record<string, string>;
  /** Keys with a value that is not secret and not asked for (sealed with the others, templated by an ExternalSecret). */
  literals?: Record<string, string>;
  /**
   * The backend component whose own Secret this is, where a backend on the cluster holds the one value every
   * Secret of this name must have (SeaweedFS and Rook take the object storage key from their s3-credentials:
   * no consumer can have another).
   */
  oneValue?: string;
}

/** Label of an Argo CD cluster Secret saying that a cluster runs a component: ApplicationSets select on it. */
export const componentLabel = (id: string) => `components.haven-plus/${id}`;
export const CLUSTER_LABEL = 'haven-plus/cluster';
/** The label of a registration naming its cluster's environment (the hub's ApplicationSets select by it). */
export const ENVIRONMENT_LABEL = 'haven-plus/environment';
/** Where the hub keeps its ApplicationSets and the registrations of the clusters it deploys to. */
export const fleetDir = (hub: string) => `clusters/${hub}/fleet`;

/**
 * The hub's Argo CD cluster Secret for a cluster it deploys to: the API server and credentials are
 * secret values; the labels say which platform it belongs to and which components it runs.
 */
function registrationSpec(plan: Plan, hub: string, cluster: PlannedCluster): SecretSpec {
  const components = [...new Set(clusterApps(plan, cluster).map((n) => n.component))].sort();
  return {
    cluster: hub,
    component: 'argocd',
    namespace: 'argocd',
    name: `cluster-${cluster.name}`,
    description: `Registration of cluster ${cluster.name} with the Argo CD of hub ${hub}`,
    keys: [
      { name: 'server', description: `API server URL of cluster ${cluster.name} (https://…:6443)` },
      {
        name: 'config',
        description: `Argo CD cluster config JSON for ${cluster.name}: {"bearerToken":"<token of a cluster-admin ServiceAccount>","tlsClientConfig":{"caData":"<base64 CA>"}}`,
      },
    ],
    stage: 'controller',
    dir: fleetDir(hub),
    labels: {
      'argocd.argoproj.io/secret-type': 'cluster',
      'app.kubernetes.io/part-of': plan.name,
      [CLUSTER_LABEL]: cluster.name,
      'haven-plus/provider': cluster.provider.id,
      ...(cluster.environment ? { [ENVIRONMENT_LABEL]: cluster.environment } : {}),
      ...Object.fromEntries(components.map((id) => [componentLabel(id), 'true'])),
    },
    literals: { name: cluster.name },
  };
}

/** File name of a Secret for a strategy: SOPS files match the `.sops.yaml` creation rule. */
export function secretFileName(strategy: SecretsStrategy, name: string): string {
  switch (strategy) {
    case 'sops':
      return `${name}.sops.yaml`;
    case 'sealed-secrets':
      return `${name}.sealed-secret.yaml`;
    case 'external-secrets':
      return `${name}.external-secret.yaml`;
  }
}

export const secretPath = (spec: SecretSpec, strategy: SecretsStrategy) => `${spec.dir}/${secretFileName(strategy, spec.name)}`;

/** The keys of a Secret on a cluster: fixed, or those of the provider's DNS credential. */
function keysOn(secret: SecretDecl, cluster: PlannedCluster): SecretSpec['keys'] {
  if (secret.keysFrom !== 'dns') return secret.keys;
  const dns = cluster.provider.dns;
  return dns ? [...dns.secretKeys, ...dns.files.map((f) => ({ name: f.key, description: f.description }))] : [];
}

/** A Secret a component declares, on one cluster: in the namespace and overlay of its stage. */
export function secretSpec(def: ComponentDef, secret: SecretDecl, planned: PlannedCluster): SecretSpec {
  const cluster = planned.name;
  return {
    cluster,
    component: def.id,
    namespace: secret.stage === 'controller' ? def.namespace : def.config!.namespace,
    name: secret.name,
    description: secret.description,
    keys: keysOn(secret, planned),
    stage: secret.stage,
    dir: `infrastructure/${def.id}/${secret.stage}/overlays/${cluster}`,
  };
}

/** The Secrets one cluster needs, in component order; a hub's then register the clusters it deploys to. */
export function clusterSecretSpecs(plan: Plan, cluster: PlannedCluster): SecretSpec[] {
  const backends = new Set(plan.components.flatMap((c) => Object.values(c.def.backends ?? {})));
  const own = cluster.components.flatMap((id) => {
    const def = plan.components.find((c) => c.def.id === id)!.def;
    return def.secrets.map((s) => secretSpec(def, s, cluster));
  });
  for (const owner of own.filter((s) => backends.has(s.component))) {
    for (const s of own) if (s.name === owner.name) s.oneValue = owner.component;
  }
  if (plan.hub !== cluster.name) return own;
  return [...own, ...plan.clusters.filter((c) => c.name !== plan.hub).map((c) => registrationSpec(plan, cluster.name, c))];
}

/** Every Secret the plan's clusters need, in cluster then component order. */
export function secretSpecs(plan: Plan): SecretSpec[] {
  return plan.clusters.flatMap((cluster) => clusterSecretSpecs(plan, cluster));
}

const envPart = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/**
 * Environment variable holding a secret value: HAVEN_PLUS_SECRET_<SECRET>__<KEY> for every cluster,
 * HAVEN_PLUS_SECRET_<CLUSTER>__<SECRET>__<KEY> for one cluster ('-' and '.' become '_'); with a namespace,
 * `__IN__<NAMESPACE>` after the key: the value of the Secret of that name in that namespace only (a key
 * for each consumer of a shared Secret, such as the object storage key).
 */
export function secretEnvName(secret: string, key: string, cluster?: string, namespace?: string): string {
  return `HAVEN_PLUS_SECRET_${cluster ? `${envPart(cluster)}__` : ''}${envPart(secret)}__${envPart(key)}${namespace ? `__IN__${envPart(namespace)}` : ''}`;
}

/**
 * Whether a laptop sandbox's script makes this Secret in the cluster: the object storage key of Garage or
 * SeaweedFS in the sandbox (Garage generates its keys; SeaweedFS takes the one the script makes). A value
 * given for it would be another key than the storage holds, so it is neither asked for nor listed as missing.
 */
export function sandboxMakes(plan: Plan, spec: SecretSpec): boolean {
  const cluster = plan.clusters.find((c) => c.name === spec.cluster);
  const backend = cluster?.objectStorage?.backend;
  return cluster?.sandbox === true && (backend === 'garage' || backend === 'seaweedfs') && spec.name === S3_SECRET_NAME;
}

