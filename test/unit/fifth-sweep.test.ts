/**
 * What the fifth sweep of public repositories showed validate (2026-12-07: giantswarm/gitops-template,
 * wahooli/gitops-repo, tvories/k8s-gitops, geoffdavis/talos-gitops, allenporter/k8s-gitops,
 * JamesAtIntegratnIO/gitops_homelab_2_0, cterence/homelab-gitops, and six more): each false error's
 * cause, checked against upstream, as the smallest repository that shows it, with the true error next to
 * it where there is one.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';

const SYNC =
  'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/org/repo.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/prod\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const APPS =
  'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const check = async (entries: Record<string, string>, base: Record<string, string> = { 'clusters/prod/flux-system/gotk-sync.yaml': SYNC, 'clusters/prod/apps.yaml': APPS }) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries({ ...base, ...entries })) files.add(p, t);
  return validateFiles(files);
};
const errors = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const secret = (name: string, data: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: default\ntype: Opaque\n${data}`;

describe('the secret scan: references, public keys, empty values, key names and placeholder tokens (wahooli, allenporter, geoffdavis, JamesAtIntegratnIO)', () => {
  it('none of them is a secret', async () => {
    const report = await check({
      'apps/token.yaml': secret('cloudflare', 'stringData:\n  api-token: ${cloudflare_api_token}\n'),
      'apps/ssh.yaml': secret('ssh-public-keys', 'stringData:\n  authorized_keys: |\n    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMgapzKxl5psYtNtqE5E7gJt6WC6677ClsT4S9fsx3Lk user@example.org\n    # a second one\n    no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops@example.org\n'),
      'apps/ca.yaml': secret('ca', `data:\n  ca.crt: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n').toString('base64')}\n`),
      'apps/values.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: default\ndata:\n  values.yaml: |\n    oidc:\n      clientSecret: "" # filled from an environment variable\n    externalSecrets:\n      tokenSecretName: "authentik-admin-token"\n      tokenSecretKey: "token"\n',
      'docs/setup.md': '# Setup\n\n    # ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n    aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\n',
    });
    expect(errors(report)).toEqual([]);
  });
  it('a value beside them, a private key with its certificate, a literal with a comment after it and a real-looking token still are', async () => {
    const report = await check({
      'apps/token.yaml': secret('cloudflare', 'stringData:\n  api-token: ${cloudflare_api_token}\n  other: s3cr3t-Value-9\n'),
      'apps/tls.yaml': secret('tls', 'stringData:\n  tls.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIU\n    -----END CERTIFICATE-----\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n    -----END PRIVATE KEY-----\n'),
      'apps/values.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: default\ndata:\n  values.yaml: |\n    oidc:\n      clientSecret: "d8Fk2mQ9zX" # the real one\n',
      'docs/setup.md': '# Setup\n\n    # ghp_4kP9qR2sT7vW1xY3zA5bC8dE0fG6hJ9kL2mN\n',
    });
    expect(errors(report).sort()).toEqual([
      'apps/tls.yaml: Secret holds plaintext values (tls.key): encrypt it (SOPS) or seal it',
      'apps/tls.yaml: line 13 holds a private key',
      'apps/token.yaml: Secret holds plaintext values (other): encrypt it (SOPS) or seal it',
      'apps/values.yaml: line 9: clientSecret has a literal value; reference a Secret instead',
      'docs/setup.md: line 3 holds a GitHub token',
    ]);
  });
});
