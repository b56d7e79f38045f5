// POST /servers, PUT /servers/{id} and server action bodies: what the openstack CLI sends passes,
// and each refusal carries Nova's message (jsonschema's wording with Nova's prefix, or the
// controller's own text).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gone, NotFound } from '../../src/common/errors';
import { atLeast, parseVersion } from '../../src/api/microversion/api-version';
import { idFromHref, isBase64, isIPv4, isIPv6, isUuidLike, parseAvailabilityZone, parseCreateServer } from '../../src/api/servers/create-request';
import { checkServerAction, parseServerAction, parseServerUpdate } from '../../src/api/servers/action-requests';
import { bad, failure } from '../utils/api-assertions';

const V = (s: string) => parseVersion(s);
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const NET = '3cb9bc59-5699-4588-a4b1-b87f96708bc6';
const PORT = '9c8d3a1e-2f4b-4c6d-8e9f-0a1b2c3d4e5f';
const VOL = 'a26887c6-c47b-4654-abb5-dfadf7d3f803';

/** A create at `version`; from 2.37 `networks: 'auto'` is added when the server has none. */
const create = (server: Record<string, unknown>, version = '2.37', extra: Record<string, unknown> = {}) => {
  const withNet = 'networks' in server || !atLeast(V(version), '2.37') ? server : { ...server, networks: 'auto' };
  return parseCreateServer({ server: withNet, ...extra }, V(version));
};
const base = (more: Record<string, unknown> = {}) => ({ name: 'vm1', imageRef: IMAGE, flavorRef: '1', ...more });

describe('formats', () => {
  it('uuid, ipv4, ipv6, base64 as Nova checks them', () => {
    assert.ok(isUuidLike(IMAGE));
    assert.ok(isUuidLike(IMAGE.toUpperCase().replace(/-/g, '')));
    assert.ok(isUuidLike(`{urn:uuid:${IMAGE}}`));
    assert.ok(!isUuidLike('abc'));
    assert.ok(isIPv4('10.0.0.1'));
    for (const s of ['10.0.0', '1.2.3.256', '01.2.3.4', '1.2.3.4 ']) assert.ok(!isIPv4(s), s);
    for (const s of ['::1', 'fe80::1', '2001:db8::', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::']) assert.ok(isIPv6(s), s);
    for (const s of ['1:2', ':1:2:3:4:5:6:7', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', 'g::1']) assert.ok(!isIPv6(s), s);
    assert.ok(isBase64(''));
    assert.ok(isBase64('aGVsbG8gd29ybGQ='));
    assert.ok(isBase64('aGVsbG8gd29ybGQ'.concat('=')));
    assert.ok(!isBase64('u1234'));
    assert.ok(!isBase64('A random string'));
    assert.ok(!isBase64('aGVsbG8gd29ybGQ'));
  });

  it('get_id_from_href and the az:host:node syntax', () => {
    assert.equal(idFromHref('http://ctl:8774/v2.1/flavors/42?x=1#f'), '42');
    assert.equal(idFromHref('m1.tiny'), 'm1.tiny');
    assert.equal(idFromHref(7), '7');
    assert.deepEqual(parseAvailabilityZone('nova'), { zone: 'nova', host: null, node: null });
    assert.deepEqual(parseAvailabilityZone('nova:cmp1'), { zone: 'nova', host: 'cmp1', node: null });
    assert.deepEqual(parseAvailabilityZone('nova:cmp1:node1'), { zone: 'nova', host: 'cmp1', node: 'node1' });
    assert.deepEqual(parseAvailabilityZone('nova::node1'), { zone: 'nova', host: null, node: 'node1' });
    assert.deepEqual(parseAvailabilityZone(':cmp1'), { zone: null, host: 'cmp1', node: null });
    assert.equal(bad(() => parseAvailabilityZone('a:b:c:d')), 'Invalid input received: Unable to parse availability_zone');
  });
});

describe('POST /servers', () => {
  it('the openstack CLI body at 2.37+ passes and is normalised', () => {
    for (const v of ['2.37', '2.52', '2.74', '2.90', '2.96']) {
      const r = create({ name: 'vm1', imageRef: IMAGE, flavorRef: '1', min_count: 1, max_count: 1, networks: 'auto' }, v);
      assert.equal(r.name, 'vm1');
      assert.equal(r.imageRef, IMAGE);
      assert.equal(r.flavorRef, '1');
      assert.equal(r.networks, 'auto');
      assert.equal(r.minCount, 1);
      assert.equal(r.maxCount, 1);
      assert.equal(r.bootFromVolume, false);
      assert.deepEqual(r.securityGroups, ['default']);
      assert.deepEqual(r.securityGroupsResponse, [{ name: 'default' }]);
      assert.deepEqual(r.metadata, {});
      assert.deepEqual(r.tags, []);
      assert.equal(r.description, null);
      assert.equal(r.adminPass, null);
      assert.equal(r.configDrive, false);
      assert.equal(r.returnReservationId, false);
      assert.deepEqual(r.schedulerHints, {});
    }
  });

  it('2.1: no networks needed; an href flavorRef; the name is the description; defaults', () => {
    const r = create({ name: 'vm1', imageRef: IMAGE, flavorRef: 'http://ctl/v2.1/flavors/42' }, '2.1');
    assert.equal(r.flavorRef, '42');
    assert.equal(r.networks, null);
    assert.equal(r.description, 'vm1');
    assert.equal(r.minCount, 1);
    assert.equal(r.maxCount, 1);
    assert.equal(create({ name: 'vm1', imageRef: IMAGE, flavorRef: 3, max_count: '3', min_count: '2' }, '2.1').maxCount, 3);
    assert.equal(create({ name: 'vm1', imageRef: IMAGE, flavorRef: 1, min_count: 2 }, '2.1').maxCount, 2, 'max_count defaults to min_count');
    assert.equal(create({ name: 'vm1\n', imageRef: IMAGE, flavorRef: 1 }, '2.1').name, 'vm1', 'stripped (Python re lets one trailing newline through)');
  });

  it('every optional field, normalised', () => {
    const r = create(
      base({
        name: 'web',
        key_name: 'k1',
        user_data: 'aGVsbG8=',
        metadata: { role: 'web' },
        availability_zone: 'nova:cmp1:node1',
        min_count: '2',
        max_count: 3,
        return_reservation_id: 'False',
        networks: [{ uuid: NET, tag: 'a' }, { uuid: NET }],
        security_groups: [{ name: 'default' }, { name: 'web' }, { name: 'web' }],
        config_drive: 'yes',
        adminPass: 'secret',
        'OS-DCF:diskConfig': 'AUTO',
        accessIPv4: '192.0.2.1',
        accessIPv6: '2001:db8::1',
        description: null,
        tags: ['a', 'b'],
        trusted_image_certificates: ['c1', 'c2'],
      }),
      '2.73',
      { 'os:scheduler_hints': { group: NET, same_host: [IMAGE], _nova_check_type: 'x', custom: 1 } },
    );
    assert.equal(r.keyName, 'k1');
    assert.equal(r.userData, 'aGVsbG8=');
    assert.deepEqual(r.metadata, { role: 'web' });
    assert.equal(r.availabilityZone, 'nova');
    assert.equal(r.availabilityZoneRaw, 'nova:cmp1:node1');
    assert.equal(r.forcedHost, 'cmp1');
    assert.equal(r.forcedNode, 'node1');
    assert.equal(r.minCount, 2);
    assert.equal(r.maxCount, 3);
    assert.equal(r.returnReservationId, true, 'Nova tests the truth of the string');
    assert.deepEqual(r.networks, [{ uuid: NET, tag: 'a' }, { uuid: NET }]);
    assert.deepEqual(create(base({ networks: [{ uuid: NET, fixed_ip: '10.0.0.5', tag: 'a' }, { port: PORT }] }), '2.42').networks, [{ uuid: NET, fixedIp: '10.0.0.5', tag: 'a' }, { port: PORT }]);
    assert.deepEqual(r.securityGroups, ['default', 'web']);
    assert.equal(r.securityGroupsResponse.length, 3);
    assert.equal(r.configDrive, true);
    assert.equal(r.adminPass, 'secret');
    assert.equal(r.diskConfig, 'AUTO');
    assert.equal(r.accessIPv4, '192.0.2.1');
    assert.equal(r.accessIPv6, '2001:db8::1');
    assert.equal(r.description, null);
    assert.deepEqual(r.tags, ['a', 'b']);
    assert.deepEqual(r.trustedImageCertificates, ['c1', 'c2']);
    assert.deepEqual(r.schedulerHints, { group: NET, same_host: [IMAGE], custom: 1 });
    // the legacy hints key, used only when os:scheduler_hints is absent
    assert.deepEqual(create(base(), '2.37', { 'OS-SCH-HNT:scheduler_hints': { a: 'b' } }).schedulerHints, { a: 'b' });
  });

  it('root and server-level schema errors', () => {
    assert.equal(bad(() => parseCreateServer({}, V('2.1'))), "'server' is a required property");
    assert.equal(bad(() => parseCreateServer([], V('2.1'))), "[] is not of type 'object'");
    assert.equal(bad(() => create(base(), '2.37', { foo: 1 })), "Additional properties are not allowed ('foo' was unexpected)");
    assert.equal(bad(() => parseCreateServer({ server: 'x' }, V('2.1'))), "Invalid input for field/attribute server. Value: x. 'x' is not of type 'object'");
    assert.equal(
      bad(() => parseCreateServer({ server: { name: 'vm1', imageRef: IMAGE, flavorRef: '1' } }, V('2.37'))),
      `Invalid input for field/attribute server. Value: {'name': 'vm1', 'imageRef': '${IMAGE}', 'flavorRef': '1'}. 'networks' is a required property`,
    );
    assert.equal(bad(() => create({ imageRef: IMAGE, flavorRef: '1' }, '2.1')), `Invalid input for field/attribute server. Value: {'imageRef': '${IMAGE}', 'flavorRef': '1'}. 'name' is a required property`);
    assert.equal(
      bad(() => create(base({ colour: 'red', bogus: 1 }))),
      `Invalid input for field/attribute server. Value: {'name': 'vm1', 'imageRef': '${IMAGE}', 'flavorRef': '1', 'colour': 'red', 'bogus': 1, 'networks': 'auto'}. Additional properties are not allowed ('bogus', 'colour' were unexpected)`,
    );
  });

  it('field errors: name, flavorRef, imageRef, counts, user_data, IPs, metadata, disk config', () => {
    assert.equal(bad(() => create(base({ name: ' vm' }))), "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
    assert.equal(bad(() => create(base({ name: '' }))), "Invalid input for field/attribute name. Value: . '' is too short");
    assert.equal(bad(() => create(base({ name: 5 }))), "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'");
    assert.equal(bad(() => create(base({ flavorRef: '' }))), "Invalid input for field/attribute flavorRef. Value: . '' is too short");
    assert.equal(bad(() => create(base({ flavorRef: null }))), "Invalid input for field/attribute flavorRef. Value: None. None is not of type 'string', 'integer'");
    assert.equal(bad(() => create(base({ imageRef: 'abc' }))), "Invalid input for field/attribute imageRef. Value: abc. 'abc' is not valid under any of the given schemas");
    assert.equal(bad(() => create(base({ min_count: 0 }))), 'Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1');
    assert.equal(bad(() => create(base({ max_count: 'x' }))), "Invalid input for field/attribute max_count. Value: x. 'x' does not match '^[0-9]*$'");
    assert.equal(bad(() => create(base({ min_count: 3, max_count: 2 }))), 'min_count must be <= max_count');
    assert.equal(bad(() => create(base({ user_data: 'u1234' }))), "Invalid input for field/attribute user_data. Value: u1234. 'u1234' is not a 'base64'");
    assert.match(bad(() => create(base({ user_data: 'MQ=='.repeat(16384) }))), /^Invalid input for field\/attribute user_data\. Value: (MQ==)+\. '(MQ==)+' is too long$/);
    assert.equal(bad(() => create(base({ accessIPv4: '1.2.3.256' }))), "Invalid input for field/attribute accessIPv4. Value: 1.2.3.256. '1.2.3.256' is not a 'ipv4'");
    assert.equal(bad(() => create(base({ accessIPv6: '1.2.3.4' }))), "Invalid input for field/attribute accessIPv6. Value: 1.2.3.4. '1.2.3.4' is not a 'ipv6'");
    assert.equal(bad(() => create(base({ metadata: { k: 1 } }))), "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'");
    assert.equal(bad(() => create(base({ 'OS-DCF:diskConfig': 'auto' }))), "Invalid input for field/attribute OS-DCF:diskConfig. Value: auto. 'auto' is not one of ['AUTO', 'MANUAL']");
    assert.equal(bad(() => create(base({ config_drive: 1 }))), "Invalid input for field/attribute config_drive. Value: 1. 1 is not of type 'boolean', 'string'");
    assert.equal(bad(() => create(base({ security_groups: [{ name: 'a', id: 1 }] }))), "Invalid input for field/attribute 0. Value: {'name': 'a', 'id': 1}. Additional properties are not allowed ('id' was unexpected)");
    // the first failing property in the schema's order, whatever the body's order
    assert.equal(bad(() => create({ networks: 'auto', accessIPv4: 'x', name: '', flavorRef: '1' })), "Invalid input for field/attribute name. Value: . '' is too short");
  });

  it('the image: required unless a block device mapping gives the root disk', () => {
    assert.equal(bad(() => create({ name: 'vm1', flavorRef: '1', networks: 'none' })), 'Missing imageRef attribute');
    assert.equal(bad(() => create({ name: 'vm1', flavorRef: '1', networks: 'none', imageRef: '' })), 'Missing imageRef attribute');
    const bfv = create({
      name: 'vm1', flavorRef: '1', networks: 'none', imageRef: '',
      block_device_mapping_v2: [{ boot_index: '0', uuid: VOL, source_type: 'volume', destination_type: 'volume', delete_on_termination: 'true', device_name: 'vda' }],
    });
    assert.equal(bfv.imageRef, null);
    assert.equal(bfv.bootFromVolume, true);
    assert.equal(bfv.legacyBdm, false);
    assert.deepEqual(bfv.blockDeviceMappings, [{
      sourceType: 'volume', destinationType: 'volume', imageId: null, volumeId: VOL, snapshotId: null, bootIndex: 0, volumeSize: null,
      deviceName: '/dev/vda', deviceType: null, diskBus: null, guestFormat: null, deleteOnTermination: true, noDevice: false,
      connectionInfo: null, tag: null, volumeType: null,
    }]);
    const fromImage = create(base({ block_device_mapping_v2: [{ boot_index: 0, uuid: IMAGE, source_type: 'image', destination_type: 'volume', volume_size: '10' }] }));
    assert.equal(fromImage.blockDeviceMappings[0].imageId, IMAGE);
    assert.equal(fromImage.blockDeviceMappings[0].volumeSize, 10);
    const legacy = create({ name: 'vm1', flavorRef: '1', networks: 'none', block_device_mapping: [{ volume_id: VOL, device_name: '/dev/vda', delete_on_termination: '1' }] });
    assert.equal(legacy.legacyBdm, true);
    assert.equal(legacy.bootFromVolume, true);
    assert.equal(legacy.blockDeviceMappings[0].sourceType, 'volume');
    assert.equal(legacy.blockDeviceMappings[0].destinationType, 'volume');
    assert.equal(legacy.blockDeviceMappings[0].deviceName, '/dev/vda');
    assert.equal(legacy.blockDeviceMappings[0].deleteOnTermination, true);
    const swap = create(base({ block_device_mapping: [{ virtual_name: 'swap', device_name: 'vdb' }] }));
    assert.equal(swap.blockDeviceMappings[0].sourceType, 'blank');
    assert.equal(swap.blockDeviceMappings[0].guestFormat, 'swap');
  });

  it('block device mapping errors', () => {
    const v2 = (bdm: Record<string, unknown>, version = '2.37', image: unknown = IMAGE) => create(base({ imageRef: image, block_device_mapping_v2: [bdm] }), version);
    assert.equal(
      bad(() => create(base({ block_device_mapping: [{ volume_id: VOL }], block_device_mapping_v2: [{ source_type: 'volume', uuid: VOL }] }))),
      'Using different block_device_mapping syntaxes is not allowed in the same request.',
    );
    assert.equal(bad(() => v2({ source_type: 'volume', destination_type: 'volume' })), 'Block Device Mapping is Invalid: Missing device UUID.');
    assert.equal(bad(() => v2({ source_type: 'blank', uuid: VOL })), 'Block Device Mapping is Invalid: Invalid device UUID.');
    assert.equal(bad(() => v2({ source_type: 'image', uuid: IMAGE, destination_type: 'local', boot_index: 1 })), 'Block Device Mapping is Invalid: Mapping image to local is not supported.');
    assert.ok(v2({ source_type: 'image', uuid: IMAGE, destination_type: 'local', boot_index: 0 }), 'the --image mapping itself');
    assert.equal(bad(() => v2({ source_type: 'volume', uuid: VOL, virtual_name: 'x' })), 'Block Device Mapping is Invalid: Following fields are invalid: virtual_name');
    assert.equal(bad(() => v2({ source_type: 'volume', uuid: VOL, volume_type: 'ssd' }, '2.67')), 'Block Device Mapping is Invalid: Specifying volume type to existing volume is not supported.');
    assert.equal(
      bad(() => v2({ source_type: 'blank', destination_type: 'local', volume_type: 'ssd', volume_size: 1 }, '2.67')),
      'Block Device Mapping is Invalid: Specifying a volume_type with destination_type=local is not supported.',
    );
    assert.equal(
      bad(() => v2({ source_type: 'volume', uuid: VOL, volume_type: 'ssd' }, '2.66')),
      `Invalid input for field/attribute 0. Value: {'source_type': 'volume', 'uuid': '${VOL}', 'volume_type': 'ssd'}. Additional properties are not allowed ('volume_type' was unexpected)`,
    );
    assert.equal(bad(() => v2({ source_type: 'volume', uuid: VOL, tag: 't' }, '2.33')), `Invalid input for field/attribute 0. Value: {'source_type': 'volume', 'uuid': '${VOL}', 'tag': 't'}. Additional properties are not allowed ('tag' was unexpected)`);
    assert.ok(v2({ source_type: 'volume', uuid: VOL, tag: 't' }, '2.32'));
    assert.ok(v2({ source_type: 'volume', uuid: VOL, tag: 't' }, '2.42'));
    assert.equal(bad(() => v2({ source_type: 'disk', uuid: VOL })), "Invalid input for field/attribute source_type. Value: disk. 'disk' is not one of ['volume', 'image', 'snapshot', 'blank']");
    assert.equal(bad(() => v2({ source_type: 'volume', uuid: VOL, volume_size: 0 })), 'Invalid input for field/attribute volume_size. Value: 0. 0 is less than the minimum of 1');
    assert.equal(bad(() => v2({ source_type: 'volume', uuid: VOL, boot_index: 'x' })), "Invalid input for field/attribute boot_index. Value: x. 'x' does not match '^-?[0-9]+$'");
    assert.equal(bad(() => create(base({ block_device_mapping: [{ device_name: 'vda' }] }))), 'Block Device Mapping is Invalid: Unrecognized legacy format.');
  });

  it('networks by microversion', () => {
    assert.equal(bad(() => create(base({ networks: 'auto' }), '2.36')), "Invalid input for field/attribute networks. Value: auto. 'auto' is not of type 'array'");
    assert.equal(
      bad(() => create(base({ networks: [{ uuid: 'abc' }] }), '2.37')),
      "Invalid input for field/attribute networks. Value: [{'uuid': 'abc'}]. [{'uuid': 'abc'}] is not valid under any of the given schemas",
    );
    assert.equal(bad(() => create(base({ networks: 'all' }))), "Invalid input for field/attribute networks. Value: all. 'all' is not valid under any of the given schemas");
    assert.equal(bad(() => create(base({ networks: [{ uuid: 'abc' }] }), '2.1')), 'Bad networks format: network uuid is not in proper format (abc)');
    assert.equal(bad(() => create(base({ networks: [{ uuid: NET, fixed_ip: '10.0.0' }] }), '2.1')), "Invalid input for field/attribute fixed_ip. Value: 10.0.0. '10.0.0' is not valid under any of the given schemas");
    assert.equal(bad(() => create(base({ networks: [{ port: 'p1' }] }), '2.1')), "Invalid input for field/attribute port. Value: p1. 'p1' is not a 'uuid'");
    assert.equal(bad(() => create(base({ networks: [{}] }))), "Bad network format: missing 'uuid'");
    assert.equal(bad(() => create(base({ networks: [{ port: null }] }), '2.1')), "Bad network format: missing 'uuid'");
    assert.equal(
      bad(() => create(base({ networks: [{ port: PORT, fixed_ip: '10.0.0.5' }] }))),
      `Specified Fixed IP '10.0.0.5' cannot be used with port '${PORT}': the two cannot be specified together.`,
    );
    assert.equal(bad(() => create(base({ networks: [{ port: PORT }, { port: PORT }] }))), `Port ID '${PORT}' was specified twice: you cannot attach a port multiple times.`);
    assert.deepEqual(create(base({ networks: [{ port: PORT, uuid: NET }] })).networks, [{ port: PORT }], 'a port wins over the network');
    assert.equal(create(base({ networks: 'none' })).networks, 'none');
    assert.deepEqual(create(base({ networks: [] }), '2.1').networks, []);
    // tag: 2.32-2.36 and 2.42+
    assert.ok(create(base({ networks: [{ uuid: NET, tag: 't' }] }), '2.32'));
    assert.ok(create(base({ networks: [{ uuid: NET, tag: 't' }] }), '2.36'));
    assert.match(bad(() => create(base({ networks: [{ uuid: NET, tag: 't' }] }), '2.41')), /is not valid under any of the given schemas$/);
    assert.ok(create(base({ networks: [{ uuid: NET, tag: 't' }] }), '2.42'));
    assert.equal(bad(() => create(base({ networks: [{ uuid: NET, tag: 't' }] }), '2.31')), "Invalid input for field/attribute 0. Value: {'uuid': '" + NET + "', 'tag': 't'}. Additional properties are not allowed ('tag' was unexpected)");
    // compute.API.create's limits on multi-create
    assert.equal(
      bad(() => create(base({ max_count: 2, networks: [{ uuid: NET, fixed_ip: '10.0.0.5' }] }))),
      'Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.',
    );
    assert.equal(
      bad(() => create(base({ max_count: 2, networks: [{ port: PORT }] }))),
      'Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
    );
  });

  it('fields by microversion: description, tags, personality, trusted certs, host, hostname', () => {
    const extra = (field: string) => new RegExp(`Additional properties are not allowed \\('${field}' was unexpected\\)$`);
    assert.match(bad(() => create(base({ description: 'd' }), '2.1')), extra('description'));
    assert.equal(create(base({ description: 'd' }), '2.19').description, 'd');
    // the pattern as Nova builds it: re.escape'd ranges of printable characters, quoted with repr()
    const descr = bad(() => create(base({ description: 'a\u0001' }), '2.19'));
    assert.ok(descr.startsWith("Invalid input for field/attribute description. Value: a\u0001. 'a\\x01' does not match '^[\\\\ -\\\\~\\xa0-\u00ac\u00ae-"), descr.slice(0, 120));
    assert.ok(descr.endsWith("]*$'"));
    assert.match(bad(() => create(base({ description: 'x'.repeat(256) }), '2.19')), /is too long$/);

    assert.match(bad(() => create(base({ tags: ['a'] }), '2.51')), extra('tags'));
    assert.equal(bad(() => create(base({ tags: ['a,b'] }), '2.52')), "Invalid input for field/attribute 0. Value: a,b. 'a,b' does not match '^[^,/]*$'");
    assert.match(bad(() => create(base({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }), '2.52')), /^Invalid input for field\/attribute tags\. Value: \['t0', .* is too long$/);

    assert.deepEqual(create(base({ personality: [{ path: '/etc/motd', contents: 'aGk=' }] }), '2.56').personality, [{ path: '/etc/motd', contents: 'aGk=' }]);
    assert.equal(bad(() => create(base({ personality: [{ path: '/x', contents: 'hi!' }] }), '2.56')), "Invalid input for field/attribute contents. Value: hi!. 'hi!' is not a 'base64'");
    assert.match(bad(() => create(base({ personality: [] }), '2.57')), extra('personality'));

    assert.match(bad(() => create(base({ trusted_image_certificates: ['a'] }), '2.62')), extra('trusted_image_certificates'));
    assert.equal(bad(() => create(base({ trusted_image_certificates: [] }), '2.63')), 'Invalid input for field/attribute trusted_image_certificates. Value: []. [] is too short');
    assert.equal(bad(() => create(base({ trusted_image_certificates: ['a', 'a'] }), '2.63')), "Invalid input for field/attribute trusted_image_certificates. Value: ['a', 'a']. ['a', 'a'] has non-unique elements");
    assert.equal(create(base({ trusted_image_certificates: null }), '2.63').trustedImageCertificates, null);

    assert.match(bad(() => create(base({ host: 'cmp1' }), '2.73')), extra('host'));
    const dest = create(base({ host: 'cmp1', hypervisor_hostname: 'cmp1.example' }), '2.74');
    assert.equal(dest.host, 'cmp1');
    assert.equal(dest.hypervisorHostname, 'cmp1.example');
    assert.equal(bad(() => create(base({ host: 'a b' }), '2.74')), "Invalid input for field/attribute host. Value: a b. 'a b' does not match '^[a-zA-Z0-9-._]*$'");
    assert.equal(
      bad(() => create(base({ host: 'cmp1', availability_zone: 'nova:cmp2' }), '2.74')),
      'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
    );

    assert.match(bad(() => create(base({ hostname: 'h1' }), '2.89')), extra('hostname'));
    assert.equal(create(base({ hostname: 'h1' }), '2.90').hostname, 'h1');
    assert.equal(bad(() => create(base({ hostname: 'h.example.com' }), '2.90')), "Invalid input for field/attribute hostname. Value: h.example.com. 'h.example.com' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'");
    assert.equal(bad(() => create(base({ hostname: 'h' }), '2.90')), "Invalid input for field/attribute hostname. Value: h. 'h' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'", 'pattern before minLength');
    assert.equal(bad(() => create(base({ hostname: 'h'.repeat(64) }), '2.90')), `Invalid input for field/attribute hostname. Value: ${'h'.repeat(64)}. '${'h'.repeat(64)}' is too long`);
    assert.equal(create(base({ hostname: 'h.example.com' }), '2.94').hostname, 'h.example.com');
    assert.equal(bad(() => create(base({ hostname: 'h1', max_count: 2 }), '2.90')), 'Unable to allocate a single hostname to multiple instances');
  });

  it('scheduler hints', () => {
    const hints = (h: unknown, key = 'os:scheduler_hints') => create(base(), '2.37', { [key]: h });
    assert.equal(bad(() => hints({ group: 'abc' })), "Invalid input for field/attribute group. Value: abc. 'abc' is not valid under any of the given schemas");
    assert.equal(bad(() => hints({ same_host: ['abc'] })), "Invalid input for field/attribute 0. Value: abc. 'abc' is not a 'uuid'");
    assert.equal(bad(() => hints({ cidr: '10.0.0.0/24' })), "Invalid input for field/attribute cidr. Value: 10.0.0.0/24. '10.0.0.0/24' does not match '^/[0-9a-f.:]+$'");
    assert.equal(bad(() => hints('x', 'OS-SCH-HNT:scheduler_hints')), "Invalid input for field/attribute OS-SCH-HNT:scheduler_hints. Value: x. 'x' is not of type 'object'");
    assert.deepEqual(hints({ different_host: IMAGE, query: '["=", "$free_ram_mb", 1024]', build_near_host_ip: '10.0.0.1', cidr: '/24' }).schedulerHints.different_host, IMAGE);
  });
});

describe('POST /servers/{id}/action', () => {
  const act = (body: unknown, version = '2.1') => parseServerAction(body, V(version));

  it('what the CLI sends', () => {
    assert.deepEqual(act({ 'os-start': null }), { action: 'os-start' });
    assert.deepEqual(act({ 'os-stop': null }), { action: 'os-stop' });
    assert.deepEqual(act({ reboot: { type: 'SOFT' } }), { action: 'reboot', type: 'SOFT' });
    assert.deepEqual(act({ reboot: { type: 'hard' } }), { action: 'reboot', type: 'HARD' });
    assert.deepEqual(act({ resize: { flavorRef: 2 } }), { action: 'resize', flavorRef: '2' });
    assert.deepEqual(act({ confirmResize: null }), { action: 'confirmResize' });
    assert.deepEqual(act({ revertResize: null }), { action: 'revertResize' });
    for (const key of ['pause', 'unpause', 'suspend', 'resume', 'unlock', 'unrescue', 'shelve', 'shelveOffload', 'restore', 'forceDelete', 'injectNetworkInfo']) {
      assert.deepEqual(act({ [key]: null }), { action: key });
      assert.deepEqual(act({ [key]: {} }), { action: key });
    }
    assert.deepEqual(act({ createImage: { name: 'snap\n', metadata: { a: 'b' } } }), { action: 'createImage', name: 'snap', metadata: { a: 'b' } });
    assert.deepEqual(act({ createBackup: { name: 'b', backup_type: 'daily', rotation: '2' } }), { action: 'createBackup', name: 'b', backupType: 'daily', rotation: 2, metadata: {} });
    assert.deepEqual(act({ changePassword: { adminPass: 'pw' } }), { action: 'changePassword', adminPass: 'pw' });
    assert.deepEqual(act({ 'os-getConsoleOutput': { length: '5' } }), { action: 'os-getConsoleOutput', length: 5 });
    assert.deepEqual(act({ 'os-getConsoleOutput': {} }), { action: 'os-getConsoleOutput', length: null });
    assert.deepEqual(act({ rescue: null }), { action: 'rescue' });
    assert.deepEqual(act({ rescue: { adminPass: 'p', rescue_image_ref: IMAGE } }), { action: 'rescue', adminPass: 'p', rescueImageRef: IMAGE });
    assert.deepEqual(act({ 'os-resetState': { state: 'error' } }), { action: 'os-resetState', state: 'error' });
    assert.deepEqual(act({ addSecurityGroup: { name: 'web' } }), { action: 'addSecurityGroup', name: 'web' });
    assert.deepEqual(act({ removeSecurityGroup: { name: 'web' } }), { action: 'removeSecurityGroup', name: 'web' });
    assert.deepEqual(act({ 'os-getVNCConsole': { type: 'novnc' } }), { action: 'os-getVNCConsole', type: 'novnc' });
    assert.deepEqual(act({ addFloatingIp: { address: '172.24.4.10', fixed_address: '10.0.0.5' } }, '2.43'), { action: 'addFloatingIp', address: '172.24.4.10', fixedAddress: '10.0.0.5' });
    assert.deepEqual(act({ addFixedIp: { networkId: NET } }), { action: 'addFixedIp', networkId: NET });
    assert.deepEqual(act({ removeFixedIp: { address: '10.0.0.5' } }), { action: 'removeFixedIp', address: '10.0.0.5' });
  });

  it('dispatch: one key, known actions, microversion ranges, removed actions', () => {
    assert.equal(bad(() => act({})), 'Malformed request body');
    assert.equal(bad(() => act({ pause: null, unpause: null })), 'Malformed request body');
    assert.equal(bad(() => act(undefined)), 'Malformed request body');
    assert.equal(bad(() => act([1, 2])), 'Malformed request body');
    for (const body of [null, 5, true, ['pause'], 'x']) {
      const err = failure(() => act(body));
      assert.ok(err instanceof NotFound, `${JSON.stringify(body)} → ${err.name}`);
      assert.equal(err.message, 'The resource could not be found.');
    }
    assert.equal(bad(() => act({ fly: {} })), 'There is no such action: fly');
    assert.equal(bad(() => act({ addTenantAccess: {} })), 'There is no such action: addTenantAccess');
    assert.ok(failure(() => act({ trigger_crash_dump: null }, '2.16')) instanceof NotFound);
    assert.deepEqual(act({ trigger_crash_dump: null }, '2.17'), { action: 'trigger_crash_dump' });
    assert.equal(bad(() => act({ trigger_crash_dump: {} }, '2.17')), "Invalid input for field/attribute trigger_crash_dump. Value: {}. {} is not of type 'null'");
    for (const key of ['os-getVNCConsole', 'os-getSPICEConsole', 'os-getSerialConsole', 'os-getRDPConsole']) assert.ok(failure(() => act({ [key]: { type: 'novnc' } }, '2.6')) instanceof NotFound, key);
    assert.ok(failure(() => act({ 'os-getRDPConsole': { type: 'rdp-html5' } }, '2.5')) instanceof Gone);
    assert.ok(failure(() => act({ resetNetwork: null }, '2.1')) instanceof Gone);
    assert.ok(failure(() => act({ resetNetwork: null }, '2.96')) instanceof Gone);
    for (const key of ['addFloatingIp', 'removeFloatingIp', 'addFixedIp', 'removeFixedIp']) assert.ok(failure(() => act({ [key]: {} }, '2.44')) instanceof NotFound, key);
  });

  it('schema errors with their messages', () => {
    assert.equal(bad(() => act({ reboot: {} })), "Invalid input for field/attribute reboot. Value: {}. 'type' is a required property");
    assert.equal(bad(() => act({ reboot: null })), "Invalid input for field/attribute reboot. Value: None. None is not of type 'object'");
    assert.equal(bad(() => act({ reboot: { type: 'cold' } })), "Invalid input for field/attribute type. Value: cold. 'cold' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
    assert.equal(bad(() => act({ reboot: { type: 'SOFT', force: true } })), "Invalid input for field/attribute reboot. Value: {'type': 'SOFT', 'force': True}. Additional properties are not allowed ('force' was unexpected)");
    assert.equal(bad(() => act({ resize: {} })), "Invalid input for field/attribute resize. Value: {}. 'flavorRef' is a required property");
    assert.equal(bad(() => act({ createImage: { name: '' } })), "Invalid input for field/attribute name. Value: . '' is too short");
    assert.equal(bad(() => act({ createBackup: { name: 'b', backup_type: 'daily', rotation: -1 } })), 'Invalid input for field/attribute rotation. Value: -1. -1 is less than the minimum of 0');
    assert.equal(bad(() => act({ createBackup: { name: 'b', backup_type: 'daily', rotation: '-1' } })), "Invalid input for field/attribute rotation. Value: -1. '-1' does not match '^[0-9]*$'");
    assert.equal(bad(() => act({ createBackup: { name: 'b', rotation: 1 } })), "Invalid input for field/attribute createBackup. Value: {'name': 'b', 'rotation': 1}. 'backup_type' is a required property");
    assert.equal(bad(() => act({ changePassword: {} })), "Invalid input for field/attribute changePassword. Value: {}. 'adminPass' is a required property");
    assert.equal(bad(() => act({ 'os-getConsoleOutput': { length: -2 } })), 'Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1');
    assert.equal(bad(() => act({ 'os-getVNCConsole': { type: 'spice-html5' } })), "Invalid input for field/attribute type. Value: spice-html5. 'spice-html5' is not one of ['novnc', 'xvpvnc']");
    assert.equal(bad(() => act({ rescue: { rescue_image_ref: 'abc' } })), "Invalid input for field/attribute rescue_image_ref. Value: abc. 'abc' is not a 'uuid'");
    assert.equal(bad(() => act({ 'os-resetState': { state: 'paused' } })), "Invalid input for field/attribute state. Value: paused. 'paused' is not one of ['active', 'error']");
    assert.equal(bad(() => act({ addSecurityGroup: { name: '' } })), "Invalid input for field/attribute name. Value: . '' is too short");
    assert.equal(bad(() => act({ addSecurityGroup: {} })), "Invalid input for field/attribute addSecurityGroup. Value: {}. 'name' is a required property");
    assert.equal(bad(() => act({ addFloatingIp: { address: 'x' } })), "Invalid input for field/attribute address. Value: x. 'x' is not valid under any of the given schemas");
  });

  it('lock, unshelve, migrate by microversion', () => {
    assert.deepEqual(act({ lock: { locked_reason: 'x' } }, '2.72'), { action: 'lock' }, 'anything goes before 2.73');
    assert.deepEqual(act({ lock: null }, '2.73'), { action: 'lock' });
    assert.deepEqual(act({ lock: { locked_reason: 'maintenance' } }, '2.73'), { action: 'lock', lockedReason: 'maintenance' });
    assert.equal(bad(() => act({ lock: { locked_reason: '' } }, '2.73')), "Invalid input for field/attribute locked_reason. Value: . '' is too short");
    assert.equal(bad(() => act({ lock: { reason: 'x' } }, '2.73')), "Invalid input for field/attribute lock. Value: {'reason': 'x'}. Additional properties are not allowed ('reason' was unexpected)");

    assert.deepEqual(act({ unshelve: { availability_zone: 'az1' } }, '2.76'), { action: 'unshelve' });
    assert.deepEqual(act({ unshelve: null }, '2.77'), { action: 'unshelve' });
    assert.deepEqual(act({ unshelve: { availability_zone: 'az1' } }, '2.77'), { action: 'unshelve', availabilityZone: 'az1' });
    assert.equal(bad(() => act({ unshelve: {} }, '2.77')), "Invalid input for field/attribute unshelve. Value: {}. 'availability_zone' is a required property");
    assert.equal(bad(() => act({ unshelve: { host: 'h' } }, '2.90')), "Invalid input for field/attribute unshelve. Value: {'host': 'h'}. 'availability_zone' is a required property");
    assert.deepEqual(act({ unshelve: { availability_zone: null, host: 'cmp1' } }, '2.91'), { action: 'unshelve', availabilityZone: null, host: 'cmp1' });
    assert.deepEqual(act({ unshelve: {} }, '2.91'), { action: 'unshelve' });

    assert.deepEqual(act({ migrate: { host: 'x y' } }, '2.55'), { action: 'migrate' }, 'no schema before 2.56');
    assert.deepEqual(act({ migrate: null }, '2.56'), { action: 'migrate' });
    assert.deepEqual(act({ migrate: { host: null } }, '2.56'), { action: 'migrate' });
    assert.deepEqual(act({ migrate: { host: 'cmp2' } }, '2.56'), { action: 'migrate', host: 'cmp2' });
    assert.equal(bad(() => act({ migrate: { host: 'x y' } }, '2.56')), "Invalid input for field/attribute host. Value: x y. 'x y' does not match '^[a-zA-Z0-9-._]*$'");
  });

  it('os-migrateLive and evacuate by microversion, and the checks after the policy', () => {
    assert.equal(
      bad(() => act({ 'os-migrateLive': { block_migration: false, host: null } }, '2.24')),
      "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': False, 'host': None}. 'disk_over_commit' is a required property",
    );
    assert.deepEqual(act({ 'os-migrateLive': { block_migration: 'False', disk_over_commit: 'no', host: null } }, '2.24'), { action: 'os-migrateLive', blockMigration: false, diskOverCommit: false, host: null });
    assert.equal(bad(() => act({ 'os-migrateLive': { block_migration: 'auto', disk_over_commit: false, host: null } }, '2.24')), /* 'auto' only from 2.25 */
      "Invalid input for field/attribute block_migration. Value: auto. 'auto' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']");
    assert.deepEqual(act({ 'os-migrateLive': { block_migration: 'auto', host: null } }, '2.25'), { action: 'os-migrateLive', blockMigration: 'auto', host: null });
    assert.match(bad(() => act({ 'os-migrateLive': { block_migration: 'auto', host: null, disk_over_commit: false } }, '2.25')), /Additional properties are not allowed \('disk_over_commit' was unexpected\)$/);
    const forced = act({ 'os-migrateLive': { block_migration: 'auto', host: null, force: true } }, '2.30');
    assert.deepEqual(forced, { action: 'os-migrateLive', blockMigration: 'auto', host: null, force: true });
    assert.equal(bad(() => checkServerAction(forced)), "Can't force to a non-provided destination");
    assert.match(bad(() => act({ 'os-migrateLive': { block_migration: 'auto', host: 'h', force: true } }, '2.68')), /\('force' was unexpected\)$/);

    assert.equal(bad(() => act({ evacuate: {} }, '2.13')), "Invalid input for field/attribute evacuate. Value: {}. 'onSharedStorage' is a required property");
    const shared = act({ evacuate: { host: 'cmp2', onSharedStorage: 'True', adminPass: 'pw' } }, '2.13');
    assert.deepEqual(shared, { action: 'evacuate', host: 'cmp2', adminPass: 'pw', onSharedStorage: true });
    assert.equal(bad(() => checkServerAction(shared)), "admin password can't be changed on existing disk");
    assert.deepEqual(act({ evacuate: {} }, '2.14'), { action: 'evacuate' });
    assert.match(bad(() => act({ evacuate: { onSharedStorage: false } }, '2.14')), /\('onSharedStorage' was unexpected\)$/);
    const force = act({ evacuate: { force: true } }, '2.29');
    assert.equal(bad(() => checkServerAction(force)), "Can't force to a non-provided destination");
    assert.match(bad(() => act({ evacuate: { force: true } }, '2.68')), /\('force' was unexpected\)$/);
    assert.equal(bad(() => checkServerAction(act({ addSecurityGroup: { name: '  ' } }))), 'Security group name cannot be empty');
    checkServerAction(act({ addSecurityGroup: { name: 'web' } }));
  });

  it('rebuild by microversion', () => {
    assert.deepEqual(act({ rebuild: { imageRef: IMAGE } }), { action: 'rebuild', imageRef: IMAGE });
    assert.equal(bad(() => act({ rebuild: {} })), "Invalid input for field/attribute rebuild. Value: {}. 'imageRef' is a required property");
    assert.equal(bad(() => act({ rebuild: { imageRef: 'abc' } })), "Invalid input for field/attribute imageRef. Value: abc. 'abc' is not a 'uuid'");
    const full = act({ rebuild: { imageRef: IMAGE, name: 'n\n', adminPass: 'p', metadata: { a: 'b' }, preserve_ephemeral: 'true', 'OS-DCF:diskConfig': 'MANUAL', accessIPv4: '1.2.3.4', description: null } }, '2.19');
    assert.deepEqual(full, { action: 'rebuild', imageRef: IMAGE, name: 'n', adminPass: 'p', metadata: { a: 'b' }, preserveEphemeral: true, diskConfig: 'MANUAL', accessIPv4: '1.2.3.4', description: null });
    assert.match(bad(() => act({ rebuild: { imageRef: IMAGE, key_name: null } }, '2.53')), /\('key_name' was unexpected\)$/);
    assert.deepEqual(act({ rebuild: { imageRef: IMAGE, key_name: null } }, '2.54'), { action: 'rebuild', imageRef: IMAGE, keyName: null });
    assert.equal(bad(() => act({ rebuild: { imageRef: IMAGE, key_name: '' } }, '2.54')), "Invalid input for field/attribute key_name. Value: . '' is not valid under any of the given schemas");
    assert.ok(act({ rebuild: { imageRef: IMAGE, personality: [] } }, '2.56'));
    assert.match(bad(() => act({ rebuild: { imageRef: IMAGE, personality: [] } }, '2.57')), /\('personality' was unexpected\)$/);
    assert.deepEqual(act({ rebuild: { imageRef: IMAGE, user_data: null } }, '2.57'), { action: 'rebuild', imageRef: IMAGE, userData: null });
    assert.equal(bad(() => act({ rebuild: { imageRef: IMAGE, user_data: 'u1234' } }, '2.57')), "Invalid input for field/attribute user_data. Value: u1234. 'u1234' is not a 'base64'");
    assert.deepEqual(act({ rebuild: { imageRef: IMAGE, trusted_image_certificates: null } }, '2.63'), { action: 'rebuild', imageRef: IMAGE, trustedImageCertificates: null });
    assert.deepEqual(act({ rebuild: { imageRef: IMAGE, hostname: 'new-name' } }, '2.90'), { action: 'rebuild', imageRef: IMAGE, hostname: 'new-name' });
    assert.match(bad(() => act({ rebuild: { imageRef: IMAGE, hostname: 'new-name' } }, '2.89')), /\('hostname' was unexpected\)$/);
  });
});

describe('PUT /servers/{id}', () => {
  const upd = (server: unknown, version = '2.1') => parseServerUpdate({ server }, V(version));

  it('valid bodies by microversion', () => {
    assert.deepEqual(upd({}), {});
    assert.deepEqual(upd({ name: 'new\n', accessIPv4: '1.2.3.4', accessIPv6: '::1', 'OS-DCF:diskConfig': 'AUTO' }), { name: 'new', accessIPv4: '1.2.3.4', accessIPv6: '::1', diskConfig: 'AUTO' });
    assert.deepEqual(upd({ description: null }, '2.19'), { description: null });
    assert.deepEqual(upd({ hostname: 'h1' }, '2.90'), { hostname: 'h1' });
    assert.deepEqual(upd({ hostname: 'h1.example.com' }, '2.94'), { hostname: 'h1.example.com' });
    assert.deepEqual(upd({ pinned_availability_zone: null }, '2.104'), { pinnedAvailabilityZone: null });
  });

  it('errors', () => {
    assert.equal(bad(() => parseServerUpdate({}, V('2.1'))), "'server' is a required property");
    assert.equal(bad(() => parseServerUpdate({ server: {}, x: 1 }, V('2.1'))), "Additional properties are not allowed ('x' was unexpected)");
    assert.equal(bad(() => upd({ description: 'd' }, '2.18')), "Invalid input for field/attribute server. Value: {'description': 'd'}. Additional properties are not allowed ('description' was unexpected)");
    assert.equal(bad(() => upd({ name: ' x' })), "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
    assert.equal(bad(() => upd({ hostname: 'a_b' }, '2.90')), "Invalid input for field/attribute hostname. Value: a_b. 'a_b' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'");
    assert.match(bad(() => upd({ pinned_availability_zone: 'az' }, '2.103')), /\('pinned_availability_zone' was unexpected\)$/);
    assert.equal(bad(() => upd({ accessIPv4: '::1' })), "Invalid input for field/attribute accessIPv4. Value: ::1. '::1' is not a 'ipv4'");
  });
});
