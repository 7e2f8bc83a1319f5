/**
 * Structural checks of a FileSet that need no build: every YAML file parses with unique keys (LF,
 * final newline), every Flux Kustomization's dependsOn and path resolve within its cluster, every
 * Argo CD source path and value file exists. Kustomization contents are checked by the build
 * (build.ts); schemas, references and chart values by the rest of the pipeline (repository.ts).
 */
import { posix } from 'node:path';
import type { FileSet } from '../fileset.js';
import { listOf, parsedText } from './build.js';

import { error, warning, type Finding } from './findings.js';
export type { Finding } from './findings.js';

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
}

const isYaml = (p: string) => p.endsWith('.yaml') || p.endsWith('.yml');

/**
 * YAML syntax of the files a cluster applies: every document parses, with unique keys (Kubernetes'
 * YAML reader refuses duplicates). A missing final newline or CRLF line ends change nothing a cluster
 * gets: a warning, for tidiness.
 */
export function validateStructure(files: FileSet, which: Iterable<string>): Finding[] {
  const findings: Finding[] = [];
  for (const path of [...which].sort()) {
    const text = files.get(path);
    if (text === undefined) continue;
    if (text.length > 0 && !text.endsWith('\n')) findings.push(warning('yaml', path, 'does not end with a newline'));
    if (text.includes('\r')) findings.push(warning('yaml', path, 'contains CR characters (expected LF line endings)'));
    if (isYaml(path)) for (const problem of parsedText(text).problems) findings.push(error('yaml', path, problem));
    if (isYaml(path)) for (const note of parsedText(text).lenient ?? []) findings.push(warning('yaml', path, note));
  }
  return findings;
}

/**
 * A repository URL as written in different places compared alike: trailing slash, .git and case aside, and
 * the same repository over HTTPS and SSH (`https://host/org/repo`, `ssh://git@host/org/repo`,
 * `git@host:org/repo`) as host/path.
 */
export const normalUrl = (url: string) => {
  const plain = url.trim().replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
  const scp = /^[a-z0-9._-]+@([^:/]+):(?!\/)(.+)$/.exec(plain);
  if (scp) return `${scp[1]}/${scp[2].replace(/^\/+/, '')}`;
  const web = /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/.exec(plain);
  return web ? `${web[1]}/${web[2]}` : plain;
};

/** Directories of a FileSet (every prefix of every path). */
export const directoriesOf = (files: FileSet) => new Set(files.paths().flatMap((p) => p.split('/').slice(0, -1).map((_part, i, parts) => parts.slice(0, i + 1).join('/'))));

/** One source of an Argo CD Application, with only the field types Argo CD reads (a Helm template left unrendered, `repoURL: {{ … }}`, parses to a map: no URL). */
export interface ArgoSource {
  repoURL?: string;
  path?: string;
  chart?: string;
  ref?: string;
  directory?: { recurse?: boolean; include?: string; exclude?: string };
  helm?: { valueFiles: string[]; ignoreMissingValueFiles?: boolean };
}

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const argoSource = (x: Record<string, unknown>): ArgoSource => {
  const helm = x.helm && typeof x.helm === 'object' ? (x.helm as { valueFiles?: unknown; ignoreMissingValueFiles?: boolean }) : undefined;
  const directory = x.directory && typeof x.directory === 'object' ? (x.directory as ArgoSource['directory']) : undefined;
  return {
    repoURL: text(x.repoURL),
    path: text(x.path),
    chart: text(x.chart),
    ref: text(x.ref),
    directory,
    helm: helm ? { valueFiles: listOf<unknown>(helm.valueFiles).filter((v): v is string => typeof v === 'string'), ignoreMissingValueFiles: helm.ignoreMissingValueFiles === true } : undefined,
  };
};

/** Whether Argo CD reads an Application's `spec.sources`: where it has any (argo-cd types.go HasMultipleSources; `sources: []` beside `source` is the one source). */
export const multipleSources = (app: K8sObject): boolean => listOf<unknown>((app.spec as { sources?: unknown } | undefined)?.sources).length > 0;

/** An Application's sources as Argo CD takes them: `spec.sources` where it has any, else `spec.source`. */
export function argoSources(app: K8sObject): ArgoSource[] {
  const spec = (app.spec ?? {}) as { source?: unknown; sources?: unknown };
  const list = multipleSources(app) ? listOf<unknown>(spec.sources) : spec.source !== undefined ? [spec.source] : [];
  return list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)).map(argoSource);
}

/** An Argo CD Application's paths and value files in this repository (`ownRepos`: its URLs, when known) exist. */
export function applicationPaths(o: K8sObject, what: string, file: string, files: FileSet, directories: Set<string>, ownRepos: Set<string>): Finding[] {
  const findings: Finding[] = [];
  const sources = argoSources(o);
  const spec = multipleSources(o) ? { source: undefined, sources } : { source: sources[0], sources: undefined };
  // Paths in this repository: not charts (by name, from OCI, or from another git repository's chart
  // path) and not manifests of another repository (a single source whose repoURL is not ours).
  const ours = (url: string | undefined) => !url || ownRepos.size === 0 || ownRepos.has(normalUrl(url));
  const single = spec.source?.path && !spec.source.path.includes('{{') && ours(spec.source.repoURL) ? spec.source.path : undefined;
  const gitPaths = [single, ...(spec.sources ?? []).filter((s) => !s.chart && s.ref === undefined && s.path && !s.path.includes('{{') && !s.path.includes('helm') && !s.repoURL?.startsWith('oci://') && ours(s.repoURL)).map((s) => s.path)];
  for (const p of gitPaths) {
    const dir = p ? posix.normalize(p).replace(/\/$/, '') : undefined;
    // `.` and `./` are the repository's root, which is always there.
    if (dir === undefined || dir === '.' || dir === '' || directories.has(dir)) continue;
    // Where the repository's own URL is not known, a path it lacks may be another repository's: a warning.
    if (ownRepos.size === 0) findings.push(warning('reference', file, `${what}: source path ${p} is not in this repository (if its repoURL is another repository, that is expected)`));
    else findings.push(error('reference', file, `${what}: source path ${p} does not exist`));
  }
  for (const s of spec.sources ?? []) {
    if (s.helm?.ignoreMissingValueFiles) continue;
    for (const v of s.helm?.valueFiles ?? []) {
      // `$<ref>/file` is in the repository of the source with that ref; a plain path in this source's own.
      const ref = /^\$([A-Za-z0-9_-]+)\//.exec(v);
      const from = ref ? (spec.sources ?? []).find((x) => x.ref === ref[1]) : s;
      // Argo CD: a plain path is relative to the source's path, or to the repository's root when absolute.
      const f = ref ? v.slice(ref[0].length) : v.startsWith('/') ? v.slice(1) : posix.join(s.path ?? '', v);
      if (f.includes('{{') || !from || (!ref && s.chart) || ownRepos.size === 0 || !from.repoURL || !ownRepos.has(normalUrl(from.repoURL))) continue;
      if (!files.has(f)) findings.push(error('reference', file, `${what}: value file ${v} does not exist`));
    }
  }
  return findings;
}

