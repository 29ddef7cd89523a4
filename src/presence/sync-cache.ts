import type { ProtocolMessage } from '../protocol/index.ts';

interface Entry {
  version: string;
  pages: ProtocolMessage[];
  members: number;
}

/**
 * SYNC pages of unchanged member sets, so the next late joiner of a big channel costs socket writes only: the
 * pages are built once, and each is encoded once per format (src/protocol/frame-cache.ts) since the same objects
 * go to every joiner. Keyed by channel key and name (a name is in every page) and valid for one set version
 * (PresenceStore.version). Holds at most `maxMembers` members over all entries, least recently used out first.
 */
export class SyncCache {
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  constructor(private readonly maxMembers: number) {}

  /** The pages cached for this version of the channel's set, if any (a stale entry is dropped). */
  get(key: string, name: string, version: string): ProtocolMessage[] | undefined {
    const id = `${key}\n${name}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.version !== version) {
      this.held -= entry.members;
      return undefined;
    }
    this.entries.set(id, entry); // most recently used last
    return entry.pages;
  }

  /** Keeps `pages` (of `members` members) for this version, evicting the least recently used beyond the bound. */
  set(key: string, name: string, version: string, pages: ProtocolMessage[], members: number): void {
    if (members > this.maxMembers) return;
    const id = `${key}\n${name}`;
    const old = this.entries.get(id);
    if (old) {
      this.held -= old.members;
      this.entries.delete(id);
    }
    this.entries.set(id, { version, pages, members });
    this.held += members;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.maxMembers) break;
      this.entries.delete(oldest);
      this.held -= entry.members;
    }
  }
}
