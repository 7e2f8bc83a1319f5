/**
 * Small repositories for validate's tests, written inline: the files a sweep's reproducer needs, and the
 * findings said as `file: message` lines.
 */
import { FileSet } from '../lib/fileset.js';
import { validateFiles, type ValidateOptions } from '../lib/validate/repository.js';

export const filesOf = (entries: Record<string, string>): FileSet => {
  const files = new FileSet();
  for (const [p, t] of Object.entries(entries)) files.add(p, t);
  return files;
};
export const check = (entries: Record<string, string>, options: ValidateOptions = {}) => validateFiles(filesOf(entries), options);
export type Report = Awaited<ReturnType<typeof check>>;
export const errors = (r: Report): string[] => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
export const warnings = (r: Report): string[] => r.findings.filter((f) => f.severity === 'warning').map((f) => `${f.file}: ${f.message}`);

export const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
export const configMap = (name: string, namespace: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  mode: standard\n`;
export const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

/** flux bootstrap's files for clusters/<name>, syncing https://github.com/example/fleet. */
export const bootstrap = (cluster: string) => ({
  [`clusters/${cluster}/flux-system/gotk-sync.yaml`]: `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/fleet\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./clusters/${cluster}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`,
  [`clusters/${cluster}/flux-system/kustomization.yaml`]: kustomization('resources:\n  - gotk-sync.yaml\n'),
});
export const fluxKustomization = (name: string, path: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
export const helmRelease = (name: string, ns: string, chart: string, version: string, repo: string, spec = '') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: ${chart}\n      version: ${version}\n      sourceRef:\n        kind: HelmRepository\n        name: ${repo}\n        namespace: flux-system\n${spec}`;
export const helmRepository = (name: string, url: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: ${url}\n`;
