import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersSchema, componentPages, componentsDoc, optionsDoc, providersDoc } from '../../lib/reference.js';
import { QUESTIONS } from '../../lib/questions.js';
import { ROOT } from '../helpers.js';

const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('files derived from the question table and the catalog', () => {
  it.each([
    ['schemas/answers.schema.json', () => `${JSON.stringify(answersSchema(), null, 2)}\n`],
    ['docs/options.md', optionsDoc],
    ['docs/providers.md', providersDoc],
    ['docs/components.md', componentsDoc],
  ])('%s is up to date (run npm run docs)', (path, render) => {
    expect(committed(path)).toBe(render());
  });

  it('has a page per component in docs/components, up to date, saying what it replaces, its version, namespace and what to provide', () => {
    const pages = componentPages();
    expect(readdirSync(join(ROOT, 'docs', 'components')).sort()).toEqual([...pages.keys()].map((id) => `${id}.md`).sort());
    for (const [id, page] of pages) {
      expect(committed(`docs/components/${id}.md`), `docs/components/${id}.md (run npm run docs)`).toBe(page);
      expect(page).toContain('| replaces |');
      expect(page).toContain('| namespace |');
      expect(page).toContain('## What you provide');
    }
    const velero = pages.get('velero')!;
    expect(velero).toContain('| `velero` | chart `velero` from https://vmware-tanzu.github.io/helm-charts | `12.1.0` |');
    expect(velero).toContain('- Secret `velero-repo-credentials` in namespace `velero`');
    expect(velero).toContain('| replaces | AWS Backup for Amazon EKS; Azure Backup for AKS |');
  });

  it('has a schema property for every question', () => {
    expect(Object.keys(answersSchema().properties as object)).toEqual(QUESTIONS.map((q) => q.name));
  });

  it('the answers schema accepts a real answers file and rejects typos and bad values', () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(answersSchema());
    expect(validate({ name: 'gemeente', engine: 'argocd', provider: 'scaleway', clusters: ['acc', 'prod:ovhcloud'], components: 'object-storage,postgres', databases: ['app'], push: false }), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ nmae: 'x' })).toBe(false);
    expect(validate({ engine: 'jenkins' })).toBe(false);
    expect(validate({ provider: 'aws' })).toBe(false);
    expect(validate({ components: ['mongodb'] })).toBe(false);
    expect(validate({ git: 'yes' })).toBe(false);
  });
});
