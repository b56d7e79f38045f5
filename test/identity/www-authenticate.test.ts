/**
 * Which identity URL the Compute API and the built-in image service announce on 401 (`WWW-Authenticate: Keystone
 * uri="..."`), as keystonemiddleware does in front of Glance: www_authenticate_uri, else the
 * Keystone tokens are validated against; nothing with noauth2.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/config-loader';
import { announcedIdentityUri } from '../../src/identity/built-in-identity';

const conf = (...lines: string[]) => parseConfigText(lines.join('\n') + '\n').conf;

describe('the identity URL announced on 401 by the Compute API and the built-in image service', () => {
  it('is www_authenticate_uri when set, else auth_url, and nothing with noauth2', () => {
    assert.equal(announcedIdentityUri(conf('[api]', 'auth_strategy = keystone', '[keystone_authtoken]',
      'www_authenticate_uri = http://public.example:5000/v3', 'auth_url = http://internal:5000/v3')), 'http://public.example:5000/v3');
    assert.equal(announcedIdentityUri(conf('[api]', 'auth_strategy = keystone', '[keystone_authtoken]', 'auth_url = http://internal:5000/v3')), 'http://internal:5000/v3');
    assert.equal(announcedIdentityUri(conf('[api]', 'auth_strategy = noauth2', '[keystone_authtoken]', 'www_authenticate_uri = http://x:5000/v3')), undefined);
  });
});
