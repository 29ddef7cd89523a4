export {
  type Config,
  DEFAULT_CONFIG,
  type KeyConfig,
  LOG_LEVELS,
  type LogLevel,
  WEBHOOK_SOURCES,
  type WebhookConfig,
  type WebhookSource,
} from './config.ts';
export { describeRedisTarget, parseRedisTarget, type RedisAddress, type RedisTarget } from './redis-target.ts';
export { resolveConfig } from './resolve.ts';
