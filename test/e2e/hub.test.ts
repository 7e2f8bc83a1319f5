/**
 * An Argo CD hub through the bin, with Sealed Secrets: the clusters' registrations are sealed for the
 * hub, their labels follow the clusters' components on re-runs, and `haven-plus validate` checks the
 * Applications the ApplicationSets generate.
 */
import { execa } from 'execa';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { git, runBin, tempDir } from '../helpers.js';
import { unseal } from '../unseal.js';

const REMOTE = 'https://gitlab.example.nl/platform/gitops.git';
const CONFIG = '{"bearerToken":"eyJhbGciOi.not-a-real-token","tlsClientConfig":{"caData":"LS0tLS1CRUdJTg=="}}';

type Sealed = { metadata: { name: string }; spec: { encryptedData: Record<string, string>; template: { metadata: { labels: Record<string, string> } } } };

describe('Argo CD hub (--topology hub)', () => {
  it('seals registrations for the hub, validates the generated Applications, and relabels on a re-run without resealing', async () => {
    const cwd = tempDir('hub-');
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=sealed-secret/O=sealed-secret', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd });
    const args = ['platform', '--yes', '--engine', 'argocd', '--topology', 'hub', '--git-remote', REMOTE, '--provider', 'ovhcloud', '--clusters', 'mgmt,west:scaleway,east', '--components', 'postgres'];
    const run = await runBin([...args, '--sealed-secrets-cert', 'mgmt=cert.pem'], {
      cwd,
      env: { HAVEN_PLUS_SECRET_CLUSTER_WEST__SERVER: 'https://api.west.example.nl:6443', HAVEN_PLUS_SECRET_CLUSTER_WEST__CONFIG: CONFIG },
    });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, 'platform');
    const read = (p: string) => readFileSync(join(dir, p), 'utf8');

    // Argo CD and an app-of-apps on the hub only.
    expect(existsSync(join(dir, 'clusters/mgmt/apps/fleet.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'clusters/west/apps'))).toBe(false);
    expect(parse(read('.yo-rc.json'))['generator-haven-plus'].answers).toMatchObject({ topology: 'hub', 'hub-cluster': 'mgmt' });

    // west's registration: sealed for the hub's controller, labels in plain text, the name filled in.
    const sealed = parse(read('clusters/mgmt/fleet/cluster-west.sealed-secret.yaml')) as Sealed;
    const key = readFileSync(join(cwd, 'key.pem'), 'utf8');
    expect(unseal(key, sealed.spec.encryptedData.config, 'argocd/cluster-west')).toBe(CONFIG);
    expect(unseal(key, sealed.spec.encryptedData.server, 'argocd/cluster-west')).toBe('https://api.west.example.nl:6443');
    expect(unseal(key, sealed.spec.encryptedData.name, 'argocd/cluster-west')).toBe('west');
    expect(sealed.spec.template.metadata.labels).toMatchObject({ 'argocd.argoproj.io/secret-type': 'cluster', 'app.kubernetes.io/part-of': 'platform', 'components.haven-plus/postgres': 'true' });
    expect(sealed.spec.template.metadata.labels['components.haven-plus/velero']).toBeUndefined();
    expect(read('clusters/mgmt/fleet/kustomization.yaml')).toContain('cluster-west.sealed-secret.yaml');
    // east has no values yet: its README and the hub's say so, with the commands.
    expect(existsSync(join(dir, 'clusters/mgmt/fleet/cluster-east.sealed-secret.yaml'))).toBe(false);
    expect(read('clusters/east/README.md')).toContain('Secret `cluster-east` in namespace `argocd` of `mgmt`\n(**not provided yet**)');
    expect(read('clusters/mgmt/README.md')).toContain("read -rsp 'HAVEN_PLUS_SECRET_CLUSTER_EAST__CONFIG: ' HAVEN_PLUS_SECRET_CLUSTER_EAST__CONFIG");
    expect(read('clusters/mgmt/README.md')).toContain('kubectl label --local -f - -o yaml argocd.argoproj.io/secret-type=cluster');
    expect(await git(dir, ['grep', '-l', 'not-a-real-token']).catch(() => 'none')).toBe('none');

    const valid = await runBin(['validate', 'platform'], { cwd });
    expect(valid.exitCode, valid.all).toBe(0);

    // A generated Application whose overlay is gone fails validation, for the registered cluster.
    rmSync(join(dir, 'infrastructure/cert-manager/config/overlays/west'), { recursive: true });
    const broken = await runBin(['validate', 'platform'], { cwd });
    expect(broken.exitCode).not.toBe(0);
    expect(broken.all).toContain('ApplicationSet argocd/cert-manager-config for cluster west: source path infrastructure/cert-manager/config/overlays/west does not exist');
    await git(dir, ['checkout', '--', '.']);

    // velero on west: a re-run relabels the kept registration (same ciphertext) and the ApplicationSet selects west.
    const again = await runBin(['platform', '--yes', '--cluster-components', 'west=velero'], { cwd });
    expect(again.exitCode, again.all).toBe(0);
    const relabelled = parse(read('clusters/mgmt/fleet/cluster-west.sealed-secret.yaml')) as Sealed;
    expect(relabelled.spec.encryptedData).toEqual(sealed.spec.encryptedData);
    expect(relabelled.spec.template.metadata.labels['components.haven-plus/velero']).toBe('true');
    expect(read('clusters/mgmt/fleet/velero.yaml')).toContain('components.haven-plus/velero: "true"');
    expect((await runBin(['validate', 'platform'], { cwd })).exitCode).toBe(0);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');

    // Refused with Flux, naming the answer.
    writeFileSync(join(cwd, 'answers.json'), JSON.stringify({ engine: 'flux', topology: 'hub', clusters: ['a', 'b'] }));
    const flux = await runBin(['flux-hub', '--yes', '--answers', 'answers.json'], { cwd });
    expect(flux.exitCode).toBe(2);
    expect(flux.all).toContain('topology: hub needs --engine argocd');
    expect(existsSync(join(cwd, 'flux-hub'))).toBe(false);
  });
});
