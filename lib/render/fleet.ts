/**
 * The per-profile overlay layout (`--overlays per-profile`, Flux): instead of an overlay per cluster,
 * infrastructure/<component>/<stage>/profiles/<provider>[-<environment>]/, rendered once with Flux
 * variables where a cluster has values of its own (name, domain, storage class, S3 endpoint and region,
 * bucket names, Keycloak's hostname). Each cluster's Kustomizations substitute them from its
 * cluster-vars ConfigMap (postBuild.substituteFrom), so a hundred clusters on one profile share one tree.
 *
 * How it stays faithful: every cluster's overlay is rendered with a symbolic cluster (its own values
 * replaced by tokens) and clusters whose symbolic overlays are byte-identical share it. A cluster whose
 * overlay differs in more than those values (other components beside it, a plain-HTTP endpoint, …)
 * gets an overlay group of its own; nothing is ever approximated. Encrypted and sealed Secrets are per
 * cluster by nature: they sit in a thin overlays/<cluster>/ on top of the profile overlay.
 */
import { createHash } from 'node:crypto';
import type { ComponentDef, Stage } from '../catalog.js';
import { FileSet } from '../fileset.js';
import { stageId, type Plan, type PlannedCluster } from '../plan.js';
import { componentPath, renderSecrets } from './components.js';
import { documents, kustomization } from './manifests.js';

/** Directory of the shared overlays of a stage (beside base/ and overlays/). */
export const PROFILES_DIR = 'profiles';
/** The ConfigMap in flux-system each cluster's Kustomizations substitute their variables from. */
export const CLUSTER_VARS = 'cluster-vars';
const clusterVarsPath = (cluster: string) => `clusters/${cluster}/${CLUSTER_VARS}.yaml`;

/** A token standing for a variable while rendering: plain identifier characters, safe in any YAML context. */
const token = (name: string) => `__hpvar_${name}__`;
const TOKEN = /__hpvar_([a-z0-9_]+)__/g;

/** Flux variable name of a bucket purpose (names allow letters, digits and underscores). */
const bucketVar = (purpose: string) => `bucket_${purpose.replace(/-/g, '_')}`;

/** The values a cluster has of its own, as Flux variables, in a fixed order. */
export function clusterVariables(cluster: PlannedCluster): [string, string][] {
  const vars: [string, string | undefined][] = [
    ['cluster_name', cluster.name],
    ['cluster_environment', cluster.environment],
    ['cluster_domain', cluster.domain],
    ['storage_class', cluster.storageClass],
    ['keycloak_hostname', cluster.keycloakHostname],
  ];
  const os = cluster.objectStorage;
  if (os) {
    vars.push(['s3_endpoint', os.endpoint], ['s3_host', os.host], ['s3_region', os.region]);
    for (const b of os.bucketList) vars.push([bucketVar(b.purpose), b.name]);
  }
  return vars.filter((v): v is [string, string] => v[1] !== undefined);
}

/** The cluster with each of its own values replaced by the token of its variable. */
function symbolicCluster(cluster: PlannedCluster): PlannedCluster {
  const t = (name: string, value: string | undefined) => (value === undefined ? undefined : token(name));
  const os = cluster.objectStorage;
  return {
    ...cluster,
    name: token('cluster_name'),
    // Literal: a profile is per environment, and its overlays include the environment's layer by path.
    environment: cluster.environment,
    domain: t('cluster_domain', cluster.domain),
    storageClass: t('storage_class', cluster.storageClass),
    keycloakHostname: t('keycloak_hostname', cluster.keycloakHostname),
    objectStorage: os && {
      ...os,
      endpoint: token('s3_endpoint'),
      host: token('s3_host'),
      region: token('s3_region'),
      buckets: Object.fromEntries(Object.keys(os.buckets).map((p) => [p, token(bucketVar(p))])),
      bucketList: os.bucketList.map((b) => ({ purpose: b.purpose, name: token(bucketVar(b.purpose)) })),
    },
  };
}

/** The name a cluster's profile overlay starts from: its provider profile and environment. */
const profileName = (cluster: PlannedCluster) => `${cluster.provider.id}${cluster.environment ? `-${cluster.environment}` : ''}`;

/** Renders one overlay of a stage for a cluster into `dir` (the per-cluster layout calls it with overlays/<cluster>). */
export type OverlayRenderer = (files: FileSet, cluster: PlannedCluster, dir: string) => void;

export class ProfileOverlays {
  /** Per stage directory: symbolic overlay content → profile name. */
  private readonly groups = new Map<string, Map<string, string>>();
  /** `<cluster>/<component>-<stage>` → the directory the cluster's Kustomization builds. */
  readonly paths = new Map<string, string>();

  constructor(private readonly plan: Plan) {}

  /** Places a cluster's overlay of a stage in a profile overlay (made on first use); its directory goes to `paths`. */
  overlay(files: FileSet, def: ComponentDef, stage: Stage, cluster: PlannedCluster, render: OverlayRenderer): void {
    const stageDir = componentPath(def.id, stage);
    const draft = `${stageDir}/${PROFILES_DIR}/${token('profile')}`;
    const scratch = new FileSet();
    render(scratch, symbolicCluster(cluster), draft);
    // Clusters share an overlay when they are on the same profile and environment and their overlays agree.
    const wanted = profileName(cluster);
    const content = [wanted, ...scratch.paths().map((p) => `${p.slice(draft.length)}\n${scratch.get(p)}`)].join('\0');
    const byContent = this.groups.get(stageDir) ?? new Map<string, string>();
    this.groups.set(stageDir, byContent);
    let profile = byContent.get(content);
    if (profile === undefined) {
      // A second variant of the same profile (its clusters differ in more than their variables) is told apart by its content.
      profile = [...byContent.values()].includes(wanted) ? `${wanted}-${createHash('sha256').update(content).digest('hex').slice(0, 8)}` : wanted;
      byContent.set(content, profile);
      for (const p of scratch.paths()) files.add(`${stageDir}/${PROFILES_DIR}/${profile}${p.slice(draft.length)}`, scratch.get(p)!);
    }
    let dir = `${stageDir}/${PROFILES_DIR}/${profile}`;
    // Encrypted and sealed Secrets differ per cluster (ExternalSecrets only by their key: they are in the profile).
    if (this.plan.secrets !== 'external-secrets') {
      const own = `${stageDir}/overlays/${cluster.name}`;
      const secrets = renderSecrets(files, this.plan, def, cluster, stage, own);
      if (secrets.length > 0) {
        files.add(`${own}/kustomization.yaml`, kustomization([`../../${PROFILES_DIR}/${profile}`, ...secrets]));
        dir = own;
      }
    }
    this.paths.set(`${cluster.name}/${stageId(def.id, stage)}`, dir);
  }

  /** The ConfigMap of a cluster's variables, applied by its root Kustomization (flux-system). */
  clusterVars(files: FileSet, cluster: PlannedCluster, namespace: string): void {
    files.add(
      clusterVarsPath(cluster.name),
      documents(
        [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CLUSTER_VARS, namespace }, data: Object.fromEntries(clusterVariables(cluster)) }],
        `What cluster ${cluster.name} has of its own: the Kustomizations of clusters/${cluster.name}/infrastructure/ substitute\n` +
          `the \${…} variables of the shared overlays (infrastructure/*/*/${PROFILES_DIR}/) with these values.`,
      ),
    );
  }

  /**
   * Makes the shared files substitution-safe: a `$` the platform means literally before `{` or `$` (a
   * value a chart expands itself, such as Loki's ${S3_ACCESS_KEY_ID}) is doubled, which Flux turns back
   * into one; then the tokens become the variables. Secret files are left alone (their content is sealed;
   * an encrypted Secret opts out of substitution itself).
   */
  finish(files: FileSet): void {
    for (const path of files.paths()) {
      if (!path.startsWith('infrastructure/') || !path.endsWith('.yaml') || /\.(sops|sealed-secret)\.yaml$/.test(path)) continue;
      const text = files.get(path)!;
      const out = text.replace(/\$(?=[{$])/g, () => '$$').replace(TOKEN, (_m, name: string) => `\${${name}}`);
      if (out !== text) files.replace(path, out);
    }
  }
}
