/**
 * Structural checks of a FileSet that need no build: every YAML file parses with unique keys (LF,
 * final newline), every Flux Kustomization's dependsOn and path resolve within its cluster, every
 * Argo CD source path and value file exists. Kustomization contents are checked by the build
 * (build.ts); schemas, references and chart values by the rest of the pipeline (repository.ts).
 */
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { FileSet } from '../fileset.js';

import { error, type Finding } from './findings.js';
export type { Finding } from './findings.js';

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
}

const isYaml = (p: string) => p.endsWith('.yaml') || p.endsWith('.yml');

export function parseYamlFile(file: string, text: string, findings: Finding[]): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true })) {
    for (const e of doc.errors) findings.push(error('yaml', file, `YAML: ${e.message.split('\n')[0]}`));
    for (const w of doc.warnings) findings.push(error('yaml', file, `YAML: ${w.message.split('\n')[0]}`));
    if (doc.errors.length > 0) continue;
    const value = doc.toJS() as K8sObject | null;
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

export function validateStructure(files: FileSet): Finding[] {
  const findings: Finding[] = [];
  const parsed = new Map<string, K8sObject[]>();
  for (const [path, text] of files.entries()) {
    if (!text.endsWith('\n')) findings.push(error('yaml', path, 'does not end with a newline'));
    if (text.includes('\r')) findings.push(error('yaml', path, 'contains CR characters (expected LF line endings)'));
    if (isYaml(path)) parsed.set(path, parseYamlFile(path, text, findings));
  }
  const dirHasKustomization = (dir: string) => files.has(`${dir}/kustomization.yaml`);
  const paths = files.paths();
  const directories = directoriesOf(files);

  // Flux Kustomizations per cluster: dependsOn targets exist, paths build.
  const clusters = new Set(paths.filter((p) => p.startsWith('clusters/')).map((p) => p.split('/')[1]));
  for (const cluster of clusters) {
    const fluxKs = [...parsed.entries()]
      .filter(([p]) => p.startsWith(`clusters/${cluster}/`))
      .flatMap(([file, objs]) => objs.filter((o) => o.kind === 'Kustomization' && o.apiVersion?.startsWith('kustomize.toolkit.fluxcd.io/')).map((o) => ({ file, o })));
    const names = new Set(fluxKs.map(({ o }) => o.metadata?.name));
    for (const { file, o } of fluxKs) {
      const spec = o.spec as { path?: string; dependsOn?: { name: string }[] };
      for (const d of spec.dependsOn ?? []) {
        if (!names.has(d.name)) findings.push(error('reference', file, `Kustomization ${o.metadata?.name}: dependsOn ${d.name} is not a Kustomization of cluster ${cluster}`));
      }
      // kustomize-controller generates a kustomization.yaml for a directory without one (flux bootstrap's path).
      const path = posix.normalize(spec.path ?? '.').replace(/^\.\//, '').replace(/\/$/, '');
      if (!dirHasKustomization(path) && !directories.has(path)) findings.push(error('reference', file, `Kustomization ${o.metadata?.name}: path ${spec.path} does not exist`));
    }
    // Argo CD Applications: paths and value files exist. This repository is what the root app and the $values refs point at.
    const ownRepos = new Set<string>();
    for (const [file, objs] of parsed.entries()) {
      if (!file.startsWith(`clusters/${cluster}/`)) continue;
      for (const o of objs.filter((x) => x.kind === 'Application')) {
        const spec = o.spec as { source?: { repoURL?: string }; sources?: { repoURL?: string; ref?: string }[] };
        if (o.metadata?.name === 'root' && spec.source?.repoURL) ownRepos.add(spec.source.repoURL);
        for (const src of spec.sources ?? []) if (src.ref !== undefined && src.repoURL) ownRepos.add(src.repoURL);
      }
    }
    for (const [file, objs] of parsed.entries()) {
      if (!file.startsWith(`clusters/${cluster}/`)) continue;
      const apps = objs.filter((x) => x.kind === 'Application' && x.apiVersion?.startsWith('argoproj.io/'));
      for (const o of apps) findings.push(...applicationPaths(o, `Application ${o.metadata?.name}`, file, files, directories, ownRepos));
    }
  }
  return findings;
}

/** Directories of a FileSet (every prefix of every path). */
export const directoriesOf = (files: FileSet) => new Set(files.paths().flatMap((p) => p.split('/').slice(0, -1).map((_part, i, parts) => parts.slice(0, i + 1).join('/'))));

/** An Argo CD Application's paths and value files in this repository (`ownRepos`: its URLs, when known) exist. */
export function applicationPaths(o: K8sObject, what: string, file: string, files: FileSet, directories: Set<string>, ownRepos: Set<string>): Finding[] {
  const findings: Finding[] = [];
  const spec = o.spec as { source?: { repoURL?: string; path?: string }; sources?: { repoURL?: string; path?: string; chart?: string; ref?: string; helm?: { valueFiles?: string[]; ignoreMissingValueFiles?: boolean } }[] };
  // Paths in this repository: not charts (by name, from OCI, or from another git repository's chart
  // path) and not manifests of another repository (a single source whose repoURL is not ours).
  const single = spec.source?.path && (!spec.source.repoURL || ownRepos.size === 0 || ownRepos.has(spec.source.repoURL)) ? spec.source.path : undefined;
  const gitPaths = [single, ...(spec.sources ?? []).filter((s) => !s.chart && s.ref === undefined && s.path && !s.path.includes('helm') && !s.repoURL?.startsWith('oci://')).map((s) => s.path)];
  for (const p of gitPaths) {
    if (p && !directories.has(posix.normalize(p).replace(/\/$/, ''))) findings.push(error('reference', file, `${what}: source path ${p} does not exist`));
  }
  for (const s of spec.sources ?? []) {
    if (s.helm?.ignoreMissingValueFiles) continue;
    for (const v of s.helm?.valueFiles ?? []) {
      const f = v.replace(/^\$values\//, '');
      if (!files.has(f)) findings.push(error('reference', file, `${what}: value file ${v} does not exist`));
    }
  }
  return findings;
}

