export { type Config, DEFAULT_CONFIG, type KeyConfig } from './config.ts';
export { resolveConfig } from './resolve.ts';
