/** Host, group and project of a remote, as `flux bootstrap gitlab|github` takes them (--hostname, --owner, --repository). */
import { describe, expect, it } from 'vitest';
import { forgeOf } from '../../lib/render/docs.js';

describe('forgeOf', () => {
  it.each([
    ['https://gitlab.example.nl/platform/gitops.git', { hostname: 'gitlab.example.nl', owner: 'platform', repository: 'gitops', github: false }],
    ['git@gitlab.example.nl:gemeente/platform/gitops.git', { hostname: 'gitlab.example.nl', owner: 'gemeente/platform', repository: 'gitops', github: false }],
    ['ssh://git@gitlab.example.nl:2222/platform/gitops', { hostname: 'gitlab.example.nl', owner: 'platform', repository: 'gitops', github: false }],
    ['https://github.com/gemeente/gitops', { hostname: 'github.com', owner: 'gemeente', repository: 'gitops', github: true }],
  ])('%s', (remote, expected) => expect(forgeOf(remote)).toEqual(expected));
  it('is undefined without a remote, or for a remote with no group', () => {
    expect(forgeOf(undefined)).toBeUndefined();
    expect(forgeOf('https://git.example.nl/gitops.git')).toBeUndefined();
  });
});
