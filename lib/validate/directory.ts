/** Validation of a repository on disk: the same pipeline as in memory, plus real kubectl builds. */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileSet } from '../fileset.js';
import { DIST_DIR, FROM_DIST } from '../package-info.js';
import { buildAll, kubectlAvailable } from './kustomize.js';
import { validateFiles, type Report, type ValidateOptions } from './repository.js';
import { append } from './build.js';
import type { Finding } from './findings.js';

const TEXT_FILES = /\.(ya?ml|md|json|txt|sh|tf)$|(^|\/)(Makefile|justfile)$|(^|\/)\.(git(ignore|attributes)|sourceignore)$|(^|\/)\.gitlab-ci\.yml$|(^|\/)Kustomization$/;
/** (Scripts, Makefiles and Terraform: the steps they apply by hand, the objects they make.) Larger files are not read (Argo CD caps a directory's manifests at 10 MiB too): a note names them. */
const MAX_FILE_BYTES = 10 * 2 ** 20;

/**
 * The text files of a repository on disk. Symbolic links are not followed (source-controller leaves them
 * out of its artifacts, and a link may point anywhere on this machine): `links` lists them.
 */
export function readRepository(root: string, links: string[] = [], large: string[] = []): FileSet {
  const files = new FileSet();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isSymbolicLink()) links.push(rel);
      else if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && TEXT_FILES.test(rel)) {
        if (lstatSync(path).size > MAX_FILE_BYTES) large.push(rel);
        else files.add(rel, readFileSync(path, 'utf8'));
      }
    }
  };
  walk(root);
  return files;
}

/**
 * The URLs of a checkout's git remotes (`.git/config`, read as a regular file inside the repository; a
 * worktree's `.git` file or a link is not followed): how the repository names itself in sources and
 * ApplicationSet generators. An ssh `git@host:path` remote is also given as https://host/path.
 */
export function repositoryUrls(root: string): string[] {
  const config = join(root, '.git', 'config');
  try {
    if (!lstatSync(join(root, '.git')).isDirectory() || !lstatSync(config).isFile()) return [];
  } catch {
    return [];
  }
  // Credentials in a remote (CI checkouts put a job token there) are dropped at once: never kept or shown.
  const urls = [...readFileSync(config, 'utf8').matchAll(/^\s*url\s*=\s*(\S+)\s*$/gm)].map((m) => m[1].replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1'));
  return [...new Set(urls.flatMap((u) => {
    const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(u);
    const ssh = /^ssh:\/\/[\w.-]+@([\w.-]+)(?::\d+)?\/(.+)$/.exec(u);
    const https = scp ?? ssh;
    return https ? [u, `https://${https[1]}/${https[2]}`] : [u];
  }))];
}

export interface DirectoryReport extends Report {
  root: string;
  /** Whether kubectl was found: asked only when a kustomization needed it (kubectlBuilt), undefined otherwise. */
  kubectl?: boolean;
  /** The kustomizations kubectl built (what the offline builder does not implement, and is safe to build). */
  kubectlBuilt: string[];
  paths: string[];
}

/** The kubectl builds, in a worker thread: its own event loop keeps the processes going while this thread validates. */
function buildInWorker(root: string, dirs: string[]): Promise<Awaited<ReturnType<typeof buildAll>>> {
  // Run from the TypeScript sources (tests), there is no compiled worker: build on this thread instead.
  // The bin is bundled, so the worker is found from the package, not from this module.
  const script = join(DIST_DIR, 'lib', 'validate', 'kustomize-worker.js');
  if (!FROM_DIST || !existsSync(script)) return buildAll(root, dirs);
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(script, { workerData: { root, dirs } });
    worker.once('message', resolvePromise);
    worker.once('error', reject);
    worker.once('exit', (code) => (code !== 0 ? reject(new Error(`kubectl build worker exited with ${code}`)) : undefined));
  });
}

export async function validateDirectory(root: string, options: Omit<ValidateOptions, 'kubectlBuilds'> = {}): Promise<DirectoryReport> {
  const links: string[] = [];
  const large: string[] = [];
  const files = readRepository(root, links, large);
  const extra: Finding[] = [];
  const refusals: string[] = [];
  const kubectlBuilt: string[] = [];
  // kubectl builds what the offline builder does not implement; the rest the offline builder builds, as
  // kustomize does (test/unit/kustomize-exact.test.ts compares the two over every kustomization of the corpora).
  const dependent: string[] = [];
  const urls = options.repositoryUrls ?? repositoryUrls(root);
  const checkoutName = basename(resolve(root));
  let report = await validateFiles(files, { ...options, repositoryUrls: urls, checkoutName, onUnsupported: (dir) => dependent.push(dir) });
  // Whether kubectl is there is asked only when a kustomization needs it: a process start costs a small run a tenth of its time.
  const kubectl = dependent.length > 0 ? await kubectlAvailable() : undefined;
  // What kubectl builds may lead to more (an Application in its output whose path is another kustomization that
  // needs kubectl: cybozu-go/neco-apps' overlays): built in rounds until no new one is needed.
  const kubectlBuilds = new Map<string, string | null>();
  const asked = new Set<string>();
  for (let round = 0; kubectl && round < 8; round++) {
    const wanted = [...new Set(dependent)].filter((d) => !asked.has(d)).sort();
    if (wanted.length === 0) break;
    for (const d of wanted) asked.add(d);
    const result = await buildInWorker(root, wanted);
    append(extra, result.findings);
    for (const b of result.builds) if (b.refused) refusals.push(`${b.dir}: not built by kubectl: ${b.refused}`);
    for (const b of result.builds) if (!b.refused) kubectlBuilt.push(b.dir);
    for (const b of result.builds) if (!b.refused) kubectlBuilds.set(b.dir, b.output ?? null);
    dependent.length = 0;
    report = await validateFiles(files, { ...options, repositoryUrls: urls, checkoutName, kubectlBuilds, onUnsupported: (dir) => dependent.push(dir) });
  }
  append(report.findings, extra);
  append(report.notes, refusals);
  if (large.length > 0) report.notes.push(`${large.length} file(s) over ${MAX_FILE_BYTES / 2 ** 20} MiB not read: ${large.slice(0, 3).join(', ')}`);
  if (links.length > 0) report.notes.push(`${links.length} symbolic link(s) not followed (${links.slice(0, 3).join(', ')}${links.length > 3 ? ', …' : ''}): Flux leaves them out of its artifacts`);
  if (!kubectl && dependent.length > 0) report.notes.push('kubectl is not installed: kustomizations using what the offline builder does not implement were built without it. Install kubectl to build them with kustomize itself.');
  return { ...report, root, kubectl, kubectlBuilt, paths: files.paths() };
}
