/** Builds every kustomization directory (Components only inside those that include them) of a repository on disk with `kubectl kustomize`. */
import { execa } from 'execa';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isComponent } from './build.js';
import { error, type Finding } from './findings.js';

export async function kubectlAvailable(): Promise<boolean> {
  try {
    await execa('kubectl', ['version', '--client'], { stdin: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function kustomizationDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry === '.git' || entry === 'node_modules') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      // A Component is built as part of the kustomizations that include it, never alone.
      else if (entry === 'kustomization.yaml' && !isComponent(readFileSync(path, 'utf8'))) out.push(dir);
    }
  };
  walk(root);
  return out;
}

export interface BuildResult {
  dir: string;
  output?: string;
}

/** Runs the builds with a little parallelism; failures become findings naming the directory. */
export async function buildAll(root: string, concurrency = 4): Promise<{ findings: Finding[]; builds: BuildResult[] }> {
  const dirs = kustomizationDirs(root);
  const findings: Finding[] = [];
  const builds: BuildResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) {
      const dir = dirs[next++];
      const rel = relative(root, dir) || '.';
      try {
        const { stdout } = await execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { stdin: 'ignore' });
        builds.push({ dir: rel, output: stdout });
      } catch (err) {
        const e = err as { stderr?: string; shortMessage?: string };
        findings.push(error('kustomize', `${rel}/kustomization.yaml`, `kubectl kustomize failed: ${(e.stderr || e.shortMessage || String(err)).trim()}`));
        builds.push({ dir: rel });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dirs.length) }, worker));
  builds.sort((a, b) => a.dir.localeCompare(b.dir));
  findings.sort((a, b) => a.file.localeCompare(b.file));
  return { findings, builds };
}
