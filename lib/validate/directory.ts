/** Validation of a repository on disk: the same pipeline as in memory, plus real kubectl builds. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileSet } from '../fileset.js';
import { DIST_DIR, FROM_DIST } from '../package-info.js';
import { needsKubectl } from './build.js';
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

/** The kubectl builds, in a worker thread: its own event loop keeps the processes going while this thread validates. */
function buildInWorker(root: string): Promise<Awaited<ReturnType<typeof buildAll>>> {
  // Run from the TypeScript sources (tests), there is no compiled worker: build on this thread instead.
  // The bin is bundled, so the worker is found from the package, not from this module.
  const script = join(DIST_DIR, 'lib', 'validate', 'kustomize-worker.js');
  if (!FROM_DIST || !existsSync(script)) return buildAll(root);
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(script, { workerData: { root } });
    worker.once('message', resolvePromise);
    worker.once('error', reject);
    worker.once('exit', (code) => (code !== 0 ? reject(new Error(`kubectl build worker exited with ${code}`)) : undefined));
  });
}

export async function validateDirectory(root: string, options: Omit<ValidateOptions, 'kubectlBuilds'> = {}): Promise<DirectoryReport> {
  const files = readRepository(root);
  const kubectl = await kubectlAvailable();
  const extra = [];
  let report: Report;
  if (kubectl) {
    // Every kustomization is built by kubectl as well (a second opinion on the offline builder). Where the
    // offline builder covers every kustomization, both run at once; otherwise validation needs kubectl's output first.
    const builds = buildInWorker(root);
    const dependent = files.paths().some((p) => posix.basename(p) === 'kustomization.yaml' && needsKubectl(files.get(p)!));
    const first = dependent ? undefined : await validateFiles(files, options);
    const result = await builds;
    extra.push(...result.findings);
    const kubectlBuilds = new Map(result.builds.flatMap((b) => (b.output !== undefined ? [[b.dir, b.output] as const] : [])));
    report = first ?? (await validateFiles(files, { ...options, kubectlBuilds }));
  } else {
    report = await validateFiles(files, options);
  }
  report.findings.push(...extra);
  if (!kubectl) report.notes.push('kubectl is not installed: kustomizations were built by the offline builder only. Install kubectl to build them with kustomize itself.');
  return { ...report, root, kubectl, paths: files.paths() };
}
