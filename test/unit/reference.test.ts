import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersSchema, componentsDoc, optionsDoc, providersDoc } from '../../lib/reference.js';
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
