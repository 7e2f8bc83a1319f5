/**
 * The bin at a real terminal, as a newcomer runs it: `script` (util-linux) gives it a pseudo-terminal,
 * so the bundled bin's prompts (inquirer) draw and read keys as they do for a person. Enter at every
 * prompt takes every default and must end in a committed, valid repository.
 */
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { BIN, git, isolatedEnv, tempDir } from '../helpers.js';

/** The bin with args as one shell command line (each argument single-quoted). */
const shellCommand = (args: string[]) => [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');

/** Runs the bin under a pseudo-terminal, pressing Enter every 250 ms until it exits; the screen text, without colours. */
const atTerminal = (args: string[], cwd: string) => answeredAt(args, cwd, []);

/** Runs the bin under a pseudo-terminal and presses Ctrl-C once the screen shows `when`. */
async function interruptedAt(args: string[], cwd: string, when: string): Promise<{ exitCode: number | undefined; screen: string }> {
  const command = shellCommand(args);
  const child = execa('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...isolatedEnv(cwd), TERM: 'xterm' }, extendEnv: false, reject: false, all: true, timeout: 90_000 });
  let screen = '';
  // One Ctrl-C once the prompt shows (each write echoes `^C`, so writing on every chunk would feed itself);
  // again every 3 s, a few times, should a loaded machine deliver the first before the prompt reads keys.
  let pressed = 0;
  let timer: NodeJS.Timeout | undefined;
  const press = () => {
    if (pressed >= 5) return;
    pressed++;
    child.stdin?.write('\x03');
    timer = setTimeout(press, 3000);
  };
  child.all!.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    if (pressed === 0 && screen.includes(when)) press();
  });
  const result = await child;
  clearTimeout(timer);
  return { exitCode: result.exitCode, screen: String(result.all ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}

/**
 * Runs the bin under a pseudo-terminal: Enter every 250 ms (unless `enter` is false: then only the steps),
 * and once the screen shows a step's text, that step's keys (typed text, then Enter) instead, once each.
 */
async function answeredAt(args: string[], cwd: string, steps: [when: string, keys: string][], enter = true): Promise<{ exitCode: number | undefined; screen: string }> {
  const child = execa('script', ['-qfec', shellCommand(args), '/dev/null'], { cwd, env: { ...isolatedEnv(cwd), TERM: 'xterm' }, extendEnv: false, reject: false, all: true, timeout: 90_000 });
  let screen = '';
  const left = [...steps];
  child.all!.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r?\n/g, '');
    if (left.length > 0 && plain.includes(left[0][0])) child.stdin?.write(left.shift()![1]);
  });
  const presser = enter ? setInterval(() => child.stdin?.write('\r'), 250) : undefined;
  try {
    const result = await child;
    return { exitCode: result.exitCode, screen: String(result.all ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
  } finally {
    clearInterval(presser);
  }
}

describe('haven-plus at a terminal', () => {
  it('Ctrl-C at a prompt stops the run with exit 130 and a message, writing nothing', async () => {
    const cwd = tempDir();
    const { exitCode, screen } = await interruptedAt(['stopped'], cwd, 'Platform name');
    expect(exitCode, screen.slice(-1500)).toBe(130);
    expect(screen).toContain('haven-plus: stopped at a prompt: nothing was written or committed.');
    expect(screen).not.toContain('unexpected error');
    expect(existsSync(join(cwd, 'stopped'))).toBe(false);
  });

  it('SIGTERM at a prompt stops the run at once with exit 143 and a message, writing nothing (it does not wait at the question)', async () => {
    const cwd = tempDir();
    const name = `sigterm-${process.pid}`;
    const child = execa('script', ['-qfec', shellCommand([name]), '/dev/null'], { cwd, env: { ...isolatedEnv(cwd), TERM: 'xterm' }, extendEnv: false, reject: false, all: true, timeout: 60_000 });
    let screen = '';
    let sent = false;
    child.all!.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      // The bin itself (its command line starts with node), not the shell script runs it in.
      if (!sent && screen.includes('Platform name')) {
        sent = true;
        void execa('pkill', ['-TERM', '-f', `^${process.execPath} ${BIN} ${name}$`], { reject: false });
      }
    });
    const result = await child;
    const plain = String(result.all ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(sent).toBe(true);
    expect(plain).toContain('haven-plus: stopped at a prompt (SIGTERM): nothing was written or committed.');
    // script reports the exit of the command it ran.
    expect(result.exitCode, plain.slice(-800)).toBe(143);
    expect(existsSync(join(cwd, name))).toBe(false);
  });

  it('asks each question with its default preselected; Enter throughout gives a committed, valid repository', async () => {
    const cwd = tempDir();
    const { exitCode, screen } = await atTerminal(['newcomer'], cwd);
    expect(exitCode, screen.slice(-2000)).toBe(0);
    for (const asked of ['Platform name', 'GitOps engine', 'Provider of your (first) cluster', 'Starting set of components', 'Object storage backend', 'PostgreSQL databases', 'How Secrets reach the clusters']) {
      expect(screen, asked).toContain(`✔ ${asked}`);
    }
    // An optional choice offers what leaving it unset means, first: on the laptop sandbox that is Garage,
    // not the provider S3 the sandbox does not have (which would then demand an endpoint).
    expect(screen).toContain("✔ Object storage backend per cluster: the provider's S3 where it has one");
    expect(screen).not.toContain('s3-endpoint is needed here');

    const dir = join(cwd, 'newcomer');
    const stored = (JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8')) as { 'generator-haven-plus': { answers: Record<string, unknown> } })['generator-haven-plus'].answers;
    expect(stored).toMatchObject({ name: 'newcomer', engine: 'flux', provider: 'local', preset: 'minimal' });
    expect(stored['object-storage']).toBeUndefined();
    expect(existsSync(join(dir, 'infrastructure', 'garage'))).toBe(true);
    // The age key offered at the prompt was made outside the repository, and its public key is the recipient.
    const key = readFileSync(join(cwd, '.config', 'sops', 'age', 'keys.txt'), 'utf8');
    const recipient = /public key: (age1[0-9a-z]+)/.exec(key)?.[1];
    expect(recipient).toBeDefined();
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toContain(recipient!);
    expect((await git(dir, ['rev-list', '--count', 'HEAD'])).trim()).toBe('1');
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    const report = await validateDirectory(dir);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('Argo CD: an empty Git remote is refused at its prompt with the reason, asked again, and the run completes', async () => {
    const cwd = tempDir();
    const url = 'https://gitlab.example.nl/platform/argo.git';
    const { exitCode, screen } = await answeredAt(['argo', '--engine', 'argocd'], cwd, [['is required with --engine argocd', `${url}\r`]]);
    expect(exitCode, screen.slice(-2000)).toBe(0);
    const unwrapped = screen.replace(/\r?\n/g, '');
    expect(unwrapped).toContain('is required with --engine argocd: every Application points at the repository URL');
    expect(unwrapped).toContain(`✔ Git remote URL (empty for none) ${url}`);
    expect(screen).not.toContain('git-remote: is required');
    const dir = join(cwd, 'argo');
    expect(readFileSync(join(dir, 'clusters', 'local', 'apps', 'root.yaml'), 'utf8')).toContain(`repoURL: ${url}`);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect((await validateDirectory(dir)).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('Previder: MetalLB is on by default and its address range is asked, a bad range refused at its prompt with the reason', async () => {
    const cwd = tempDir();
    const { exitCode, screen } = await answeredAt(['pv', '--provider', 'previder'], cwd, [
      ['Addresses MetalLB hands out', '10.20.0.250-10.20.0.240\r'],
      // The refused text stays in the field, to edit: erased first, as a user would.
      ['10.20.0.250 comes after 10.20.0.240', `${'\x7f'.repeat(30)}10.20.0.240/28\r`],
    ]);
    expect(exitCode, screen.slice(-2000)).toBe(0);
    const unwrapped = screen.replace(/\r?\n/g, '');
    // Refused with the reason, then taken (the terminal wraps long lines: compared without line breaks).
    expect(unwrapped).toContain('10.20.0.250 comes after 10.20.0.240');
    expect(unwrapped).toMatch(/✔ Addresses MetalLB hands out/);
    const dir = join(cwd, 'pv');
    expect(readFileSync(join(dir, 'infrastructure', 'metallb', 'config', 'overlays', 'prod', 'address-pool.yaml'), 'utf8')).toContain('- 10.20.0.240/28');
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers['load-balancer-addresses']).toBe('10.20.0.240/28');
    expect((await validateDirectory(dir)).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('a bad flag is refused before the first question, with what was meant', async () => {
    const cwd = tempDir();
    const { exitCode, screen } = await atTerminal(['early', '--provider', 'ovh'], cwd);
    expect(exitCode, screen).toBe(2);
    expect(screen).toContain('provider: "ovh" is not one of the choices; did you mean "ovhcloud"?');
    expect(screen).not.toContain('Platform name');
    expect(existsSync(join(cwd, 'early'))).toBe(false);
  });

  it('without git, asks per file edited by hand whether to overwrite it; Enter keeps the edit and the rest is updated', async () => {
    const cwd = tempDir();
    const first = await execa(process.execPath, [BIN, 'plain', '--yes', '--no-git'], { cwd, env: isolatedEnv(cwd), extendEnv: false, stdin: 'ignore', reject: false });
    expect(first.exitCode, first.stderr).toBe(0);
    const dir = join(cwd, 'plain');
    const edited = join(dir, 'infrastructure/postgres/config/base/databases.yaml');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('instances: 3', 'instances: 5'));
    const { exitCode, screen } = await atTerminal(['plain', '--databases', 'app,other'], cwd);
    expect(exitCode, screen.slice(-2000)).toBe(0);
    // The terminal wraps long lines at 80 columns.
    const unwrapped = screen.replace(/\r?\n/g, '');
    expect(unwrapped).toContain('infrastructure/postgres/config/base/databases.yaml was edited by hand and the generator changes it. Overwrite it?');
    expect(unwrapped).toContain('❯ no: keep my edit');
    expect(unwrapped).toContain('Kept as you edited them: infrastructure/postgres/config/base/databases.yaml');
    expect(readFileSync(edited, 'utf8')).toContain('instances: 5');
    expect(readFileSync(edited, 'utf8')).not.toContain('name: other');
    // Everything not edited by hand took the new answer.
    expect(readFileSync(join(dir, '.yo-rc.json'), 'utf8')).toContain('"other"');
  });
});

describe('secret values at a terminal', () => {
  it('offers a key of its own to each consumer of the object storage, hidden as typed, each sealed into its own Secret', async () => {
    const cwd = tempDir();
    const args = ['consumers', '--name', 'consumers', '--description', 'Gemeente X', '--engine', 'flux', '--provider', 'ovhcloud', '--clusters', 'prod', '--preset', 'minimal', '--components', 'loki,postgres'];
    args.push('--object-storage', 'provider-s3', '--secrets', 'sops', '--age-generate', '--certificate-issuer', 'private-ca', '--ci', 'none', '--branch', 'main', '--databases', 'app', '--git-remote', 'https://gitlab.example.nl/platform/gitops.git', '--no-push');
    const typed: [string, string][] = [
      ['use one s3-credentials value for all 2 Secrets of that name', 'n\r'],
      ['loki/s3-credentials S3_ACCESS_KEY_ID', 'GKlokikey0001\r'],
      ['loki/s3-credentials S3_SECRET_ACCESS_KEY', 'loki-secret-value-0001\r'],
      ['databases/s3-credentials S3_ACCESS_KEY_ID', 'GKdatabases0002\r'],
      ['databases/s3-credentials S3_SECRET_ACCESS_KEY', 'databases-secret-value-0002\r'],
    ];
    const { exitCode, screen } = await answeredAt(args, cwd, typed, false);
    expect(exitCode, screen.slice(-2000)).toBe(0);
    // Hidden: the values never reach the screen.
    for (const [, value] of typed.slice(1)) expect(screen).not.toContain(value.trim());
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(readFileSync(join(cwd, '.config', 'sops', 'age', 'keys.txt'), 'utf8'))![0];
    const dir = join(cwd, 'consumers');
    const opened = async (path: string) => ((await decryptSops(readFileSync(join(dir, path), 'utf8'), { secretKey: identity, fileType: 'yaml' })) as { stringData: Record<string, string> }).stringData;
    expect(await opened('infrastructure/loki/controller/overlays/prod/s3-credentials.sops.yaml')).toEqual({ S3_ACCESS_KEY_ID: 'GKlokikey0001', S3_SECRET_ACCESS_KEY: 'loki-secret-value-0001' });
    expect(await opened('infrastructure/postgres/config/overlays/prod/s3-credentials.sops.yaml')).toEqual({ S3_ACCESS_KEY_ID: 'GKdatabases0002', S3_SECRET_ACCESS_KEY: 'databases-secret-value-0002' });
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });
});
