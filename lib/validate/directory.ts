/** Validation of a repository on disk: the same pipeline as in memory, plus real kubectl builds. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FileSet } from '../fileset.js';
import { buildAll, kubectlAvailable } from './kustomize.js';
import { validateFiles, type Report, type ValidateOptions } from './repository.js';

const TEXT_FILES = /\.(ya?ml|md|json|txt)$|(^|\/)\.git(ignore|attributes)$|(^|\/)\.gitlab-ci\.yml$/;

export function readRepository(root: string): FileSet {
  const files = new FileSet();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === '.git' || entry === 'node_modules') continue;
      const path = join(dir, entry);
      const rel = relative(root, path).split(sep).join('/');
      if (statSync(path).isDirectory()) walk(path);
      else if (TEXT_FILES.test(rel)) files.add(rel, readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return files;
}

export interface DirectoryReport extends Report {
  root: string;
  kubectl: boolean;
  paths: string[];
}

export async function validateDirectory(root: string, options: Omit<ValidateOptions, 'kubectlBuilds'> = {}): Promise<DirectoryReport> {
  const files = readRepository(root);
  const kubectl = await kubectlAvailable();
  const kubectlBuilds = new Map<string, string>();
  const extra = [];
  if (kubectl) {
    const result = await buildAll(root);
    extra.push(...result.findings);
    for (const b of result.builds) if (b.output !== undefined) kubectlBuilds.set(b.dir, b.output);
  }
  const report = await validateFiles(files, { ...options, kubectlBuilds });
  report.findings.push(...extra);
  if (!kubectl) report.notes.push('kubectl is not installed: kustomizations were built by the offline builder only. Install kubectl to build them with kustomize itself.');
  return { ...report, root, kubectl, paths: files.paths() };
}
