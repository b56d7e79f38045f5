/**
 * Sections of a real nova.conf (Nova's own groups and those of the oslo and keystone libraries it
 * uses) that nova-ts does not declare. Their options are accepted and reported in one warning;
 * any other unknown section is an error, since it is most likely a typo.
 */
export const KNOWN_UNUSED_SECTIONS: readonly string[] = [
  'barbican', 'barbican_service_user', 'cache', 'cells', 'cloudpipe', 'compute', 'conductor',
  'cors', 'crypto', 'cyborg', 'devices', 'ephemeral_storage_encryption', 'guestfs', 'healthcheck', 'hyperv',
  'image_cache', 'image_file_url', 'ironic', 'key_manager', 'keystone', 'manila', 'matchmaker_redis',
  'metrics', 'mks', 'notifications', 'os_vif_linux_bridge', 'os_vif_ovs', 'osapi_v21', 'oslo_limit',
  'oslo_messaging_amqp', 'oslo_messaging_kafka', 'oslo_messaging_notifications', 'oslo_messaging_qpid',
  'oslo_messaging_zmq', 'oslo_middleware', 'oslo_reports', 'oslo_versionedobjects', 'pci',
  'placement_database', 'powervm', 'privsep', 'privsep_osbrick', 'profiler', 'rdp', 'remote_debug', 's3',
  'serial_console', 'service_user', 'spice', 'ssl', 'trusted_computing', 'vault', 'vendordata_dynamic_auth',
  'vif_plug_linux_bridge_privileged', 'vif_plug_ovs_privileged', 'vmware', 'workarounds', 'xenserver', 'xvp',
  'zvm',
];
