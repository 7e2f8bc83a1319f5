/**
 * The validation pipeline over a FileSet (in memory, before writing; or read from disk):
 * YAML → kustomize builds → strict schemas with CEL → references per cluster → chart values.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { loadCatalog, type Catalog } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import { append, buildKustomization, get, kustomizationFile, listOf, objectKey, objectsOf, parsedText, setOwn, type BuildResult, type K8sObject } from './build.js';
import { error, unverified, warning, type Finding, type MustCreate } from './findings.js';
import { filesKustomizeReads } from './kustomize.js';
import { checkReferences } from './references.js';
import { argoRelease, argoSourcePointers, fluxRelease, type Release } from './releases.js';
import { isSopsEncrypted, scanForSecrets, SOPS_VALUE, sopsEncryptedIdentity } from './secret-scan.js';
import { schemasFromCrd } from './crd-schema.js';
import { BUNDLED_SCHEMAS, nameProblems, resolveLocations, SchemaRegistry, validGroupVersionKind, type SchemaHit } from './schemas.js';
import { validateStructure } from './structure.js';
import { argoInHelm, blame, discoverClusters, handStep, TEMPLATE_FILE, type ClusterView } from './topology.js';
import { ChartLibrary, resolveChartDirs } from './values.js';
import { passThroughValues } from '../chart-facts.js';
import type { MadeElsewhere } from './elsewhere.js';
import { checkApplicationChart, dockerHubImages, dockerHubPulls, registryMirrorOf, undocumentedDecryptionSecrets } from './facts.js';

export interface ValidateOptions {
  schemaLocations?: string[];
  chartData?: string[];
  /** Build output from kubectl for kustomizations the in-memory builder does not support (dir → YAML; null: kubectl failed, and said why). */
  kubectlBuilds?: Map<string, string | null>;
  registry?: SchemaRegistry;
  charts?: ChartLibrary;
  catalog?: Catalog;
  /** Told of each kustomization (directory, '.' for the root) that uses what the offline builder does not implement. */
  onUnsupported?: (dir: string) => void;
  /** A Docker Hub mirror nothing may bypass; default: the repository's answers (.yo-rc.json registry-mirror). */
  registryMirror?: string;
  /** The repository's own URLs (its git remotes): sources and generators that name them read this repository. */
  repositoryUrls?: string[];
  /** The name of the checkout's directory (a clone is named after its repository): a hint where no remote names it. */
  checkoutName?: string;
  /** Objects made outside the repository (`--exists`), taken to exist on every cluster. */
  exists?: MadeElsewhere[];
}

export interface ClusterSummary {
  name: string;
  root: string;
  engine: 'flux' | 'argocd';
  how: string;
}

export interface Report {
  findings: Finding[];
  mustCreate: MustCreate[];
  /** The clusters found, and how. */
  clusters: ClusterSummary[];
  stats: { files: number; objects: number; kustomizations: number; schemas: number; celRules: number; celNotEvaluated: number; chartValues: number };
  notes: string[];
}

/** Plain scalars YAML 1.1 (which sigs.k8s.io/yaml follows) reads as booleans, where a string may be meant: in the files such a reader parses as written. */
function yaml11Booleans(files: FileSet, which: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const [file, text] of files.entries()) {
    if (!which.has(file) || !/\.ya?ml$/.test(file)) continue;
    for (const b of parsedText(text).booleans) {
      findings.push(error('yaml', file, `${JSON.stringify(b.value)}${b.line ? ` (line ${b.line})` : ''} is a boolean in YAML 1.1, which Kubernetes reads: quote it if a string is meant`));
    }
  }
  return findings;
}

let emittedKinds: Set<string> | undefined;
/** Kinds the generator emits (their schemas ship in the package): a missing schema for them is an error. */
function generatorKinds(): Set<string> {
  if (!emittedKinds) {
    const index = join(BUNDLED_SCHEMAS, 'INDEX.json');
    const entries = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as { apiVersion: string; kind: string }[]) : [];
    emittedKinds = new Set(entries.map((e) => `${e.apiVersion}/${e.kind}`));
  }
  return emittedKinds;
}

/** API groups of configuration files that are not Kubernetes objects (kind's and k3d's cluster configs): no Kubernetes naming rules. */
const CONFIG_FILE_GROUPS = new Set(['kind.x-k8s.io', 'k3d.io']);

/**
 * The versions the pinned engines serve, per group (and kind where they differ): flux2 v2.9.2's controllers'
 * CRDs (source-controller v1.9.3, kustomize-controller v1.9.3, helm-controller v1.6.2, notification-controller
 * v1.9.2, image-reflector/automation v1.2.3, source-watcher v2.2.2; config/crd/bases: every older version is
 * gone from spec.versions) and Argo CD v3.2 (v1alpha1 of Application, ApplicationSet and AppProject). Any other
 * version is refused by the API server.
 */
const SERVED: Record<string, { engine: string; versions: string[]; byKind?: Record<string, string[]> }> = {
  'source.toolkit.fluxcd.io': { engine: 'Flux 2.9', versions: ['v1'] },
  'kustomize.toolkit.fluxcd.io': { engine: 'Flux 2.9', versions: ['v1'] },
  'helm.toolkit.fluxcd.io': { engine: 'Flux 2.9', versions: ['v2'] },
  'notification.toolkit.fluxcd.io': { engine: 'Flux 2.9', versions: [], byKind: { Alert: ['v1beta3'], Provider: ['v1beta3'], Receiver: ['v1'] } },
  'image.toolkit.fluxcd.io': { engine: 'Flux 2.9', versions: ['v1'] },
  'source.extensions.fluxcd.io': { engine: 'Flux 2.9', versions: ['v1beta1'] },
  // Argo CD's own kinds only: the group is shared (the argocd-operator's ArgoCD serves v1beta1, Rollouts and Workflows their own).
  'argoproj.io': { engine: 'Argo CD 3.2', versions: [], byKind: { Application: ['v1alpha1'], ApplicationSet: ['v1alpha1'], AppProject: ['v1alpha1'] } },
};

/** What the repository says about the Flux it installs: the CRDs it commits, or the version it pins. */
export interface InstalledFlux {
  /** group/Kind → served versions, from CustomResourceDefinitions the clusters apply (gotk-components.yaml). */
  served: Map<string, { versions: string[]; file: string }>;
  /** The version it pins, older than the data here: `# Flux Version:` of gotk-components.yaml, a flux-manifests tag, a FluxInstance's distribution. */
  older?: { version: string; file: string };
}

/** kustomize-controller's StrictPostBuildSubstitutions feature gate as a cluster's Deployment of it sets it (`--feature-gates=…`), if it does. */
function strictGate(objects: K8sObject[]): boolean | undefined {
  for (const o of objects) {
    if (o.kind !== 'Deployment' || o.metadata?.name !== 'kustomize-controller') continue;
    for (const c of listOf<{ args?: unknown }>(get(o, 'spec.template.spec.containers'))) {
      for (const arg of listOf<unknown>(c?.args)) {
        const m = typeof arg === 'string' ? /^--feature-gates=.*\bStrictPostBuildSubstitutions=(true|false)\b/.exec(arg) : null;
        if (m) return m[1] === 'true';
      }
    }
  }
  return undefined;
}

/**
 * The Flux installs a step run by hand applies (SovereignCloudStack/moin-cluster-config's deploy scripts:
 * `kubectl apply -f flux/installation/flux-installation.yaml`, then the cluster's roots), with their files.
 */
function handInstalledFlux(files: FileSet): { installed: InstalledFlux; file: string }[] {
  const found: { installed: InstalledFlux; file: string }[] = [];
  for (const file of files.paths().filter((p) => /\.ya?ml$/.test(p)).sort()) {
    const text = files.get(file) ?? '';
    if (!/^# Flux Version: /m.test(text.slice(0, 1024)) || handStep(files, file) === undefined) continue;
    const installed = installedFlux(objectsOf(text).map((object) => ({ object, file })), files, new Set([file]));
    if (installed.older || installed.served.size > 0) found.push({ installed, file });
  }
  return found;
}

/** The file a step run by hand is in (handStep says `<file>: <line>`). */
const stepDocument = (step: string) => step.slice(0, step.indexOf(': '));
const SCRIPT = /\.sh$|(^|\/)(Taskfile[^/]*\.ya?ml|Makefile|justfile)$/;

/**
 * The Flux a cluster runs, as far as the repository says: what the cluster applies; else what flux bootstrap
 * installed from the cluster's `flux-system/gotk-components.yaml`, which it applies itself before the sync
 * whether or not the sync lists it again (fluxcd/flux2 pkg/bootstrap/bootstrap_plain_git.go,
 * ReconcileComponents, then ReconcileSyncConfig); else a Flux installed by hand from the same script or README
 * that applies this cluster's sync (or, a script, names its directory). Another cluster's older pin says
 * nothing of this one (a fleet mid-upgrade).
 */
function clusterFlux(view: ClusterView, files: FileSet, byHand: { installed: InstalledFlux; file: string }[]): InstalledFlux {
  const own = installedFlux(view.placed, files, new Set(view.placed.map((p) => p.file)));
  if (view.engine !== 'flux' || own.older || own.served.size > 0) return own;
  const bootstrapDirs = new Set([posix.dirname(view.bootstrap.file), posix.join(view.root, 'flux-system')]);
  for (const dir of [...bootstrapDirs].sort()) {
    const file = posix.join(dir, 'gotk-components.yaml');
    const text = files.get(file);
    if (text === undefined) continue;
    const bootstrapped = installedFlux(objectsOf(text).map((object) => ({ object, file })), files, new Set([file]));
    if (bootstrapped.older || bootstrapped.served.size > 0) return bootstrapped;
  }
  if (byHand.length === 0) return own;
  // The documents that set this cluster up: those applying its files, and scripts naming its directory
  // (`kubectl apply -k clusters/staging/flux-system`).
  const docs = new Set([view.bootstrap.file, ...new Set(view.placed.map((p) => p.file))].map((f) => handStep(files, f)).filter((st) => st !== undefined).map(stepDocument));
  const dirs = [view.root, posix.dirname(view.bootstrap.file)].filter((d) => d !== '' && d !== '.');
  const names = (text: string) => dirs.some((d) => new RegExp(`(^|[\\s'"=])(\\./)?${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|[\\s'"]|$)`, 'm').test(text));
  for (const p of files.paths()) if (SCRIPT.test(p) && names(files.get(p) ?? '')) docs.add(p);
  // The install one of them applies too.
  return byHand.find((h) => [...docs].some((d) => (files.get(d) ?? '').includes(h.file)))?.installed ?? own;
}

/** The Flux minor the served-version table holds. */
const FLUX_DATA = { major: 2, minor: 9 };

/** What `subjects` install; `headers`: the files whose `# Flux Version:` header counts (a cluster's own). */
function installedFlux(subjects: { object: K8sObject; file: string }[], files: FileSet, headers?: Set<string>): InstalledFlux {
  const served = new Map<string, { versions: string[]; file: string }>();
  let pinned: { version: string; file: string } | undefined;
  let labelled: { version: string; file: string } | undefined;
  for (const { object, file } of subjects) {
    if (object.kind === 'CustomResourceDefinition' && String(get(object, 'spec.group')).endsWith('.fluxcd.io')) {
      const versions = listOf<{ name?: unknown; served?: unknown }>(get(object, 'spec.versions')).filter((v) => v?.served === true && typeof v.name === 'string').map((v) => String(v.name));
      served.set(`${String(get(object, 'spec.group'))}/${String(get(object, 'spec.names.kind'))}`, { versions, file });
    }
    const url = get(object, 'spec.url');
    const tag = get(object, 'spec.ref.tag');
    if (!pinned && object.kind === 'OCIRepository' && typeof url === 'string' && /\/flux-manifests$/.test(url) && typeof tag === 'string') pinned = { version: tag, file };
    const distribution = get(object, 'spec.distribution.version');
    if (!pinned && object.kind === 'FluxInstance' && typeof distribution === 'string') pinned = { version: distribution, file };
    // flux install's objects carry the version they are of (app.kubernetes.io/part-of: flux), also where a
    // kubectl build no longer says which file they came from.
    const labels = object.metadata?.labels as Record<string, unknown> | undefined;
    if (!labelled && labels?.['app.kubernetes.io/part-of'] === 'flux' && typeof labels['app.kubernetes.io/version'] === 'string') labelled = { version: labels['app.kubernetes.io/version'], file };
  }
  pinned ??= labelled;
  if (!pinned) {
    for (const [file, text] of headers ? [...headers].sort().map((f) => [f, files.get(f) ?? ''] as const) : files.entries()) {
      const m = /^# Flux Version: (v?\d+\.\d+\.\d+)\s*$/m.exec(text.slice(0, 1024));
      if (m) {
        pinned = { version: m[1], file };
        break;
      }
    }
  }
  const v = pinned && /^v?(\d+)\.(\d+)\./.exec(pinned.version);
  const older = v && (Number(v[1]) < FLUX_DATA.major || (Number(v[1]) === FLUX_DATA.major && Number(v[2]) < FLUX_DATA.minor)) ? pinned : undefined;
  return { served, older };
}

/**
 * An engine's kind at a version its CRDs no longer serve (helm.toolkit.fluxcd.io/v2beta1, …): an error, by
 * the CRDs the repository installs where it commits them, else by those of Flux 2.9; a warning where the
 * repository pins an older Flux (whose CRDs may still serve it).
 */
function unservedVersion(apiVersion: string, kind: string, installed?: InstalledFlux): { severity: 'error' | 'warning'; message: string } | undefined {
  const [group, version] = apiVersion.split('/');
  const own = installed?.served.get(`${group}/${kind}`);
  if (own && version !== undefined) {
    return own.versions.includes(version) ? undefined : { severity: 'error', message: `${apiVersion} is not served by the ${kind} CRD this repository installs (${own.file} serves ${own.versions.join(', ') || 'nothing'}): the API server refuses it with "no matches for kind"` };
  }
  const served = SERVED[group];
  if (!served || version === undefined) return undefined;
  const versions = served.byKind?.[kind] ?? served.versions;
  if (versions.length === 0 || versions.includes(version)) return undefined;
  const write = `write ${group}/${versions.at(-1)}${served.engine.startsWith('Flux') ? ' (`flux migrate` rewrites manifests)' : ''}`;
  if (served.engine.startsWith('Flux') && installed?.older) {
    return { severity: 'warning', message: `${apiVersion} is not served by ${served.engine} (its ${kind} CRD serves ${versions.join(', ')} only); this repository installs Flux ${installed.older.version} (${installed.older.file}), whose CRDs this check has no data for: before upgrading Flux, ${write}` };
  }
  return { severity: 'error', message: `${apiVersion} is not served by ${served.engine} (its ${kind} CRD serves ${versions.join(', ')} only): the API server refuses it with "no matches for kind"; ${write}` };
}

/**
 * `installs`: what each cluster that applies the object installs (one entry where no cluster does). The
 * version must be served on every one of them: an error on any is the finding, else a warning on any.
 * `ownCrd`: the schema of the object's kind and version in a CustomResourceDefinition the clusters that apply it
 * apply too, which is what their API servers serve (neco-apps' Rook 1.5 CRDs, older than the bundled schema).
 */
function schemaFindings(registry: SchemaRegistry, object: K8sObject, file: string, installs: { installed: InstalledFlux; cluster?: string }[], ownCrd?: () => SchemaHit | undefined): { findings: Finding[]; checked: boolean } {
  const id = objectKey(object);
  // An object SOPS encrypted down to what names it (an ENC[…] apiVersion, kind, name or namespace) is known
  // only when kustomize-controller decrypts it to apply it (internal/decryptor/decryptor.go DecryptResource):
  // nothing here can say what it is.
  const hidden = sopsEncryptedIdentity(object);
  if (hidden.length > 0) {
    return { findings: [warning('schema', file, `its ${hidden.join(', ')} ${hidden.length > 1 ? 'are' : 'is'} SOPS-encrypted, so what it is is known only when kustomize-controller decrypts it to apply it: not validated`)], checked: false };
  }
  if (!validGroupVersionKind(object.apiVersion!, object.kind!)) {
    return { findings: [error('schema', file, `apiVersion ${JSON.stringify(object.apiVersion)} and kind ${JSON.stringify(object.kind)} are not names the API server accepts (group/version, an alphanumeric kind)`, { object: id, path: '/kind' })], checked: false };
  }
  const verdicts = installs.map(({ installed, cluster }) => ({ cluster, unserved: unservedVersion(object.apiVersion!, object.kind!, installed) }));
  const worst = verdicts.find((v) => v.unserved?.severity === 'error') ?? verdicts.find((v) => v.unserved);
  if (worst?.unserved) {
    // Where the clusters that apply it differ, the finding names the one it is about.
    const differ = worst.cluster !== undefined && verdicts.some((v) => v.unserved?.message !== worst.unserved!.message);
    const message = differ ? `on cluster ${worst.cluster}: ${worst.unserved.message}` : worst.unserved.message;
    return { findings: [(worst.unserved.severity === 'error' ? error : warning)('schema', file, message, { object: id, path: '/apiVersion' })], checked: false };
  }
  const configFile = CONFIG_FILE_GROUPS.has(object.apiVersion!.split('/')[0]);
  // A name a tool fills in later: Flux's `${VAR}`, or a template token (`<WORKLOAD_CLUSTER_NAME>`, kubefirst's).
  const placeholder = (v: unknown) => typeof v === 'string' && (v.includes('${') || /<[A-Z][A-Z0-9_]*>/.test(v));
  const findings: Finding[] = configFile || placeholder(object.metadata?.name) || placeholder(object.metadata?.namespace) ? [] : nameProblems(object.kind ?? '', object.metadata, object.apiVersion).map((p) => error('schema', file, p.message, { object: id, path: p.path }));
  const hit = registry.get(object.apiVersion!, object.kind!);
  if (!hit) {
    const emitted = generatorKinds().has(`${object.apiVersion}/${object.kind}`);
    const message = `no schema found for ${object.apiVersion} ${object.kind} in ${registry.locations.join(', ')}`;
    findings.push(emitted ? error('schema', file, message, { object: id }) : warning('schema', file, `${message}: not validated`, { object: id }));
    return { findings, checked: false };
  }
  // A SOPS-encrypted Secret, or an object of any kind with sops.mac (kustomize-controller v1.9.4
  // internal/decryptor/decryptor.go: DecryptResource decrypts whatever isSOPSEncryptedResource finds, and
  // the decrypted object has no `sops`): check its structure, not the sops block or the encrypted values
  // (a Secret's non-base64 data; elsewhere an ENC[…] that decrypts to a string, a number or a boolean).
  // Null fields go before validation, as the API server prunes a custom resource's (apiextensions-apiserver:
  // structuraldefaulting.PruneNonNullableNullsWithoutDefaults; `kustomize:` left empty is no error) and the
  // built-in kinds' decoding skips them (their schemas allow null where the field is optional).
  const encrypted = isSopsEncrypted(object);
  const withoutSops = () => Object.fromEntries(Object.entries(object).filter(([k]) => k !== 'sops'));
  const subject =
    object.kind === 'Secret' && 'sops' in object
      ? { ...withoutSops(), ...(object.data ? { data: Object.fromEntries(Object.keys(object.data as object).map((k) => [k, ''])) } : {}) }
      : withoutNullFields(encrypted ? withoutSops() : object);
  // A value Flux substitutes later (`${VAR}` whose value this repository does not hold), or one SOPS
  // encrypted, is not judged by its placeholder.
  const unresolved = (pointer: string) => {
    let v: unknown = subject;
    for (const seg of pointer.split('/').slice(1)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[seg.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    return typeof v === 'string' && (/\$\{[^}]*\}/.test(v) || (encrypted && SOPS_VALUE.test(v)));
  };
  // `status` is the controller's: the API server drops it from what is applied to a kind with the status
  // subresource (apiextensions-apiserver customresource/strategy.go PrepareForCreate and PrepareForUpdate;
  // every built-in kind with a status), which is nearly every kind a repository holds (MetalLB's
  // IPAddressPool written with `status: {}`). Not judged.
  const ownStatus = (pointer: string) => pointer === '/status' || pointer.startsWith('/status/');
  // Where the bundled schema refuses it, the repository's own CRD of the kind, if it has one, is the authority.
  const bundledValid = hit.validate(subject);
  const own = bundledValid ? undefined : ownCrd?.();
  const judge = own ?? hit;
  if (!(own ? own.validate(subject) : bundledValid)) {
    for (const e of (judge.validate.errors ?? []).filter((x) => !unresolved(x.instancePath) && !ownStatus(x.instancePath))) {
      const params = e.params as Record<string, unknown>;
      const detail =
        e.keyword === 'additionalProperties' ? `unknown field ${JSON.stringify(params.additionalProperty)}` :
        e.keyword === 'enum' ? `${e.message}: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` :
        e.message ?? 'is invalid';
      findings.push(error('schema', file, `${e.instancePath || '/'}: ${detail}${own ? ` (${own.source})` : ''}`, { object: id, path: e.instancePath || '/' }));
    }
  }
  return { findings, checked: true };
}

/** A copy without the null-valued fields of its mappings (list items stay). */
function withoutNullFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutNullFields(v)) as T;
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setOwn(out, k, withoutNullFields(v));
  return out as T;
}

/**
 * Schema validators and chart data, compiled and read once per process for each set of locations: a
 * process that validates many repositories (the generator, a test suite, a fleet's CI job in one run)
 * compiles each schema once. The data under a location is taken as unchanged while the process runs.
 */
const perLocations = <T>(make: (locations: string[]) => T) => {
  const made = new Map<string, T>();
  return (locations: string[]): T => {
    const key = locations.join('\0');
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(locations)));
    return value;
  };
};
const sharedRegistry = perLocations((locations) => new SchemaRegistry(locations));
const sharedCharts = perLocations((dirs) => new ChartLibrary(dirs));

export { ociChartName } from './releases.js';

export async function validateFiles(files: FileSet, options: ValidateOptions = {}): Promise<Report> {
  const catalog = options.catalog ?? loadCatalog();
  const registry = options.registry ?? sharedRegistry(resolveLocations(options.schemaLocations));
  const charts = options.charts ?? sharedCharts(resolveChartDirs(options.chartData));
  // This run's CEL counts (a registry shared by runs in one process counts all of them).
  const cel = { evaluated: registry.cel.evaluated, notEvaluated: registry.cel.notEvaluated };
  const notes: string[] = [];
  // Templates a tool renders before any cluster reads them (gitops-playground's FreeMarker `*.ftl.yaml`,
  // `*.tpl.yaml`, `*.j2.yaml`): not taken as roots or objects nothing applies; what a kustomization or a
  // Flux path reads of them is still read, and the secret scan reads them all.
  const templates = files.paths().filter((p) => TEMPLATE_FILE.test(p));
  // Builds: in memory, or kubectl's output where the kustomization uses what the builder does not do.
  const builtDirs = new Set<string>();
  const kustomize = (dir: string): BuildResult => {
    builtDirs.add(dir);
    const build = buildKustomization(files, dir);
    if (build.unsupported.length > 0) {
      options.onUnsupported?.(dir || '.');
      const output = options.kubectlBuilds?.get(dir || '.');
      const file = kustomizationFile(files, dir) ?? `${dir}/kustomization.yaml`;
      // kustomize is the authority where it ran: its output replaces the offline build, and what the offline
      // builder found wrong (a duplicate its unapplied patches would have renamed) goes with it; where it failed, its own error stands.
      if (output !== undefined) {
        build.errors = [];
        if (output !== null) build.objects = objectsOf(output).map((object) => ({ object, origin: file, patchedBy: [] }));
        else build.partial = true;
        // What kubectl read to build it (a patchesStrategicMerge file, say) is no object nothing applies.
        append((build.read ??= []), filesKustomizeReads(dir, (d) => files.get(kustomizationFile(files, d) ?? ''), (p) => files.has(p)));
      } else {
        build.partial = true;
        notes.push(`${dir || '.'}: uses ${[...new Set(build.unsupported)].join(', ')}, which the offline builder does not implement; built without them`);
      }
    }
    return build;
  };
  // What each cluster applies, from its sync objects.
  const topology = discoverClusters(files, kustomize, options.repositoryUrls, options.checkoutName, options.exists);
  const findings: Finding[] = [...topology.findings];
  append(notes, topology.notes);
  const unread = templates.filter((p) => !topology.applied.has(p));
  if (unread.length > 0) notes.push(`${unread.length} template file(s) a tool renders before use not checked as written (${unread.slice(0, 3).join(', ')}${unread.length > 3 ? ', …' : ''})`);
  if (topology.clusters.length === 0) {
    const helm = argoInHelm(files);
    const list = (xs: string[]) => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? `, and ${xs.length - 3} more` : ''}`;
    const where = [helm.templates.length > 0 ? `chart templates (${list(helm.templates)})` : '', helm.values.length > 0 ? `chart values (${list(helm.values)})` : ''].filter(Boolean).join(' and ');
    findings.push(
      error(
        'reference',
        '.',
        where
          ? `no cluster found: no Flux Kustomization or flux-system/ directory, and the Argo CD Applications here are in Helm ${where}, which Helm renders before Argo CD reads them: nothing renders them offline, so nothing they apply is checked. An Application of this repository written as YAML (the root of an app-of-apps) is what validate starts from`
          : 'no cluster found: no Flux Kustomization (kustomize.toolkit.fluxcd.io) or flux-system/ directory, and no Argo CD Application or ApplicationSet: nothing here is applied by Flux or Argo CD',
      ),
    );
  }
  // Cluster configuration files of the sandbox tools (kind, k3d): no cluster applies them, their tools read them.
  const configFiles = files.paths().filter((p) => /\.ya?ml$/.test(p) && !topology.applied.has(p) && objectsOf(files.get(p)!).some((o) => CONFIG_FILE_GROUPS.has(String(o.apiVersion).split('/')[0])));
  const checked = new Set([...topology.applied, ...topology.valueFiles, ...configFiles]);
  const unchecked = files.paths().filter((p) => /\.ya?ml$/.test(p) && !checked.has(p));
  if (unchecked.length > 0 && topology.clusters.length > 0) {
    notes.push(`${unchecked.length} YAML file(s) no cluster applies were not checked (${unchecked.slice(0, 3).join(', ')}${unchecked.length > 3 ? ', …' : ''})`);
  }
  append(findings, validateStructure(files, checked));
  append(findings, yaml11Booleans(files, new Set([...topology.yaml11, ...configFiles])));
  append(findings, scanForSecrets(files, checked));

  // Every object a cluster applies, once (a substituted copy is a different object).
  const subjects: { object: K8sObject; file: string }[] = configFiles.flatMap((file) => objectsOf(files.get(file)!).map((object) => ({ object, file })));
  // Which clusters apply each object: the Flux each installs decides which versions it serves. (Parsed
  // objects are shared between files of the same text: an object is known by its file too.)
  const clustersOf = new Map<string, Map<K8sObject, ClusterView[]>>();
  for (const view of topology.clusters) {
    for (const p of view.placed) {
      let inFile = clustersOf.get(p.file);
      if (!inFile) clustersOf.set(p.file, (inFile = new Map()));
      const views = inFile.get(p.object);
      if (views) {
        if (!views.includes(view)) views.push(view);
        continue;
      }
      inFile.set(p.object, [view]);
      subjects.push({ object: p.object, file: p.file });
    }
  }
  const prefetchNotes = await registry.prefetch(
    [...new Map(subjects.filter((s) => s.object.apiVersion && s.object.kind).map((s) => [`${s.object.apiVersion}/${s.object.kind}`, { apiVersion: s.object.apiVersion!, kind: s.object.kind! }])).values()],
  );
  notes.push(...prefetchNotes);
  const mirror = options.registryMirror ?? registryMirrorOf(files.get('.yo-rc.json'));
  if (mirror) for (const { object, file } of subjects) findings.push(...dockerHubImages(object, file, mirror));
  let schemasChecked = 0;
  const installedBy = new Map<ClusterView, InstalledFlux>();
  const repositoryInstall = installedFlux(subjects, files);
  const byHand = handInstalledFlux(files);
  for (const view of topology.clusters) installedBy.set(view, clusterFlux(view, files, byHand));
  // A variable without a value stops only a strict Flux: kustomize-controller's StrictPostBuildSubstitutions
  // feature gate, on by default from v1.9.0 (Flux 2.9; internal/features/features.go), off before, or as its
  // --feature-gates argument sets it.
  const gates = new Map<ClusterView, boolean | undefined>();
  for (const { view, finding } of topology.unsetVariables) {
    if (!gates.has(view)) gates.set(view, strictGate(view.placed.map((p) => p.object)));
    const gate = gates.get(view);
    const older = installedBy.get(view)?.older;
    if (gate === true || (gate === undefined && !older)) continue;
    finding.severity = 'warning';
    finding.message = finding.message.replace(
      /: Flux stops with .*$/,
      gate === false ? ': kustomize-controller runs with StrictPostBuildSubstitutions=false here, so Flux puts an empty string there' : `: the cluster runs Flux ${older!.version} (${older!.file}), which puts an empty string there (strict substitution, which stops instead, is the default from Flux 2.9 on)`,
    );
  }
  const repositoryInstalls = [{ installed: repositoryInstall }];
  const installsOf = (object: K8sObject, file: string) => {
    const views = clustersOf.get(file)?.get(object) ?? [];
    return views.length === 0 ? repositoryInstalls : views.map((v) => ({ installed: installedBy.get(v)!, cluster: v.name }));
  };
  // The CRDs each cluster applies, by apiVersion/kind of their served versions (made when first asked).
  const crdsOn = new Map<ClusterView, Map<string, { schema: Record<string, unknown>; source: string }>>();
  const crdsOf = (view: ClusterView) => {
    let crds = crdsOn.get(view);
    if (!crds) {
      crdsOn.set(view, (crds = new Map()));
      for (const p of view.placed) {
        if (p.object.kind !== 'CustomResourceDefinition' || p.object.apiVersion !== 'apiextensions.k8s.io/v1') continue;
        try {
          for (const c of schemasFromCrd(p.object)) crds.set(`${c.apiVersion}/${c.kind}`, { schema: c.schema, source: `the repository's CustomResourceDefinition ${p.object.metadata?.name} in ${p.file}` });
        } catch {
          // A CRD without the fields a schema comes from is its own schema's finding.
        }
      }
    }
    return crds;
  };
  // Only where every cluster that applies the object applies such a CRD: elsewhere the bundled schema judges.
  const ownCrdSchema = (object: K8sObject, file: string): SchemaHit | undefined => {
    const crds = (clustersOf.get(file)?.get(object) ?? []).map((view) => crdsOf(view).get(`${object.apiVersion}/${object.kind}`));
    const first = crds[0];
    // (One the validator cannot compile leaves the bundled schema's verdict standing.)
    return first && crds.every((c) => c !== undefined) ? registry.fromSchema(first.schema, first.source) : undefined;
  };
  for (const { object, file } of subjects) {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      findings.push(error('schema', file, 'a document without apiVersion and kind is not a Kubernetes object', { object: objectKey(object) }));
      continue;
    }
    const r = schemaFindings(registry, object, file, installsOf(object, file), () => ownCrdSchema(object, file));
    append(findings, r.findings);
    if (r.checked) schemasChecked++;
  }

  // The Helm releases each cluster runs, read once: values checks, chart facts and the Secrets values name.
  const releasesOf = new Map<ClusterView, Release[]>();
  for (const view of topology.clusters) {
    const list: Release[] = [];
    for (const p of view.placed) {
      const r = p.object.kind === 'HelmRelease' ? fluxRelease(view.placed, p) : undefined;
      if (r) list.push(r);
    }
    if (view.engine === 'argocd') {
      for (const unit of view.units.values()) {
        for (const { s, at } of argoSourcePointers(unit.object)) {
          const r = s?.chart && (typeof s.targetRevision !== 'string' || s.targetRevision.trim() === '') ? undefined : argoRelease(files, unit.file, unit.object, s, at);
          if (r) list.push(r);
        }
      }
    }
    releasesOf.set(view, list);
  }
  const refs = checkReferences(topology, catalog, files.has('.yo-rc.json'), releasesOf);
  append(findings, refs.findings);
  const isFlux = (o: K8sObject) => o.kind === 'Kustomization' && (o.apiVersion ?? '').startsWith('kustomize.toolkit.fluxcd.io/');
  findings.push(
    ...undocumentedDecryptionSecrets(
      subjects.filter((s) => isFlux(s.object)),
      [
        ...subjects.filter((s) => ['Secret', 'SealedSecret', 'ExternalSecret'].includes(s.object.kind ?? '')),
        // A Secret in a file a README or script applies by hand (`sops -d age-key.sops.yaml | kubectl apply -f -`).
        ...files.paths().filter((p) => /\.ya?ml$/.test(p) && handStep(files, p) !== undefined).flatMap((file) => objectsOf(files.get(file)!).filter((o) => o.kind === 'Secret').map((object) => ({ object, file }))),
      ],
      files.entries().filter(([p]) => posix.basename(p) === 'README.md' || p.endsWith('.sh')),
      files.has('.yo-rc.json'),
    ),
  );

  // Chart values: Flux HelmReleases (as built, overlays merged) and Argo CD Helm sources.
  let valuesChecked = 0;
  const catalogReleases = [...catalog.components.values()].flatMap((c) => c.controller?.releases ?? []);
  /** `versionPath`: where the object names the version (the unverified finding points at the file writing it). */
  const checkValues = (file: string, id: string, ref: Parameters<ChartLibrary['find']>[0], values: Record<string, unknown>, path: string, url: string | undefined, versionPath?: string) => {
    if (mirror) findings.push(...dockerHubPulls({ chart: ref.chart, version: ref.version ?? ref.gitRef, url, values }, { file, object: id, path }, mirror));
    const exact = charts.find(ref);
    // A catalog chart known to have no offline data is said once, as a note.
    const unchecked = catalogReleases.find((r) => r.chart === ref.chart && r.version === (ref.version ?? ref.gitRef) && r.valuesUnchecked);
    if (!exact && unchecked) {
      const note = `${ref.chart} ${unchecked.version}: values not checked offline (${unchecked.valuesUnchecked})`;
      if (!notes.includes(note)) notes.push(note);
      return;
    }
    // A version the pinned data does not hold, of a chart it does: checked against the nearest pinned version.
    const near = exact ? undefined : charts.nearest({ ...ref, url });
    const chart = exact ?? near?.chart;
    if (!chart) {
      // A chart in this repository (an Application's path with a Chart.yaml) is said once, as not rendered offline.
      const ownChart = ref.gitRef !== undefined && findings.some((f) => f.file === file && f.check === 'reference' && f.message.includes(` renders the Helm chart in ${ref.chart} (Chart.yaml)`));
      if (!ownChart) findings.push(warning('values', file, `no chart data for ${ref.chart} ${ref.version ?? ref.gitRef ?? '(no version)'}: values not checked`, { object: id }));
      return;
    }
    valuesChecked++;
    // What the catalog knows of the chart it is checked against (values it reads without declaring them).
    const release = catalogReleases.find((r) => r.chart === ref.chart && r.version === (exact ? (ref.version ?? ref.gitRef) : chart.version));
    const passThrough = passThroughValues(ref.chart, exact ? (ref.version ?? ref.gitRef) : chart.version).map((p) => `/${p.value.replaceAll('.', '/')}`);
    const problems = charts.check(chart, values, [...(release?.undeclaredValues ?? []), ...passThrough]);
    if (!near || near.how === 'same') {
      for (const p of problems) findings.push(error('values', file, p.message, { object: id, path: `${path}${p.path === '/' ? '' : p.path}` }));
      return;
    }
    const wanted = ref.version?.trim() || '(no version: the newest)';
    findings.push(
      unverified(
        'values',
        file,
        near.how === 'range'
          ? `${ref.chart} ${wanted} is a range the cluster resolves upstream when it reconciles: values checked against ${chart.version}, the newest pinned version it allows${problems.length ? ` (${problems.length} problem(s), listed as warnings)` : ''}; pin a version the chart data holds, or give the chart's data with --chart-data`
          : `${ref.chart} ${wanted} is not in the pinned chart data: values checked against ${chart.version}, the nearest pinned version${problems.length ? ` (${problems.length} problem(s), listed as warnings)` : ''}; check the version exists, and pin a version the data holds or give that version's chart data with --chart-data`,
        { object: id, ...(versionPath ? { path: versionPath } : {}) },
      ),
    );
    const gets = near.how === 'range' ? `the cluster takes the newest ${ref.chart} ${wanted} upstream` : `the cluster gets ${ref.chart} ${wanted}`;
    for (const p of problems) findings.push(warning('values', file, `${p.message}; ${gets}`, { object: id, path: `${path}${p.path === '/' ? '' : p.path}` }));
  };
  // Each release once, though several clusters run it (an object in a shared directory).
  const valuesSeen = new Map<K8sObject, Set<string>>();
  const firstTime = (object: K8sObject, at = '') => {
    const seen = valuesSeen.get(object) ?? new Set<string>();
    valuesSeen.set(object, seen);
    return !seen.has(at) && seen.add(at) !== undefined;
  };
  for (const view of topology.clusters) {
    for (const r of releasesOf.get(view)!) {
      if (!firstTime(r.object, r.at)) continue;
      checkValues(r.file, objectKey(r.object), r.ref, r.values, r.valuesPath, r.url, r.versionPath);
      if (r.at !== undefined) {
        const projects = view.spoke ? topology.projects : view.placed.filter((p) => p.object.kind === 'AppProject').map((p) => p.object);
        const project = projects.find((p) => p.metadata?.name === ((r.object.spec as { project?: string } | undefined)?.project ?? 'default'));
        findings.push(...checkApplicationChart(r.file, r.object, { chart: r.ref.chart, version: r.ref.version ?? r.ref.gitRef, values: r.values, path: r.at }, project));
      }
    }
    // Argo CD refuses a Helm chart source without targetRevision (util/argo/argo.go: "targetRevision is required if the manifest source is a helm chart").
    if (view.engine !== 'argocd') continue;
    for (const unit of view.units.values()) {
      for (const { s, at } of argoSourcePointers(unit.object)) {
        if (!s?.chart || typeof s.repoURL !== 'string' || (typeof s.targetRevision === 'string' && s.targetRevision.trim() !== '') || !firstTime(unit.object, at)) continue;
        findings.push(error('reference', unit.file, `a Helm chart source needs targetRevision (the chart version or a range): Argo CD refuses the Application without one`, { object: objectKey(unit.object), path: `${at}/targetRevision` }));
      }
    }
  }

  const notEvaluated = registry.cel.notEvaluated - cel.notEvaluated;
  if (notEvaluated > 0) {
    notes.push(`${notEvaluated} CEL rule evaluations were skipped (transition rules, or Kubernetes CEL extensions: ${[...registry.cel.unsupported].join(', ') || 'none'})`);
  }
  // A finding at a path of a built object points at the file that writes that path.
  const origins = new Map<string, { object: K8sObject; origins: string[] }[]>();
  for (const view of topology.clusters) for (const p of view.placed) if (p.origins && p.origins.length > 1) origins.set(objectKey(p.object), [...(origins.get(objectKey(p.object)) ?? []), { object: p.object, origins: p.origins }]);
  for (const f of findings) {
    if (!f.object || !f.path) continue;
    const candidate = origins.get(f.object)?.find((c) => c.origins.at(-1) === f.file);
    if (candidate) f.file = blame(files, candidate.object, candidate.origins, f.path.replace(/^(\/spec\/sources\/\d+\/helm)$/, '$1'));
  }
  return {
    findings: dedupe(aggregateMissingSchemas(findings)),
    // A Secret made outside the repository (--exists) is not one to create.
    mustCreate: refs.mustCreate.filter((m) => !(options.exists ?? []).some((e) => e.kind === m.kind && e.namespace === m.namespace && e.name === m.name)),
    clusters: topology.clusters.map((c) => ({ name: c.name, root: c.root || '.', engine: c.engine, how: c.how })),
    stats: {
      files: checked.size,
      objects: subjects.length,
      kustomizations: builtDirs.size,
      schemas: schemasChecked,
      celRules: registry.cel.evaluated - cel.evaluated,
      celNotEvaluated: notEvaluated,
      chartValues: valuesChecked,
    },
    notes,
  };
}

/**
 * "No schema for this kind" once per kind, at its first object, with how many objects it leaves unchecked:
 * a repository of a few hundred objects of kinds without a schema would otherwise repeat it hundreds of times.
 */
function aggregateMissingSchemas(findings: Finding[]): Finding[] {
  const byMessage = new Map<string, Finding[]>();
  for (const f of findings) if (f.severity === 'warning' && f.check === 'schema' && f.message.startsWith('no schema found for ')) byMessage.set(f.message, [...(byMessage.get(f.message) ?? []), f]);
  const first = new Set([...byMessage.values()].map((list) => list[0]));
  return findings.flatMap((f) => {
    const list = byMessage.get(f.message);
    if (!list || f.severity !== 'warning' || f.check !== 'schema') return [f];
    if (!first.has(f)) return [];
    return [list.length === 1 ? f : { ...f, message: f.message.replace(/: not validated$/, `: ${list.length} objects not validated (this one and ${list.length - 1} more)`) }];
  });
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings
    .filter((f) => {
      const key = `${f.severity}|${f.file}|${f.object ?? ''}|${f.path ?? ''}|${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || (a.object ?? '').localeCompare(b.object ?? '') || (a.path ?? '').localeCompare(b.path ?? '') || a.message.localeCompare(b.message));
}
