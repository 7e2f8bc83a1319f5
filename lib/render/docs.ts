/** The READMEs of the generated repository: what is here, how to bootstrap, what to provide. */
import { join } from 'node:path';
import type { FileSet } from '../fileset.js';
import { objectsOf } from '../validate/build.js';
import { fluxGitUrl, isSshRemote } from '../names.js';
import { TEMPLATES_DIR } from '../package-info.js';
import { clusterApps, clusterStages, objectStorageTitle, releaseVersion, type Plan, type PlannedCluster } from '../plan.js';
import { clusterCompliance } from './compliance.js';
import { clustersIn, componentPath, remoteKey } from './components.js';
import { SOPS_AGE_SECRET } from './flux.js';
import { readCertificate, SEALED_SECRETS_CONTROLLER, sealedSecretsCertPath } from '../secrets/sealed.js';
import { CLUSTER_LABEL, clusterSecretSpecs, fleetDir, sandboxMakes, secretEnvName, secretPath, secretSpecs, type SecretSpec } from '../secrets/specs.js';
import { argocdBootstrap, argocdSshHost, secretsRelease } from './argocd.js';
import { PROFILES_DIR } from './fleet.js';
import { sandboxFacts, sandboxRuntime } from './sandbox.js';
import { registerPartial, renderTemplate } from './template.js';
import { toolsLine } from './tools.js';

const SECRETS_SUMMARY = {
  sops: 'Secrets are files encrypted with SOPS/age (`*.sops.yaml`, rules in `.sops.yaml`); Flux decrypts them in the cluster.',
  'sealed-secrets': "Secrets are SealedSecrets (`*.sealed-secret.yaml`): sealed with each cluster's controller certificate, opened only by that controller.",
  'external-secrets': 'Secrets are ExternalSecrets (`*.external-secret.yaml`): references to keys in your secret store, read by the External Secrets Operator.',
} as const;

const ENGINE_TITLES = { flux: 'Flux', argocd: 'Argo CD' } as const;
const REMOTE_PLACEHOLDER = '<your-git-url>';

/** How many clusters have a Secret of each namespace/name, once per plan. */
const secretCounts = new WeakMap<Plan, Map<string, number>>();
function secretsOnClusters(plan: Plan): Map<string, number> {
  let counts = secretCounts.get(plan);
  if (!counts) {
    counts = new Map();
    for (const c of plan.clusters) for (const key of new Set(clusterSecretSpecs(plan, c).map((s) => `${s.namespace}/${s.name}`))) counts.set(key, (counts.get(key) ?? 0) + 1);
    secretCounts.set(plan, counts);
  }
  return counts;
}

/** The Secrets section of a cluster README: how this strategy delivers them, which are in the repository, which are missing. */
function secretsDoc(plan: Plan, cluster: PlannedCluster, files: FileSet) {
  // This cluster's values: a Secret other clusters have too is named for this one (a value for every cluster
  // would give each the key the provider made for this one); one only this cluster has needs no cluster.
  const elsewhere = (s: SecretSpec) => (secretsOnClusters(plan).get(`${s.namespace}/${s.name}`) ?? 0) > 1;
  const items = clusterSecretSpecs(plan, cluster).map((s) => {
    const scope = elsewhere(s) ? cluster.name : undefined;
    const path = secretPath(s, plan.secrets);
    const inRepo = plan.secrets === 'external-secrets' || files.has(path);
    return {
      ...s,
      path,
      inRepo,
      // A sandbox's script makes the object storage key and its Secrets in the cluster: a value typed here would be
      // another key than the one Garage (or SeaweedFS) holds, and Flux would apply it over the script's.
      bySandbox: !inRepo && sandboxMakes(plan, s),
      remoteKey: remoteKey(plan, s),
      env: s.keys.map((k) => secretEnvName(s.name, k.name, scope)),
      // The shell variable each key is read into by hand (a key such as repository-password is no shell name).
      keyVars: shellVariables(s.keys.map((k) => k.name)),
      // For making it by hand: values that are not secret, and labels.
      literalList: Object.entries(s.literals ?? {}).map(([key, value]) => ({ key, value })),
      labelList: Object.entries(s.labels ?? {}).map(([k, v]) => `${k}=${v}`),
    };
  });
  const missing = items.filter((i) => !i.inRepo && !i.bySandbox);
  const certificatePath = sealedSecretsCertPath(cluster.name);
  const certificate = plan.secrets === 'sealed-secrets' && files.has(certificatePath) ? readCertificate(files.get(certificatePath)!, new Date(0)) : undefined;
  return {
    strategy: plan.secrets,
    items,
    missing,
    missingEnv: [...new Set(missing.flatMap((m) => m.env))],
    // Secrets of one name that several consumers read, each of which may have a key of its own.
    perConsumer: [...new Set(missing.map((m) => m.name))]
      .map((name) => missing.filter((m) => m.name === name))
      .filter((group) => group.length > 1 && group.every((m) => m.oneValue === undefined))
      .map((group) => ({ name: group[0].name, namespaces: group.map((m) => `\`${m.namespace}\``).join(', '), example: secretEnvName(group[0].name, group[0].keys[0].name, elsewhere(group[0]) ? cluster.name : undefined, group[0].namespace) })),
    sops: plan.secrets === 'sops' ? { secret: SOPS_AGE_SECRET, recipients: plan.answers.ageRecipients } : undefined,
    // SOPS with no recipient yet: nothing can be encrypted (no creation rule in .sops.yaml) until a key is made.
    needsRecipient: noRecipientYet(plan),
    sealed:
      plan.secrets === 'sealed-secrets'
        ? { ...SEALED_SECRETS_CONTROLLER, scope: plan.answers.sealingScope, certificatePath, certificate: certificate ? certificatePath : undefined, validTo: certificate?.validTo.toISOString().slice(0, 10) }
        : undefined,
    external: plan.secrets === 'external-secrets' ? { store: plan.answers.secretStore } : undefined,
  };
}

/**
 * A shell variable per Secret key for the README's by-hand recipe: upper case, every character a shell
 * name cannot hold as `_` (`repository-password` → `REPOSITORY_PASSWORD`).
 */
export function shellVariables(keys: string[]): { name: string; variable: string }[] {
  const vars = keys.map((name) => ({ name, variable: name.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^(?=[0-9])/, '_') }));
  const seen = new Set<string>();
  for (const v of vars) {
    if (seen.has(v.variable)) throw new Error(`internal: Secret keys ${keys.join(', ')} share the shell variable ${v.variable}`);
    seen.add(v.variable);
  }
  return vars;
}

/** The Applications of a cluster that read a Secret of the cluster's components (the first chart release, or the config stage). */
function secretApplications(plan: Plan, cluster: PlannedCluster): string[] {
  const stages = new Set(clusterSecretSpecs(plan, cluster).map((s) => `${s.component}/${s.stage}`));
  return clusterApps(plan, cluster)
    .filter((a) => stages.has(`${a.component}/${a.stage}`) && (a.stage === 'config' || secretsRelease(plan.components.find((c) => c.def.id === a.component)!.def) === a.release))
    .sort((a, b) => a.wave - b.wave)
    .map((a) => a.id);
}

/** The hub's README: the clusters it deploys to and their registrations. */
function fleetDoc(plan: Plan, registrations: Map<string, ReturnType<typeof secretsDoc>['items'][number]>) {
  return {
    dir: fleetDir(plan.hub!),
    external: plan.secrets === 'external-secrets',
    clusters: plan.clusters
      .filter((c) => c.name !== plan.hub)
      .map((c) => {
        const registration = registrations.get(c.name)!;
        return { name: c.name, provider: c.provider.title, environment: c.environment, inRepo: registration.inRepo, path: registration.path };
      }),
  };
}

/** SOPS without an age recipient yet: nothing is encrypted. */
const noRecipientYet = (plan: Plan) => plan.secrets === 'sops' && plan.answers.ageRecipients.length === 0;

/** With SOPS and no age recipient yet, nothing is encrypted: the key pair is the first thing to provide. */
function ageKeyFirst(plan: Plan): string[] {
  if (!noRecipientYet(plan)) return [];
  return [`First, an age key pair to encrypt the Secrets with: there is no age recipient yet (\`.sops.yaml\`), so nothing is encrypted; re-run haven-plus with \`--age-generate\` (or \`--age-recipient age1…\`), then put its private key on each cluster as Secret \`${SOPS_AGE_SECRET}\` in \`flux-system\`.`];
}

/** One line per Secret the platform reads, per strategy (values never appear, only what they are). */
function secretsToProvide(plan: Plan): string[] {
  const lines = new Set<string>();
  const keysOf = (s: SecretSpec) => s.keys.map((k) => `\`${k.name}\``).join(', ');
  if (plan.secrets === 'external-secrets') {
    // One store key per Secret name: the ExternalSecrets of every namespace that reads it read the same key.
    const byKey = new Map<string, SecretSpec[]>();
    for (const s of secretSpecs(plan)) byKey.set(s.name, [...(byKey.get(s.name) ?? []), s]);
    for (const [name, specs] of byKey) {
      const namespaces = [...new Set(specs.map((s) => s.namespace))];
      const descriptions = new Map<string, string[]>();
      for (const s of specs) descriptions.set(s.description, [...(descriptions.get(s.description) ?? []), s.namespace]);
      const what = descriptions.size === 1 ? specs[0].description : [...descriptions].map(([d, ns]) => `${ns.join(', ')}: ${d}`).join('; ');
      const readers = namespaces.length > 1 ? `read in namespaces ${namespaces.map((n) => `\`${n}\``).join(', ')}; ` : '';
      lines.add(`In ClusterSecretStore \`${plan.answers.secretStore}\`: key \`${plan.name}/<cluster>/${name}\` with properties ${keysOf(specs[0])} (${readers}${what}).`);
    }
  } else {
    // Those already in the repository (encrypted or sealed on an earlier run) are provided.
    for (const s of secretSpecs(plan).filter((x) => !plan.secretFiles.has(secretPath(x, plan.secrets)))) {
      lines.add(`Secret \`${s.name}\` in namespace \`${s.namespace}\` (${keysOf(s)}): ${s.description}; generate it ${plan.secrets === 'sops' ? 'encrypted' : 'sealed'} by re-running haven-plus with the values.`);
    }
  }
  // (Without an age recipient, the key pair comes first: ageKeyFirst.)
  if (plan.secrets === 'sops' && !noRecipientYet(plan)) lines.add(`On each cluster, Secret \`${SOPS_AGE_SECRET}\` in \`flux-system\` with the age private key that opens the \`*.sops.yaml\` files.`);
  if (plan.secrets === 'external-secrets' && lines.size > 0) lines.add(`On each cluster, the ClusterSecretStore \`${plan.answers.secretStore}\` (it holds the credentials of your store, so it is not in git).`);
  return [...lines];
}

function objectStorageSummary(cluster: PlannedCluster): string {
  const os = cluster.objectStorage;
  if (!os) return '-';
  return objectStorageTitle(os);
}

/** A directory tree of the repository, three levels deep, for the README. */
function layout(files: FileSet): string {
  const dirs = new Set<string>();
  for (const path of files.paths()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length && i <= 3; i++) dirs.add(parts.slice(0, i).join('/') + '/');
  }
  return [...dirs]
    .sort()
    .map((d) => {
      const parts = d.split('/').filter(Boolean);
      return `${'  '.repeat(parts.length - 1)}${parts.at(-1)}/`;
    })
    .join('\n');
}

/** The shared overlays of a per-profile repository, by name. */
function profileNames(files: FileSet): string[] {
  return [...new Set(files.paths().filter((p) => p.split('/')[3] === PROFILES_DIR && p.startsWith('infrastructure/')).map((p) => p.split('/')[4]))].sort();
}

/** Per environment, the version each release runs there (held ones marked), and where that line is. */
function environmentVersionsDoc(plan: Plan) {
  if (plan.environments.length === 0) return undefined;
  const rows = plan.components.flatMap(({ def }) =>
    (def.controller?.releases ?? []).flatMap((r) => {
      const running = plan.environments.map((e) => clustersIn(plan, def.id, e).length > 0);
      if (!running.some(Boolean)) return [];
      const cells = plan.environments.map((e, i) => {
        if (!running[i]) return '-';
        const version = releaseVersion(plan, r, e);
        return version === r.version ? `\`${version}\`` : `**\`${version}\`** (held)`;
      });
      return [{ component: def.id, release: r.name, cells }];
    }),
  );
  const hub = plan.hub !== undefined;
  return { environments: plan.environments, first: plan.environments[0], last: plan.environments.at(-1), rows, flux: plan.engine === 'flux', argocd: plan.engine === 'argocd' && !hub, hub: hub ? fleetDir(plan.hub!) : undefined };
}

/**
 * The namespaces each component runs in, as rendered (component id → namespaces): those its objects under
 * `infrastructure/<id>/` are in or make (and a HelmRelease's targetNamespace), and the destinations of the
 * Argo CD Applications that read them. None where it deploys nothing to the cluster (the provider's object
 * storage, say).
 */
function componentNamespaces(files: FileSet): Map<string, string[]> {
  const found = new Map<string, Set<string>>();
  const add = (id: string, ns: unknown) => {
    if (typeof ns === 'string') found.set(id, (found.get(id) ?? new Set()).add(ns));
  };
  // One pass over the files: a component's own, and the Applications (which name the paths they read).
  for (const path of files.paths()) {
    if (!/\.ya?ml$/.test(path)) continue;
    const own = /^infrastructure\/([^/]+)\//.exec(path)?.[1];
    if (own === undefined && !/^clusters\/[^/]+\/apps\//.test(path)) continue;
    for (const o of objectsOf(files.get(path)!)) {
      if (own !== undefined) {
        if (o.kind === 'Namespace') add(own, o.metadata?.name);
        else if (o.kind !== 'HelmRelease' && o.kind !== 'HelmRepository' && o.kind !== 'OCIRepository' && o.kind !== 'Kustomization') add(own, o.metadata?.namespace);
        if (o.kind === 'HelmRelease') add(own, o.spec?.targetNamespace ?? o.metadata?.namespace);
      } else if (o.kind === 'Application') {
        const ns = (o.spec?.destination as { namespace?: unknown } | undefined)?.namespace;
        for (const m of JSON.stringify(o.spec ?? {}).matchAll(/infrastructure\/([^/"]+)\//g)) add(m[1], ns);
      }
    }
  }
  return new Map([...found].map(([id, set]) => [id, [...set].sort()]));
}

/** `stagePaths`: the directory each Flux stage Kustomization builds (`<cluster>/<stage id>`), when not the cluster's own overlay. */
export function renderDocs(files: FileSet, plan: Plan, stagePaths?: ReadonlyMap<string, string>): void {
  registerPartial('provide', join(TEMPLATES_DIR, 'engines', 'provide.md.hbs'));
  registerPartial('sandbox', join(TEMPLATES_DIR, 'engines', 'sandbox.md.hbs'));
  registerPartial('fluxTokenSecret', join(TEMPLATES_DIR, 'engines', 'flux', 'token-secret.md.hbs'));
  // Flux clones only http(s):// and ssh:// URLs (see fluxGitUrl); Argo CD also takes the scp-like form as given.
  const remote = (plan.gitRemote && (plan.engine === 'flux' ? fluxGitUrl(plan.gitRemote) : plan.gitRemote)) ?? REMOTE_PLACEHOLDER;
  const releases = plan.components.flatMap(({ def }) =>
    (def.controller?.releases ?? []).map((r) => ({ component: def.title, name: r.name, chart: r.chart, version: r.version, url: r.source.url, images: r.images })),
  );
  // Checks some cluster covers with components of this repository (the full map is docs/haven-compliance.md).
  const covered = new Map<string, Set<string>>();
  for (const cluster of plan.clusters) {
    for (const s of clusterCompliance(plan, cluster)) {
      if (s.coverage !== 'repository') continue;
      const set = covered.get(s.check.title) ?? new Set<string>();
      for (const c of s.components) set.add(c);
      covered.set(s.check.title, set);
    }
  }
  const checks = [...covered].map(([title, components]) => ({ title, components: [...components] }));

  // A hub's registrations, by cluster: each other cluster's README points at its own.
  const hub = plan.clusters.find((c) => c.name === plan.hub);
  const hubSecrets = hub ? secretsDoc(plan, hub, files).items : [];
  const registrations = new Map(hubSecrets.flatMap((i) => (i.labels?.[CLUSTER_LABEL] ? [[i.labels[CLUSTER_LABEL], i] as const] : [])));
  // The remote's SSH host, where Argo CD's chart does not know its key (one for every cluster).
  const ssh = argocdSshHost(plan);
  const sshHost = ssh && { ...ssh, bracketed: ssh.port !== 22 };
  for (const cluster of plan.clusters) {
    const checks = [...cluster.provider.check, ...(cluster.storageClass ? [] : ['no StorageClass is set: volumes use the cluster default class.'])];
    const context = {
      plan,
      cluster,
      remote,
      // The placeholder of a repository without a remote is not one: no deploy-key lines for it.
      remoteIsSsh: plan.gitRemote !== undefined && isSshRemote(plan.gitRemote),
      forge: forgeOf(plan.gitRemote),
      checks,
      secrets: secretsDoc(plan, cluster, files),
      stages: clusterStages(plan, cluster).map((s) => ({ ...s, path: stagePaths?.get(`${cluster.name}/${s.id}`) ?? `${componentPath(s.component, s.stage)}/overlays/${cluster.name}` })),
      // By wave, as Argo CD syncs them (dependency order within a wave).
      apps: plan.engine === 'argocd' ? clusterApps(plan, cluster).sort((a, b) => a.wave - b.wave) : [],
      argocd: argocdBootstrap(plan),
      sshHost,
      // Argo CD Applications that stay Progressing until a Secret the user provides is in git.
      secretApps: plan.engine === 'argocd' && plan.secrets !== 'external-secrets' ? secretApplications(plan, cluster) : [],
      sandbox: cluster.sandbox ? { plan, cluster, checks, registry: sandboxRuntime(plan).registry.name, runtime: sandboxRuntime(plan), ...sandboxFacts(plan, cluster) } : undefined,
    };
    const spoke = plan.hub !== undefined && plan.hub !== cluster.name;
    const fleet = plan.hub === cluster.name ? fleetDoc(plan, registrations) : undefined;
    const registration = spoke ? registrations.get(cluster.name) : undefined;
    const template = spoke ? 'spoke-README.md.hbs' : 'cluster-README.md.hbs';
    const readme = renderTemplate(join(TEMPLATES_DIR, 'engines', plan.engine, template), { ...context, fleet, hub: plan.hub, fleetDir: plan.hub && fleetDir(plan.hub), registration });
    // The tools its own shell blocks run, in its "Before you start".
    const tools = toolsLine(readme);
    files.add(`clusters/${cluster.name}/README.md`, readme.replace(/^- <!-- tools -->\n/m, tools ? `- ${tools}\n` : ''));
  }

  const namespaces = componentNamespaces(files);
  const context = {
    plan,
    engineTitle: ENGINE_TITLES[plan.engine],
    clusters: plan.clusters.map((c) => ({ name: c.name, environment: c.environment, providerTitle: c.provider.title, objectStorageSummary: objectStorageSummary(c), components: c.components })),
    environments: plan.clusters.some((c) => c.environment),
    profiles: profileNames(files),
    components: plan.components.map(({ def, reasons }) => ({ title: def.title, reasons, replaces: def.replaces.length ? def.replaces : ['-'], namespaces: namespaces.get(def.id) ?? [] })),
    releases,
    environmentVersions: environmentVersionsDoc(plan),
    objectStorage: plan.clusters
      .filter((c) => c.objectStorage)
      .map((c) => ({ cluster: c.name, ...c.objectStorage!, buckets: c.objectStorage!.bucketList })),
    images: [...new Set(releases.flatMap((r) => r.images))].sort(),
    databases: plan.databases,
    // Each line under the component that needs it ("A metrics pipeline that scrapes it" says what "it" is).
    provide: [...new Set([...ageKeyFirst(plan), ...plan.components.flatMap(({ def }) => def.provide.filter((p) => provideApplies(p, plan)).map((p) => `**${def.title}**: ${p.text}`)), ...secretsToProvide(plan)])],
    havenChecks: checks,
    layout: layout(files),
    ci: plan.answers.ci.map((c) => (c === 'gitlab' ? 'GitLab CI' : 'GitHub Actions')),
    secretsSummary: noRecipientYet(plan) ? 'Secrets will be files encrypted with SOPS/age (`*.sops.yaml`) for the age recipients in `.sops.yaml`, which a run with `--age-generate` or `--age-recipient` writes; Flux decrypts them in the cluster.' : SECRETS_SUMMARY[plan.secrets],
    sandbox: plan.clusters.filter((c) => c.sandbox).map((c) => c.name),
    sandboxRuntime: sandboxRuntime(plan).title,
  };
  files.add('README.md', renderTemplate(join(TEMPLATES_DIR, 'repo', 'README.md.hbs'), context));
}

/** Whether a `provide` entry applies to these answers: its `when`, by answer name, against the resolved answers (defaults applied). */
function provideApplies(p: { when?: Record<string, string> }, plan: Plan): boolean {
  const answers = plan.answers as unknown as Record<string, unknown>;
  return Object.entries(p.when ?? {}).every(([answer, value]) => String(answers[answer.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())]) === value);
}

/**
 * Host, owner (group path) and project of a remote, for `flux bootstrap gitlab|github`, which take them
 * as flags (--hostname for a self-hosted GitLab); undefined where the remote has no such path.
 */
export function forgeOf(remote: string | undefined): { hostname: string; owner: string; repository: string; github: boolean } | undefined {
  const url = remote === undefined ? undefined : fluxGitUrl(remote);
  const m = url === undefined ? null : /^(?:https?|ssh):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  return m ? { hostname: m[1], owner: m[2], repository: m[3], github: m[1] === 'github.com' } : undefined;
}
