/**
 * What the eighth sweep of public repositories showed validate (2026-12-07: StatCan/aaw-argocd-manifests,
 * aws-samples/eks-multi-cluster-gitops, microsoft/multicluster-gitops, sulibot/home-ops and others): each
 * false error's cause in how clusters and their sources are found, checked against upstream, as the smallest
 * repository that shows it, with the true error beside it. (The secret scan's and SOPS' classes are in
 * eighth-sweep-secrets.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles, type ValidateOptions } from '../../lib/validate/repository.js';

const check = async (entries: Record<string, string>, options: ValidateOptions = {}) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries(entries)) files.add(p, t);
  return validateFiles(files, options);
};
type Report = Awaited<ReturnType<typeof check>>;
const errors = (r: Report) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const application = (name: string, repoURL: string, path: string) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  destination:\n    name: in-cluster\n    namespace: ${name}\n  source:\n    repoURL: ${repoURL}\n    path: ${path}\n    targetRevision: main\n    directory:\n      recurse: true\n`;
const configMap = (name: string, namespace: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  mode: standard\n`;

describe('an Argo CD source in another repository is not this one (StatCan/aaw-argocd-manifests)', () => {
  // gatekeeper's Application renders the whole of another repository (`path: .`); team-x/ is applied by nothing
  // here. argo-cd pkg/apis/application/v1alpha1/types.go: the repo-server renders `path` inside `repoURL`.
  const repo = {
    'gatekeeper/application.yaml': application('gatekeeper-constraints', 'https://github.com/example/gatekeeper-constraints.git', '.'),
    'team-x/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
    'team-x/configmap.yaml': configMap('settings', 'team-x'),
  };

  // What the Application applies where that repository is this one: its kustomization file as an object (plain
  // directory settings), and a namespace nothing creates.
  const OWN = [
    'team-x/configmap.yaml: namespace team-x is never created on cluster gatekeeper',
    "team-x/kustomization.yaml: Argo CD reads . as a plain directory (the source's directory settings say so), so it applies this kustomization file as an object, which no cluster serves: the sync fails. Drop the source's directory settings to build it with kustomize, or exclude the file",
  ];

  it('by the checkout\'s remote: another repository, whatever directories this one has', async () => {
    const report = await check(repo, { repositoryUrls: ['https://github.com/example/platform-manifests.git'] });
    expect(errors(report)).toEqual([]);
    // A mirror keeps the repository's name: its remote on another forge still reads this repository.
    const mirrored = await check({ ...repo, 'gatekeeper/application.yaml': application('gatekeeper-constraints', 'https://github.com/example/platform-manifests.git', '.') }, { repositoryUrls: ['https://gitlab.example.nl/mirror/platform-manifests.git'] });
    expect(errors(mirrored)).toEqual(OWN);
  });

  it('without remotes (an export): beside a URL evidently this repository\'s, or by the checkout directory\'s name', async () => {
    const beside = await check({ ...repo, 'apps/application.yaml': application('apps', 'https://github.com/example/platform-manifests.git', 'team-x') });
    expect(errors(beside).filter((e) => e.startsWith('team-x/') && e.includes('gatekeeper'))).toEqual([]);
    expect(errors(await check(repo, { checkoutName: 'example+platform-manifests' }))).toEqual([]);
    // A checkout named after the repository the Application renders: that one, and what it applies is checked.
    expect(errors(await check(repo, { checkoutName: 'gatekeeper-constraints' }))).toEqual(OWN);
  });
});
