/**
 * An in-memory build of the kustomize subset the generator writes (resources, patches by path with
 * an optional target, components, namespace). Every object remembers the file it came from and the patches that
 * changed it, so findings point at files a person can open. A kustomization using anything else is
 * reported as unsupported and built with kubectl instead, where kubectl is available.
 */
import { posix } from 'node:path';
import { isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import type { FileSet } from '../fileset.js';

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BuiltObject {
  object: K8sObject;
  /** File the object was declared in. */
  origin: string;
  /** Patch files that changed it. */
  patchedBy: string[];
  /** The names and namespaces it had before a namespace transformer or a patch renamed it (kustomize's previous ids). */
  previous?: { name?: string; namespace?: string }[];
}

/** Two namespaces are one to kustomize (resid IsNsEquals) where they are the same, or both the default (none or `default`). */
const sameNamespace = (a: string | undefined, b: string | undefined) => (a || 'default') === (b || 'default');

/**
 * The objects a patch without a target selects, as kustomize v5.5.0 does (checked with kubectl kustomize;
 * resmap GetMatchingResourcesByAnyId): apiVersion, kind, name and namespace equal to the object's identity
 * now or to one it had before a base's namespace transformer or a name change. The kustomization's own
 * `namespace:` is set after its patches, so a patch naming that namespace finds no object that had no namespace.
 */
export function patchTargets(objects: BuiltObject[], patch: { apiVersion?: string; kind?: string; name?: string; namespace?: string }): BuiltObject[] {
  return objects.filter((b) => {
    if (b.object.kind !== patch.kind || (patch.apiVersion !== undefined && b.object.apiVersion !== patch.apiVersion)) return false;
    const ids = [{ name: b.object.metadata?.name, namespace: b.object.metadata?.namespace }, ...(b.previous ?? [])];
    return ids.some((id) => id.name === patch.name && sameNamespace(id.namespace, patch.namespace));
  });
}

/** An object given a new name or namespace, its identity before kept for the patches of the kustomizations above. */
function renamed(b: BuiltObject, metadata: { name?: string; namespace?: string }): void {
  const before = { name: b.object.metadata?.name, namespace: b.object.metadata?.namespace };
  const after = { ...b.object.metadata, ...metadata };
  if (after.name === before.name && after.namespace === before.namespace) return;
  b.previous = [...(b.previous ?? []), before];
  b.object = { ...b.object, metadata: after };
}

export interface BuildResult {
  dir: string;
  objects: BuiltObject[];
  /** Fields this builder does not implement (the build must come from kubectl). */
  unsupported: string[];
  errors: { file: string; message: string }[];
  /** Every file the build read (kustomization files, resources, patches), for what a cluster applies. */
  read?: string[];
  /** Remote resources (URLs, git repositories): not fetched offline, so not in `objects`. */
  remote?: string[];
  /** Built without parts the offline builder does not implement and kubectl did not build: what they add is missing. */
  partial?: boolean;
}

/** Whether a resources entry is remote (kustomize v5.5.0 api/internal/git/repospec.go): a URL scheme, `git::`, scp-like `user@host:path`, or `github.com/` (case-insensitive, as Go reads schemes). */
export const isRemote = (ref: string) => /^[a-z][a-z0-9+.-]*:/i.test(ref) || /^[\w.-]+@[\w.-]+:/.test(ref) || /^github\.com[/:]/i.test(ref);

/** The names kustomize recognises for a kustomization file, in its order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The kustomization file of a directory, or undefined. */
export const kustomizationFile = (files: { has(path: string): boolean }, dir: string): string | undefined =>
  KUSTOMIZATION_FILES.map((name) => (dir === '' || dir === '.' ? name : `${dir}/${name}`)).find((f) => files.has(f));

/** Whether a path names a kustomization file. */
export const isKustomizationFile = (path: string) => KUSTOMIZATION_FILES.includes(posix.basename(path));

/** Built-in and platform kinds that are cluster-scoped: no namespace, and kustomize's namespace transformer leaves them alone. */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'ClusterIssuer', 'StorageClass', 'PriorityClass',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'PersistentVolume', 'GatewayClass', 'ClusterSecretStore', 'ClusterPolicy', 'ClusterImageCatalog', 'IngressClass', 'APIService',
  'RuntimeClass', 'CSIDriver', 'VolumeSnapshotClass', 'ClusterExternalSecret', 'ClusterGenerator', 'ClusterPushSecret',
]);

/** Cluster-scoped API groups (every kind of them) of platforms and operators seen in public repositories: OpenShift's. */
const CLUSTER_SCOPED_GROUPS = new Set(['config.openshift.io', 'console.openshift.io', 'machineconfiguration.openshift.io', 'user.openshift.io', 'project.openshift.io']);
/** Cluster-scoped kinds of CRDs by group/kind (a kind's name alone is ambiguous: config.openshift.io's Ingress). */
const CLUSTER_SCOPED_GROUP_KINDS = new Set([
  'security.openshift.io/SecurityContextConstraints', 'oauth.openshift.io/OAuthClient', 'quota.openshift.io/ClusterResourceQuota',
  'operator.openshift.io/Console', 'operator.openshift.io/Network', 'operator.openshift.io/DNS', 'operator.openshift.io/ImageContentSourcePolicy',
  'operator.tekton.dev/TektonConfig', 'tekton.dev/ClusterTask', 'triggers.tekton.dev/ClusterTriggerBinding', 'triggers.tekton.dev/ClusterInterceptor',
  'hostpathprovisioner.kubevirt.io/HostPathProvisioner', 'wgpolicyk8s.io/ClusterPolicyReport', 'cilium.io/CiliumClusterwideNetworkPolicy',
  'cilium.io/CiliumLoadBalancerIPPool', 'cilium.io/CiliumBGPClusterConfig', 'crd.projectcalico.org/GlobalNetworkPolicy', 'karpenter.sh/NodePool',
  'karpenter.k8s.aws/EC2NodeClass', 'snapshot.storage.k8s.io/VolumeSnapshotContent', 'nfd.k8s-sigs.io/NodeFeatureRule', 'pkg.crossplane.io/Provider',
]);

/**
 * Whether an object is cluster-scoped, as far as can be told offline: the built-in and well-known kinds,
 * OpenShift's cluster-scoped groups, and the scope a CustomResourceDefinition in the repository declares
 * (`crdScopes`: group/Kind → spec.scope).
 */
export function clusterScoped(o: K8sObject, crdScopes?: ReadonlyMap<string, string>): boolean {
  const kind = o.kind ?? '';
  const group = groupOf(o.apiVersion);
  const declared = crdScopes?.get(`${group}/${kind}`);
  if (declared !== undefined) return declared === 'Cluster';
  return CLUSTER_SCOPED_KINDS.has(kind) || CLUSTER_SCOPED_GROUPS.has(group) || CLUSTER_SCOPED_GROUP_KINDS.has(`${group}/${kind}`);
}

/**
 * The cluster an Argo CD cluster Secret (label argocd.argoproj.io/secret-type: cluster) registers: its name
 * and server, from stringData or base64 data; undefined for any other object.
 */
export function argoClusterSecret(o: K8sObject): { name?: string; server?: string; project?: string; namespaces?: string[] } | undefined {
  if (o.kind !== 'Secret' || o.metadata?.labels?.['argocd.argoproj.io/secret-type'] !== 'cluster') return undefined;
  const field = (k: string) => secretField(o, k);
  const name = field('name');
  const server = field('server');
  // argo-cd util/db/cluster.go SecretToCluster: `namespaces`, comma-separated; `project` scopes it to one.
  const namespaces = field('namespaces')?.split(',').map((n) => n.trim()).filter(Boolean);
  return name !== undefined || server !== undefined ? { name, server, project: field('project'), ...(namespaces?.length ? { namespaces } : {}) } : undefined;
}

/** A repository Argo CD knows from a Secret (label argocd.argoproj.io/secret-type: repository), with the project it is scoped to. */
export function argoRepositorySecret(o: K8sObject): { url: string; project?: string } | undefined {
  if (o.kind !== 'Secret' || o.metadata?.labels?.['argocd.argoproj.io/secret-type'] !== 'repository') return undefined;
  const url = secretField(o, 'url');
  return url === undefined ? undefined : { url, project: secretField(o, 'project') };
}

/** A Secret's value as written: stringData, or data decoded. */
function secretField(o: K8sObject, key: string): string | undefined {
  const plain = get(o, `stringData.${key}`);
  if (typeof plain === 'string') return plain;
  const encoded = get(o, `data.${key}`);
  return typeof encoded === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
}

/** The scopes the CustomResourceDefinitions among `objects` declare: group/Kind → Cluster or Namespaced. */
export function crdScopesOf(objects: Iterable<K8sObject>): Map<string, string> {
  const scopes = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const group = get(o, 'spec.group');
    const kind = get(o, 'spec.names.kind');
    const scope = get(o, 'spec.scope');
    if (typeof group === 'string' && typeof kind === 'string' && (scope === 'Cluster' || scope === 'Namespaced')) scopes.set(`${group}/${kind}`, scope);
  }
  return scopes;
}

/**
 * The kinds kustomize's namespace transformer leaves without a namespace: the cluster-scoped kinds of its
 * built-in OpenAPI document (kubectl v1.32.4, kustomize v5.5.0, by experiment). Every other kind, a CRD's
 * cluster-scoped ClusterIssuer or GatewayClass included, is given the namespace.
 */
const KUSTOMIZE_CLUSTER_SCOPED = new Set([
  '/Namespace', '/PersistentVolume', '/Node', '/ComponentStatus', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'scheduling.k8s.io/PriorityClass', 'apiregistration.k8s.io/APIService',
  'certificates.k8s.io/CertificateSigningRequest', 'networking.k8s.io/IngressClass', 'node.k8s.io/RuntimeClass', 'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment', 'storage.k8s.io/StorageClass', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'policy/PodSecurityPolicy',
]);
/** API groups of the built-in kinds, whose lists kustomize merges by key (its OpenAPI document). */
const BUILTIN_API_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'scheduling.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'node.k8s.io', 'certificates.k8s.io']);
const hasList = (v: unknown): boolean => Array.isArray(v) || (v !== null && typeof v === 'object' && Object.values(v).some(hasList));
const groupOf = (apiVersion: string | undefined) => (apiVersion?.includes('/') ? apiVersion.split('/')[0] : '');

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'components', 'patches', 'namespace']);

/** A YAML document's value; null where aliases would expand it past MAX_ALIASES (a YAML bomb): parsedText reports it. */
export const MAX_ALIASES = 1000;
export function toObject(doc: { toJS(options?: { maxAliasCount?: number }): unknown }): K8sObject | null {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) as K8sObject | null;
  } catch {
    return null;
  }
}

/** Plain scalars Kubernetes' YAML 1.1 reader takes for booleans where YAML 1.2 reads strings. */
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/** What one parse of a YAML text gives every check. */
export interface ParsedText {
  /** The documents that parse and are mappings: Kubernetes objects, shared between callers (never change one in place). */
  objects: K8sObject[];
  /** Syntax problems (duplicate keys included, as Kubernetes' reader refuses them) and alias bombs, as messages. */
  problems: string[];
  /** Plain scalars that YAML 1.1 reads as booleans, with their line. */
  booleans: { value: string; line: number }[];
  /** What go-yaml reads where a YAML 1.2 parser refuses (a warning each): the text was read as go-yaml reads it. */
  lenient?: string[];
}

/** Parsed texts: a file is read by discovery, builds, the syntax and boolean checks and the secret scan; it is parsed once. */
const parsedTexts = new Map<string, ParsedText>();

/** A YAML text parsed once, as Kubernetes' YAML reader reads it: unique keys, merge keys merged. */
export function parsedText(text: string): ParsedText {
  let parsed = parsedTexts.get(text);
  if (!parsed) {
    if (parsedTexts.size > 50_000) parsedTexts.clear();
    parsedTexts.set(text, (parsed = parseText(text)));
  }
  return parsed;
}

/** The Kubernetes objects (mappings) of a YAML text, as parsedText reads them: a new list of shared objects. */
export function objectsOf(text: string): K8sObject[] {
  return [...parsedText(text).objects];
}

/**
 * Duplicate keys of a document's maps, found in one pass, as the yaml library's `uniqueKeys` finds them
 * (scalars equal in type and value; merge keys `<<` may repeat) but in linear time: the library compares
 * every pair of a map's keys, and a merge request can hold a map of 200 000 keys.
 */
export function duplicateKeys(doc: Document.Parsed, lineCounter?: LineCounter): string[] {
  const out: string[] = [];
  visit(doc, {
    Map(_k, node) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key) || pair.key.value === '<<') continue;
        const id = `${typeof pair.key.value}\0${String(pair.key.value)}`;
        if (seen.has(id)) {
          const at = pair.key.range && lineCounter ? lineCounter.linePos(pair.key.range[0]) : undefined;
          out.push(`Map keys must be unique${at ? ` at line ${at.line}, column ${at.col}:` : ''}`);
        }
        seen.add(id);
      }
    },
  });
  return out;
}

/**
 * An alias as a mapping key written `*app:` (the app-template idiom `controllers: { *app: … }`): go-yaml v3,
 * which kustomize (kyaml) and the Flux controllers read YAML with, ends the alias at `: `, where the YAML 1.2
 * grammar this parser follows takes `app:` as the alias name. Read as they read it (a space before the colon).
 */
export const goAliasKeys = (text: string) => (text.includes('*') ? text.replace(/^(\s*(?:-\s+)?)\*([A-Za-z0-9_.-]+):(?=\s|$)/gm, '$1*$2 :') : text);

/**
 * A quoted value that goes on over lines no deeper than its key (neco-apps' alert rules: `summary: '… {{
 * $labels.daemonset` then `}} are not scheduled.'` at the key's column): the YAML 1.2 grammar this parser follows
 * refuses it, go-yaml (kustomize's kyaml, kubectl, the controllers) reads the lines as the value's. The same text
 * with those lines indented past the key, and the first such line, or undefined where there is none.
 */
export function goQuotedContinuations(text: string): { text: string; line: number } | undefined {
  const lines = text.split('\n');
  let first: number | undefined;
  const closes = (s: string, quote: string) => (quote === "'" ? /(^|[^'])'(?!')/.test(s.replaceAll("''", '')) : /(^|[^\\])"/.test(s));
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)((?:-\s+)?)(?:[^\s'"#][^:#]*:\s+)?(['"])/.exec(lines[i]);
    if (!m || closes(lines[i].slice(m[0].length), m[3])) continue;
    // The column the value's key (or list item) starts at: its lines go deeper.
    const keyColumn = m[1].length + m[2].length;
    // (Not past a document marker: go-yaml ends the document there, and the quote with it unclosed.)
    for (let j = i + 1; j < lines.length && j < i + 200 && !/^(---|\.\.\.)(\s|$)/.test(lines[j]); j++) {
      const indent = lines[j].search(/\S/);
      if (indent >= 0 && indent <= keyColumn) {
        lines[j] = ' '.repeat(keyColumn + 1 - indent) + lines[j];
        first ??= j + 1;
      }
      if (closes(lines[j], m[3])) {
        i = j;
        break;
      }
    }
  }
  return first === undefined ? undefined : { text: lines.join('\n'), line: first };
}

function parseText(text: string): ParsedText {
  const strict = parseDocuments(text);
  if (!strict.problems.some((p) => p.startsWith('YAML: Missing closing'))) return strict;
  const lenient = goQuotedContinuations(text);
  if (!lenient) return strict;
  const read = parseDocuments(lenient.text);
  if (read.problems.length > 0) return strict;
  read.lenient = [`line ${lenient.line}: a quoted value goes on over lines no deeper than its key, which YAML 1.2 parsers refuse; go-yaml (kustomize, kubectl, the controllers) reads them as the value's, and so does this check: indent them past the key`];
  return read;
}

function parseDocuments(text: string): ParsedText {
  const lineCounter = new LineCounter();
  const out: ParsedText = { objects: [], problems: [], booleans: [] };
  // logLevel: the library's warnings (collection keys in Helm templates, say) are not printed on stderr.
  for (const doc of parseAllDocuments(goAliasKeys(text), { uniqueKeys: false, prettyErrors: true, merge: true, lineCounter, logLevel: 'error' })) {
    const duplicates = duplicateKeys(doc, lineCounter);
    for (const e of [...doc.errors, ...doc.warnings]) out.problems.push(`YAML: ${e.message.split('\n')[0]}`);
    for (const d of duplicates) out.problems.push(`YAML: ${d}`);
    visit(doc, {
      Scalar(_k, node) {
        if (node.type === 'PLAIN' && typeof node.value === 'string' && YAML11_BOOLEAN.test(node.value)) {
          out.booleans.push({ value: node.value, line: node.range ? lineCounter.linePos(node.range[0]).line : 0 });
        }
      },
    });
    if (doc.errors.length > 0 || duplicates.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      // An alias before (or without) its anchor: go-yaml, which kubectl and the controllers read with, refuses it
      // ("unknown anchor 'x' referenced"); anything else toJS refuses is an alias count past the limit.
      const unresolved = /^Unresolved alias[^:]*:\s*(\S{1,200})/.exec((e as Error).message);
      out.problems.push(
        unresolved
          ? `YAML: the alias *${unresolved[1]} names no anchor before it (go-yaml: unknown anchor '${unresolved[1]}' referenced): kubectl and the controllers cannot read this document`
          : `YAML: its aliases expand past ${MAX_ALIASES} nodes (a YAML bomb?): not read`,
      );
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.objects.push(value as K8sObject);
  }
  return out;
}

/**
 * A map's own value of a key, never an inherited one: keys come from untrusted YAML (`__proto__`,
 * `constructor`), and reading through them would reach Object.prototype.
 */
export const own = (map: Record<string, unknown>, key: string): unknown => (Object.hasOwn(map, key) ? map[key] : undefined);

/**
 * Sets a map's own key: `__proto__` as a plain field (assigning it would replace the map's prototype),
 * every other key by assignment (what inherits through `constructor` is a function, never written into).
 */
export function setOwn(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** JSON merge patch (RFC 7386): maps merge, null removes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(own(out, k), v));
  }
  return out;
}

/** A field that should be a list, as a list (anything else is none: the schema check reports its type). */
export const listOf = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** The value at a dotted path of a parsed object (undefined where the path breaks off). */
export const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? own(v as Record<string, unknown>, k) : undefined), o);

export const objectKey = (o: K8sObject) => `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;

/** The kustomization.yaml of dir, or undefined (with the error recorded) when it is missing or in a cycle. */
function loadKustomization(files: FileSet, dir: string, stack: string[], result: BuildResult): KustomizationDoc | undefined {
  const file = kustomizationFile(files, dir);
  if (file === undefined) {
    result.errors.push({ file: `${dir}/kustomization.yaml`, message: 'no kustomization.yaml' });
    return undefined;
  }
  const text = files.get(file)!;
  (result.read ??= []).push(file);
  if (stack.includes(dir)) {
    result.errors.push({ file, message: `kustomization cycle: ${[...stack, dir].join(' → ')}` });
    return undefined;
  }
  const [k] = objectsOf(text) as KustomizationDoc[];
  if (k) {
    result.unsupported.push(...Object.keys(k).filter((key) => !SUPPORTED.has(key)));
    wellFormed(k, file, result);
  }
  return k;
}

/** A value from the repository, quoted for a message and cut at 80 characters (a merge request's may be huge). */
export const short = (v: unknown) => {
  const t = JSON.stringify(v) ?? String(v);
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
};

/** Lists of paths and patches as kustomize takes them; an entry of another type is an error (kustomize refuses the file) and left out. */
function wellFormed(k: KustomizationDoc, file: string, result: BuildResult): void {
  const doc = k as Record<string, unknown>;
  for (const field of ['resources', 'components'] as const) {
    const v = doc[field];
    if (v === undefined || v === null) continue;
    const list = Array.isArray(v) ? v : [v];
    const bad = list.filter((x) => typeof x !== 'string');
    if (!Array.isArray(v) || bad.length > 0) result.errors.push({ file, message: `${field}: ${short(Array.isArray(v) ? bad[0] : v)} is not a path (a list of paths is what kustomize takes)` });
    doc[field] = list.filter((x) => typeof x === 'string');
  }
  const patches = doc.patches;
  if (patches === undefined || patches === null) return;
  const list = Array.isArray(patches) ? patches : [patches];
  const ok = (p: unknown) => !!p && typeof p === 'object' && !Array.isArray(p) && ['path', 'patch'].every((key) => (p as Record<string, unknown>)[key] === undefined || typeof (p as Record<string, unknown>)[key] === 'string');
  if (!Array.isArray(patches) || !list.every(ok)) result.errors.push({ file, message: `patches: ${short(list.find((p) => !ok(p)) ?? patches)} is not a patch (each is a map with a path or a patch, as text)` });
  doc.patches = list.filter(ok);
}

/** Appends one list to another without spreading it into arguments (a long list would overflow the stack). */
export function append<T>(to: T[], from: T[]): void {
  for (const x of from) to.push(x);
}

/**
 * kustomize's order: the resources, then each component (its resources, then its patches over everything
 * accumulated so far), then the kustomization's own patches.
 */
function accumulate(files: FileSet, dir: string, k: KustomizationDoc, stack: string[], result: BuildResult): void {
  const file = kustomizationFile(files, dir) ?? `${dir}/kustomization.yaml`;
  for (const ref of k.resources ?? []) {
    if (isRemote(ref)) {
      (result.remote ??= []).push(ref);
      continue;
    }
    const target = posix.normalize(posix.join(dir, ref)).replace(/\/$/, '');
    if (ref.startsWith('/') || target === '..' || target.startsWith('../')) {
      result.errors.push({ file, message: `resources: ${ref} leaves the repository: Flux and Argo CD build within their source, so it is never there` });
      continue;
    }
    if (files.has(target)) {
      if (budget && --budget.left < 0) throw new TooLarge();
      (result.read ??= []).push(target);
      for (const object of objectsOf(files.get(target)!)) {
        if (budget && --budget.left < 0) throw new TooLarge();
        result.objects.push({ object, origin: target, patchedBy: [] });
      }
    } else if (kustomizationFile(files, target)) {
      const sub = buildKustomization(files, target, [...stack, dir]);
      append(result.objects, sub.objects);
      append(result.errors, sub.errors);
      append(result.unsupported, sub.unsupported);
      append((result.read ??= []), sub.read ?? []);
      if (sub.remote) append((result.remote ??= []), sub.remote);
    } else {
      result.errors.push({ file, message: `resources: ${ref} does not exist` });
    }
  }
  for (const ref of k.components ?? []) {
    const target = posix.normalize(posix.join(dir, ref)).replace(/\/$/, '');
    if (!kustomizationFile(files, target)) {
      result.errors.push({ file, message: `components: ${ref} does not exist` });
      continue;
    }
    const component = loadKustomization(files, target, [...stack, dir], result);
    if (!component) continue;
    if (component.kind !== 'Component') result.errors.push({ file: kustomizationFile(files, target)!, message: `components: ${ref} is a ${component.kind ?? 'kustomization without kind'}, not a Component` });
    else accumulate(files, target, component, [...stack, dir], result);
  }
  for (const p of k.patches ?? []) {
    if (!p.path) {
      result.unsupported.push('patches[].patch (inline)');
      continue;
    }
    // kustomize fetches a patch given as a URL (api/internal/loader/fileloader.go): remote, not checked offline.
    if (isRemote(p.path)) {
      (result.remote ??= []).push(p.path);
      continue;
    }
    const patchFile = posix.normalize(posix.join(dir, p.path));
    const patchText = files.get(patchFile);
    if (patchText === undefined) {
      result.errors.push({ file, message: `patches: ${p.path} does not exist` });
      continue;
    }
    (result.read ??= []).push(patchFile);
    const selector = p.target;
    // Label and annotation selectors, and names that are regular expressions beyond plain names, are kustomize's to match.
    if (selector && (selector.labelSelector !== undefined || selector.annotationSelector !== undefined || (selector.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(String(selector.name))))) {
      result.unsupported.push('patches[].target (a label, annotation or regular-expression selector)');
      continue;
    }
    const patches = objectsOf(patchText);
    if (patches.length === 0) {
      result.unsupported.push('patches[].path (a JSON 6902 patch)');
      continue;
    }
    for (const patch of patches) {
      // With a target, the target selects (every match, none being no error: kustomize's PatchTransformer);
      // without one, the patch's own kind and name do, and must find their object.
      const want = selector
        ? { kind: selector.kind, name: selector.name, namespace: selector.namespace }
        : { kind: patch.kind, name: patch.metadata?.name, namespace: patch.metadata?.namespace };
      const matches = selector
        ? result.objects.filter(
            (b) =>
              (!selector.group || groupOf(b.object.apiVersion) === selector.group) &&
              (!selector.version || String(b.object.apiVersion).split('/').pop() === selector.version) &&
              (want.kind === undefined || b.object.kind === want.kind) &&
              (want.name === undefined || b.object.metadata?.name === want.name) &&
              (!want.namespace || (b.object.metadata?.namespace ?? k.namespace) === want.namespace),
          )
        : patchTargets(result.objects, { apiVersion: patch.apiVersion, ...want });
      // What a remote resource or an unimplemented feature (helmCharts, generators) adds may be the target.
      if (matches.length === 0 && !selector && !result.remote?.length && result.unsupported.length === 0) {
        result.errors.push({ file: patchFile, message: `patch for ${want.kind} ${want.namespace ? `${want.namespace}/` : ''}${want.name} matches no object in the build of ${dir}` });
      }
      // kustomize merges a patch strategically: lists of built-in kinds by their merge keys (containers by
      // name, …); a CRD's lists, having no schema there, are replaced, as a JSON merge patch does.
      if (matches.some((m) => BUILTIN_API_GROUPS.has(groupOf(m.object.apiVersion))) && hasList(patch)) {
        result.unsupported.push('patches (a strategic merge of lists)');
        continue;
      }
      // `$patch: delete` at the top of a strategic merge patch removes what it selects from the build
      // (kustomize v5.5.0, checked with kubectl kustomize: with and without a target).
      if ((patch as Record<string, unknown>).$patch === 'delete') {
        const gone = new Set(matches);
        result.objects = result.objects.filter((b) => !gone.has(b));
        continue;
      }
      for (const m of matches) {
        // Identity fields select the target; everything else merges into it.
        m.object = patchObject(m.object, patch);
        const { metadata } = patch;
        // options.allowNameChange / allowKindChange: the patch's own name and kind replace the target's
        // (kustomize api/internal/builtins/PatchTransformer.go; otherwise the original ones are kept).
        if (p.options?.allowNameChange === true && typeof metadata?.name === 'string') renamed(m, { name: metadata.name });
        if (p.options?.allowKindChange === true && typeof patch.kind === 'string') m.object = { ...m.object, kind: patch.kind };
        m.patchedBy.push(patchFile);
      }
    }
  }
}

/**
 * A Flux Kustomization's `spec.components` over its build: kustomize-controller appends them to the
 * kustomization's components (fluxcd/pkg kustomize GenerateManifest), paths relative to its path. Each
 * Component's resources are added and its patches applied over what is built, as kustomize does (here after
 * the kustomization's own patches rather than before them).
 */
export function applyComponents(files: FileSet, dir: string, components: string[], objects: BuiltObject[]): BuildResult {
  const result: BuildResult = { dir, objects: objects.map((o) => ({ ...o, patchedBy: [...o.patchedBy] })), unsupported: [], errors: [], read: [] };
  const file = kustomizationFile(files, dir) ?? (dir ? `${dir}/kustomization.yaml` : 'kustomization.yaml');
  for (const ref of components) {
    const target = posix.normalize(posix.join(dir, ref)).replace(/\/$/, '');
    if (ref.startsWith('/') || target.startsWith('../') || !kustomizationFile(files, target)) {
      result.errors.push({ file, message: `components: ${ref} does not exist` });
      continue;
    }
    const component = loadKustomization(files, target, [dir], result);
    if (!component) continue;
    if (component.kind !== 'Component') result.errors.push({ file: kustomizationFile(files, target)!, message: `components: ${ref} is a ${component.kind ?? 'kustomization without kind'}, not a Component` });
    else accumulate(files, target, component, [dir], result);
  }
  return result;
}

/** A patch object merged into its target: its identity fields (apiVersion, kind, name, namespace) select, the rest merges. */
export function patchObject(target: K8sObject, patch: K8sObject): K8sObject {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = patch;
  const { name: _n, namespace: _ns, ...metaRest } = metadata ?? {};
  return mergePatch(target, { ...rest, ...(Object.keys(metaRest).length > 0 ? { metadata: metaRest } : {}) }) as K8sObject;
}

/** Whether a kustomization.yaml is a kustomize Component: a layer other kustomizations include, never built alone. */
export const isComponent = (text: string | undefined): boolean => text !== undefined && (objectsOf(text)[0] as KustomizationDoc | undefined)?.kind === 'Component';

type KustomizationDoc = { kind?: string; resources?: string[]; components?: string[]; patches?: { path?: string; patch?: string; target?: Record<string, string | undefined>; options?: { allowNameChange?: unknown; allowKindChange?: unknown } }[]; namespace?: string };

/**
 * Objects one build may declare, each base counted every time it is taken in: far above any real
 * repository, and it keeps a merge request's kustomizations that take each other in twice over (2^n
 * objects from n tiny files; kustomize itself refuses the duplicates) from using up memory.
 */
const MAX_BUILD_OBJECTS = 25_000;
let budget: { left: number } | undefined;
class TooLarge extends Error {}

export function buildKustomization(files: FileSet, dir: string, stack: string[] = []): BuildResult {
  const file = kustomizationFile(files, dir) ?? `${dir}/kustomization.yaml`;
  const result: BuildResult = { dir, objects: [], unsupported: [], errors: [], read: [] };
  const k = loadKustomization(files, dir, stack, result);
  if (!k) return result;
  // Built on its own (a Flux Kustomization's path), a Component builds as kustomize-controller and kubectl
  // kustomize build it; taken in under resources:, kustomize refuses it ("expected kind != 'Component'").
  if (k.kind === 'Component' && stack.length > 0) result.errors.push({ file: kustomizationFile(files, stack.at(-1)!) ?? file, message: `resources: ${dir} is a kustomize Component: list it under components:, as kustomize does not take it in as a resource` });
  const top = budget === undefined;
  if (top) budget = { left: MAX_BUILD_OBJECTS };
  try {
    accumulate(files, dir, k, stack, result);
  } catch (e) {
    if (!(e instanceof TooLarge) || !top) throw e;
    result.errors.push({ file, message: `the build of ${dir || '.'} declares more than ${MAX_BUILD_OBJECTS.toLocaleString('en')} objects (its bases taken in over and over): not built` });
    result.objects = [];
    return result;
  } finally {
    if (top) budget = undefined;
  }
  // kustomize's namespace transformer (v5.5.0, checked with kubectl kustomize): every object but the kinds it
  // knows as cluster-scoped moves into the namespace, and a Namespace object is renamed to it.
  if (k.namespace) {
    for (const b of result.objects) {
      if (b.object.kind === 'Namespace' && b.object.apiVersion === 'v1') renamed(b, { name: k.namespace });
      else if (!KUSTOMIZE_CLUSTER_SCOPED.has(`${groupOf(b.object.apiVersion)}/${b.object.kind}`)) renamed(b, { namespace: k.namespace });
    }
  }
  // kustomize refuses a build that declares the same object twice.
  const seen = new Map<string, string>();
  for (const b of result.objects) {
    const id = `${b.object.apiVersion} ${objectKey(b.object)}`;
    const first = seen.get(id);
    if (first !== undefined) result.errors.push({ file: b.origin, message: `${objectKey(b.object)} is also declared in ${first} (duplicate object in the build of ${dir})` });
    else seen.set(id, b.origin);
  }
  return result;
}
