/**
 * Structural validation of a FileSet, in memory: every YAML file parses with unique keys, every
 * kustomization's resources and patches exist, every Flux dependsOn and path resolves within the
 * cluster, every Argo CD source path and value file exists, no object is declared twice in a build.
 * The strict schema, CEL and chart-values checks build on this (see docs/validation.md).
 */
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { FileSet } from '../fileset.js';

import { error, type Finding } from './findings.js';
export type { Finding } from './findings.js';

interface K8sObject {
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
  const directories = new Set(paths.flatMap((p) => p.split('/').slice(0, -1).map((_part, i, parts) => parts.slice(0, i + 1).join('/'))));

  // Kustomizations: references resolve, and no object twice in one build.
  const buildObjects = (dir: string, seen: Set<string>): { id: string; file: string }[] => {
    if (seen.has(dir)) {
      findings.push(error('kustomize', `${dir}/kustomization.yaml`, 'kustomization includes itself (cycle)'));
      return [];
    }
    seen.add(dir);
    const k = parsed.get(`${dir}/kustomization.yaml`)?.[0] as { resources?: string[]; patches?: { path?: string }[] } | undefined;
    const out: { id: string; file: string }[] = [];
    for (const ref of k?.resources ?? []) {
      const target = posix.normalize(posix.join(dir, ref));
      if (files.has(target)) {
        for (const o of parsed.get(target) ?? []) out.push({ id: objectId(o), file: target });
      } else if (dirHasKustomization(target)) {
        out.push(...buildObjects(target, new Set(seen)));
      } else {
        findings.push(error('kustomize', `${dir}/kustomization.yaml`, `resources: ${ref} does not exist`));
      }
    }
    for (const p of k?.patches ?? []) {
      if (p.path && !files.has(posix.normalize(posix.join(dir, p.path)))) {
        findings.push(error('kustomize', `${dir}/kustomization.yaml`, `patches: ${p.path} does not exist`));
      }
    }
    return out;
  };
  for (const path of paths.filter((p) => posix.basename(p) === 'kustomization.yaml')) {
    const dir = posix.dirname(path);
    const seenIds = new Map<string, string>();
    for (const { id, file } of buildObjects(dir, new Set())) {
      if (seenIds.has(id)) findings.push(error('kustomize', file, `${id} is also declared in ${seenIds.get(id)} (duplicate object in the build of ${dir})`, { object: id }));
      else seenIds.set(id, file);
    }
  }

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
      const path = posix.normalize(spec.path ?? '.').replace(/^\.\//, '');
      if (!dirHasKustomization(path)) findings.push(error('reference', file, `Kustomization ${o.metadata?.name}: path ${spec.path} has no kustomization.yaml`));
    }
    // Argo CD Applications: paths and value files exist.
    for (const [file, objs] of parsed.entries()) {
      if (!file.startsWith(`clusters/${cluster}/`)) continue;
      for (const o of objs.filter((x) => x.kind === 'Application' && x.apiVersion?.startsWith('argoproj.io/'))) {
        const spec = o.spec as { source?: { path?: string }; sources?: { path?: string; chart?: string; ref?: string; helm?: { valueFiles?: string[] } }[] };
        const gitPaths = [spec.source?.path, ...(spec.sources ?? []).filter((s) => !s.chart && s.ref === undefined && s.path && !s.path.includes('helm')).map((s) => s.path)];
        for (const p of gitPaths) {
          if (p && !directories.has(posix.normalize(p).replace(/\/$/, ''))) findings.push(error('reference', file, `Application ${o.metadata?.name}: source path ${p} does not exist`));
        }
        for (const s of spec.sources ?? []) {
          for (const v of s.helm?.valueFiles ?? []) {
            const f = v.replace(/^\$values\//, '');
            if (!files.has(f)) findings.push(error('reference', file, `Application ${o.metadata?.name}: value file ${v} does not exist`));
          }
        }
      }
    }
  }
  return findings;
}

function objectId(o: K8sObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind ?? '?'} ${ns}${o.metadata?.name ?? '?'}`;
}
