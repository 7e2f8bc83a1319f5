/**
 * The interactive path: every question the table marks as promptable is asked, in order, and the
 * answers given at the prompts produce the repository. yeoman-test's adapter answers the prompts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import helpers from 'yeoman-test';
import { readTree, ROOT, runBin, tempDir } from '../helpers.js';
import { decryptAndVerify } from '../sops-verify.js';

const GENERATOR = join(ROOT, 'dist', 'generators', 'app', 'index.js');

describe('prompts', () => {
  it('asks what is missing and generates from the answers', async () => {
    const asked: string[] = [];
    const result = await helpers
      .run(GENERATOR)
      .withOptions({ interactive: true, 'skip-install': true, 'git-author': 'Test <test@example.nl>' } as never)
      .withAnswers(
        {
          name: 'prompted',
          engine: 'argocd',
          provider: 'scaleway',
          clusters: 'acc,prod:ovhcloud',
          preset: 'minimal',
          components: ['postgres'],
          'object-storage': 'provider-s3',
          databases: 'app,orders',
          'certificate-issuer': 'private-ca',
          secrets: 'sealed-secrets',
          description: 'Gemeente Voorbeeld: "platform" #1',
          'git-remote': 'https://gitlab.example.nl/prompted.git',
          branch: 'main',
          push: false,
        },
        { callback: (answer: unknown, { question }: { question: { name: string } }) => (asked.push(question.name), answer) } as never,
      );
    expect(asked).toEqual(['name', 'engine', 'provider', 'clusters', 'preset', 'components', 'object-storage', 'databases', 'certificate-issuer', 'secrets', 'description', 'git-remote', 'branch', 'push']);
    const dir = result.cwd;
    expect(existsSync(join(dir, 'clusters/prod/apps/postgres-config.yaml'))).toBe(true);
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/overlays/prod/object-stores.yaml'), 'utf8')).toContain('https://s3.gra.io.cloud.ovh.net');
    const stored = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers;
    expect(stored).toMatchObject({ name: 'prompted', engine: 'argocd', clusters: ['acc', 'prod:ovhcloud'], databases: ['app', 'orders'] });
  });

  it('offers an age key pair and asks secret values with hidden prompts, never storing them', async () => {
    const keys = join(tempDir(), 'keys.txt');
    process.env.SOPS_AGE_KEY_FILE = keys;
    const asked: { name: string; type: string }[] = [];
    try {
      const result = await helpers
        .run(GENERATOR)
        .withOptions({ interactive: true, 'skip-install': true, 'git-author': 'Test <test@example.nl>' } as never)
        .withAnswers(
          // A cluster on a provider: a laptop sandbox's script makes its object storage key itself, nothing to ask.
          { name: 'vault', engine: 'flux', provider: 'ovhcloud', clusters: 'prod', components: ['postgres'], databases: 'app', secrets: 'sops', 'age-recipient': '', generate: true, value: 'typed-at-a-hidden-prompt', branch: 'main' },
          { callback: (answer: unknown, { question }: { question: { name: string; type: string } }) => (asked.push({ name: question.name, type: question.type }), answer) } as never,
        );
      expect(asked.filter((q) => q.name === 'value').map((q) => q.type)).toEqual(['password', 'password']);
      expect(asked.find((q) => q.name === 'generate')?.type).toBe('confirm');
      const dir = result.cwd;
      const identity = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(readFileSync(keys, 'utf8'))![0];
      const file = readFileSync(join(dir, 'infrastructure/postgres/config/overlays/prod/s3-credentials.sops.yaml'), 'utf8');
      const check = await decryptAndVerify(file, identity);
      expect(check.macOk).toBe(true);
      expect((check.plain as { stringData: Record<string, string> }).stringData.S3_SECRET_ACCESS_KEY).toBe('typed-at-a-hidden-prompt');
      for (const [path, text] of readTree(dir)) expect(text, path).not.toContain('typed-at-a-hidden-prompt');
    } finally {
      delete process.env.SOPS_AGE_KEY_FILE;
    }
  });
  it('a subgenerator in a generated repository asks nothing the stored answers know; --ask-answered asks them again', async () => {
    const cwd = tempDir();
    expect((await runBin(['known', '--yes', '--components', 'postgres'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'known');
    const asked: string[] = [];
    const callback = { callback: (answer: unknown, { question }: { question: { name: string } }) => (asked.push(question.name), answer) } as never;
    await helpers
      .run(join(ROOT, 'dist', 'generators', 'database', 'index.js'))
      .cd(dir)
      .withArguments(['orders'])
      .withOptions({ interactive: true, 'skip-install': true, 'git-author': 'Test <test@example.nl>' } as never)
      .withAnswers({}, callback);
    expect(asked).toEqual([]);
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/base/databases.yaml'), 'utf8')).toContain('name: orders');
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers.databases).toEqual(['app', 'orders']);

    await helpers
      .run(GENERATOR)
      .cd(dir)
      .withOptions({ interactive: true, 'ask-answered': true, 'skip-install': true, 'git-author': 'Test <test@example.nl>' } as never)
      .withAnswers({}, callback);
    expect(asked.slice(0, 5)).toEqual(['name', 'engine', 'provider', 'clusters', 'components']);
  });
});
