/** Injection tokens for values composed at boot (see app.module.ts). */
export const NOVA_CONF = Symbol('NOVA_CONF');
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const PROCESS_INFO = Symbol('PROCESS_INFO');
export const MAIN_DB = Symbol('MAIN_DB');
export const API_DB = Symbol('API_DB');
