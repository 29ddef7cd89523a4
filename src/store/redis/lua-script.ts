import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-client.ts';

const read = (file: string): string => readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');

/**
 * One Lua script from `lua/`, run by EVALSHA with a fallback to EVAL when the server has not seen it (first use,
 * or after a Redis restart flushed the script cache). `libs` are files of `lua/lib/` prepended to it, so rules
 * shared by several scripts (presence newness) are written once.
 */
export class LuaScript {
  /** Every script built in this process, by SHA1, with its name and source: for tools that name or preload them. */
  static readonly built = new Map<string, { name: string; source: string }>();
  private readonly source: string;
  private readonly sha: string;

  constructor(name: string, libs: string[] = []) {
    this.source = [...libs.map((lib) => read(`lib/${lib}`)), read(name)].join('\n');
    this.sha = createHash('sha1').update(this.source).digest('hex');
    LuaScript.built.set(this.sha, { name, source: this.source });
  }

  /** Runs the script; replies keep binary strings as Buffers. */
  async run(client: RedisClient, keys: string[], args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      return await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.callBuffer('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}
