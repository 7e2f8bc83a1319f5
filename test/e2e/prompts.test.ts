/**
 * The interactive path: every question the table marks as promptable is asked, in order, and the
 * answers given at the prompts produce the repository. yeoman-test's adapter answers the prompts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import helpers from 'yeoman-test';
import { ROOT } from '../helpers.js';

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
          components: ['postgres'],
          'object-storage': 'provider-s3',
          databases: 'app,orders',
          secrets: 'sealed-secrets',
          description: 'Gemeente Voorbeeld: "platform" #1',
          'git-remote': 'https://gitlab.example.nl/prompted.git',
          branch: 'main',
          push: false,
        },
        { callback: (answer: unknown, { question }: { question: { name: string } }) => (asked.push(question.name), answer) } as never,
      );
    expect(asked).toEqual(['name', 'engine', 'provider', 'clusters', 'components', 'object-storage', 'databases', 'secrets', 'description', 'git-remote', 'branch', 'push']);
    const dir = result.cwd;
    expect(existsSync(join(dir, 'clusters/prod/apps/postgres-config.yaml'))).toBe(true);
    expect(readFileSync(join(dir, 'infrastructure/postgres/config/overlays/prod/object-stores.yaml'), 'utf8')).toContain('https://s3.gra.io.cloud.ovh.net');
    const stored = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers;
    expect(stored).toMatchObject({ name: 'prompted', engine: 'argocd', clusters: ['acc', 'prod:ovhcloud'], databases: ['app', 'orders'] });
  });
});
