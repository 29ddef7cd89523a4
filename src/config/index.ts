export { type Config, DEFAULT_CONFIG, type KeyConfig, LOG_LEVELS, type LogLevel } from './config.ts';
export { resolveConfig } from './resolve.ts';
