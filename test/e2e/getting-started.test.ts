/**
 * docs/getting-started.md, run as printed: every `sh` block in order, in one scratch folder, with
 * `haven-plus` on PATH the built bin (test/fixtures/recipe-stubs/haven-plus, which records its arguments),
 * what a reader types at the prompts on standard input, and only what needs a cluster, a Git server or a
 * provider account stubbed (the recipe stubs, which check their arguments). The one block the page points
 * to instead of printing (the age key, named by its public key) is taken from the cluster README, where
 * the page says it is. The page's claims about the result are checked on what the blocks made.
 */
import { execa, execaSync } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, isolatedEnv } from '../helpers.js';
import { decryptAndVerify } from '../sops-verify.js';

const STUBS = join(ROOT, 'test', 'fixtures', 'recipe-stubs');
const REAL_KUBECTL = execaSync('sh', ['-c', 'command -v kubectl']).stdout.trim();
const page = readFileSync(join(ROOT, 'docs', 'getting-started.md'), 'utf8');
const blocks = [...page.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === 'bash').map((m) => m[2]);
const cwd = mkdtempSync(join(tmpdir(), 'hp-getting-started-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The first `sh` block after `heading` in a README (to the next `##` or `###` heading; `#` lines are shell comments). */
function blockAfter(readme: string, heading: RegExp): string {
  const at = readme.search(heading);
  expect(at, String(heading)).toBeGreaterThan(-1);
  const section = readme.slice(at).split(/\n(?=#{2,3} )/)[0];
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section);
  expect(block, `a sh block after ${heading}`).not.toBeNull();
  return block![1];
}

describe('docs/getting-started.md, run as printed, in order', () => {
  it('every block runs clean, from an empty folder to a bootstrapped cluster, and the result is what the page says', async () => {
    expect(blocks.length).toBe(10);
    const [, , , , , push, providerKey, secrets, bootstrap, watch] = blocks;
    expect(push).toBe('git push -u origin main\n');
    expect(bootstrap).toMatch(/^flux install\n/);
    // The remote the page names, as a bare repository here (git's own url.<base>.insteadOf: no network).
    const remote = /--git-remote (\S+)/.exec(blocks[1])![1];
    const bare = join(cwd, 'remote.git');
    await execa('git', ['init', '--bare', '--quiet', bare]);
    writeFileSync(join(cwd, 'gitconfig'), `[url "file://${bare}"]\n\tinsteadOf = ${remote}\n`);
    const log = join(cwd, 'stub.log');
    const env = { ...isolatedEnv(cwd), GIT_CONFIG_GLOBAL: join(cwd, 'gitconfig'), PATH: `${STUBS}:${process.env.PATH}`, HAVEN_PLUS_NODE: process.execPath, HAVEN_PLUS_BIN: BIN, STUB_LOG: log, REAL_KUBECTL };
    // What the reader types at the prompts, in order: step 7 (project, user), step 8 (the platform's key,
    // into the Secret), step 9 (the Git token).
    const typed = ['d5b4c3a2e1f0', 'a1b2c3d4e5f6', 'AKPLATFORM000000001', 'platform-secret-never-in-git', 'platform-reader', 'glpat-read-token-never-in-git'];
    // One shell session, as a reader types the blocks one after another (a `cd` carries over); a marker
    // line between blocks splits the output. Before step 9's block, the README's age-key block, which the
    // page points to: read from the README as step 8 left it.
    const marker = '@@@ next block @@@';
    const ageKeyBlock = `awk '/^\\*\\*First, on every route below/{on=1} on && /^\`\`\`sh$/{inblock=1; next} inblock && /^\`\`\`$/{exit} inblock' clusters/acc/README.md > ../age-key-block.sh\nbash -euo pipefail ../age-key-block.sh\n`;
    const session = blocks.map((b, i) => `${i === 8 ? ageKeyBlock : ''}${b}echo '${marker}'\n`).join('');
    const run = await execa('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', session], { cwd, env, extendEnv: false, input: typed.map((t) => `${t}\n`).join(''), reject: false, all: true });
    expect(run.exitCode, run.all).toBe(0);
    const outputs = run.all.split(marker);
    expect(outputs).toHaveLength(blocks.length + 1);
    const dir = join(cwd, 'gitops');
    const git = (...args: string[]) => execaSync('git', args, { cwd: dir, env, extendEnv: false }).stdout;

    // 1-4: installed, generated, looked at, validated.
    expect(outputs[0].trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const path of ['clusters/acc/README.md', 'clusters/prod/README.md', 'README.md', 'docs/haven-compliance.md', '.gitlab-ci.yml']) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(outputs[2]).toMatch(/^clusters:\nacc\nprod$/m);
    expect(outputs[3]).toMatch(/✓ valid/);
    // 5, day 2: one commit each, on top of the first.
    const dayTwo = outputs[4].split('\n').filter((l) => /^[0-9a-f]{7,} /.test(l));
    expect(dayTwo).toHaveLength(3);
    expect(dayTwo[0]).toMatch(/ feat\(velero\): /);
    expect(dayTwo[1]).toMatch(/ feat\(postgres\): add database orders/);
    expect(readFileSync(join(dir, 'clusters/prod/infrastructure/velero.yaml'), 'utf8')).toContain('velero');
    expect(existsSync(join(dir, 'clusters/acc/infrastructure/velero.yaml'))).toBe(false);

    // 7-9 print what the cluster's README says, word for word: the README as it was when the reader got
    // there (step 8 rewrites it with the key's block), so the page cannot drift from what the tool writes.
    const readmeBefore = git('show', 'HEAD~1:clusters/acc/README.md');
    // (Step 8 adds the push that the run's own last line asks for, and forgets the values.)
    const afterRun = /\ngit push\nunset HAVEN_PLUS_SECRET_ACC__S3_CREDENTIALS__S3_ACCESS_KEY_ID HAVEN_PLUS_SECRET_ACC__S3_CREDENTIALS__S3_SECRET_ACCESS_KEY\n$/;
    expect(secrets).toMatch(afterRun);
    for (const [name, block] of Object.entries({ providerKey, secrets: secrets.replace(afterRun, '\n') })) expect(readmeBefore, name).toContain(block);
    const readme = readFileSync(join(dir, 'clusters/acc/README.md'), 'utf8');
    expect(readme).toContain(bootstrap);
    expect(readme).toContain(watch);
    expect(blockAfter(readmeBefore, /^### Object storage/m)).toBe(providerKey);
    // The page says where the age-key block is: the end of section 1, named by the key's public key.
    const recipient = /^\s*- age: (age1[0-9a-z]+)$/m.exec(readFileSync(join(dir, '.sops.yaml'), 'utf8'))?.[1] ?? /age1[0-9a-z]{58}/.exec(readFileSync(join(dir, '.sops.yaml'), 'utf8'))?.[0];
    expect(recipient).toBeDefined();
    expect(blockAfter(readme, /^\*\*First, on every route below/m)).toContain(recipient);
    expect(page).toMatch(/end of section 1 of `clusters\/acc\/README\.md`/);

    // 6 and 8: pushed, and the remote holds every commit, the last with the encrypted Secret.
    expect(execaSync('git', ['--git-dir', bare, 'rev-parse', 'main']).stdout).toBe(git('rev-parse', 'HEAD'));
    expect(git('log', '-1', '--format=%s')).toMatch(/^chore: regenerate/);
    const encrypted = readFileSync(join(dir, 'infrastructure/postgres/config/overlays/acc/s3-credentials.sops.yaml'), 'utf8');
    expect(encrypted).toMatch(/ENC\[AES256_GCM,/);
    // What was typed reached no file, no commit, no output and no command line.
    const history = git('log', '-p', '--all');
    for (const secret of typed.filter((t) => t.includes('secret') || t.includes('token') || t.startsWith('AK'))) {
      expect(history, secret).not.toContain(secret);
      expect(run.all, secret).not.toContain(secret);
      expect(readFileSync(log, 'utf8'), secret).not.toContain(secret);
    }
    // The private key is in the reader's SOPS key file (0600), and it is the key the cluster got.
    const keyFile = join(cwd, '.config', 'sops', 'age', 'keys.txt');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateKey = new RegExp(`^# public key: ${recipient}\\n(AGE-SECRET-KEY-1[0-9A-Z]{58})$`, 'm').exec(readFileSync(keyFile, 'utf8'))?.[1];
    expect(privateKey).toBeDefined();

    // The encrypted Secret holds exactly what was typed at step 8's prompts, under the cluster's key.
    const { plain, macOk } = await decryptAndVerify(encrypted, privateKey!);
    expect(macOk).toBe(true);
    const stored = plain as { stringData?: Record<string, string>; data?: Record<string, string> };
    const values = stored.stringData ?? Object.fromEntries(Object.entries(stored.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(values).toEqual({ S3_ACCESS_KEY_ID: 'AKPLATFORM000000001', S3_SECRET_ACCESS_KEY: 'platform-secret-never-in-git' });

    // At the provider and on the cluster, in the page's order: the user, key and policy, the bucket; the
    // age key before Flux; Flux syncing clusters/acc from the remote, then watched.
    const calls = readFileSync(log, 'utf8').split('\n').filter((l) => /^(ovhcloud|kubectl|flux|sops-age key) /.test(l));
    const at = (re: RegExp) => {
      const i = calls.findIndex((l) => re.test(l));
      expect(i, `${re} in\n${calls.join('\n')}`).toBeGreaterThan(-1);
      return i;
    };
    const order = [
      at(/^ovhcloud cloud storage-s3 create GRA --name gitops-acc-postgres --cloud-project d5b4c3a2e1f0$/),
      at(/^ovhcloud cloud user create --cloud-project d5b4c3a2e1f0 --description gitops-acc-s3 /),
      at(/^ovhcloud cloud storage-s3 credentials create a1b2c3d4e5f6 /),
      at(/^ovhcloud cloud user s3-policy create a1b2c3d4e5f6 .*arn:aws:s3:::gitops-acc-postgres\/\*/),
      at(new RegExp(`^sops-age key ${privateKey}$`)),
      at(/^flux install$/),
      at(/^kubectl apply --server-side -f -$/),
      at(/^flux create source git flux-system --url=https:\/\/gitlab\.example\.nl\/platform\/gitops\.git --secret-ref=flux-system --branch=main$/),
      at(/^flux create kustomization flux-system --source=GitRepository\/flux-system --path=\.\/clusters\/acc /),
      at(/^flux get kustomizations --watch$/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The Secret Flux reads the repository with holds the token that was typed (the stub applied it).
    expect(readFileSync(log, 'utf8')).toMatch(/^applied kind: Secret$/m);

    // On macOS sops keeps its key file under ~/Library/Application Support: the README's block finds it there.
    const mac = join(cwd, 'mac-home');
    mkdirSync(join(mac, 'Library', 'Application Support', 'sops', 'age'), { recursive: true });
    copyFileSync(keyFile, join(mac, 'Library', 'Application Support', 'sops', 'age', 'keys.txt'));
    const macLog = join(cwd, 'mac-stub.log');
    const onMac = await execa('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', blockAfter(readme, /^\*\*First, on every route below/m)], { cwd: dir, env: { ...env, HOME: mac, STUB_LOG: macLog }, extendEnv: false, reject: false, all: true });
    expect(onMac.exitCode, onMac.all).toBe(0);
    expect(readFileSync(macLog, 'utf8')).toContain(`sops-age key ${privateKey}`);
  });
});
