import { randomBytes } from 'node:crypto';
import { Action } from '../protocol/index.ts';
import type { Broker } from '../store/broker.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { ClientTransition } from './client-transition.ts';

/** The metachannel carrying every client-level transition of an app. */
export const CLIENTS_METACHANNEL = '[meta]clients';

/**
 * Publishes transitions as MESSAGEs named `client.online` / `client.offline` on the app's `[meta]clients`, whose
 * subscribers (capability `subscribe` on `[meta]clients` or `[meta]*`) get those of every channel of the app.
 * The data is the payload as JSON (`encoding: json`), so the SDK hands subscribers an object.
 */
export class ClientMetachannel {
  /** Message ids are `<prefix>:<n>`: unique per process and never a connectionId. */
  private readonly prefix = `meta-${randomBytes(4).toString('hex')}`;
  private count = 0;

  constructor(
    private readonly broker: Broker,
    private readonly history: HistoryStore,
  ) {}

  async publish(t: ClientTransition): Promise<void> {
    const appId = t.channelKey.slice(0, t.channelKey.indexOf(':'));
    const id = `${this.prefix}:${this.count++}`;
    const event = await this.broker.publish(`${appId}:${CLIENTS_METACHANNEL}`, {
      action: Action.MESSAGE,
      channel: CLIENTS_METACHANNEL,
      id,
      timestamp: t.payload.timestamp,
      messages: [
        { id: `${id}:0`, name: t.name, data: JSON.stringify(t.payload), encoding: 'json', timestamp: t.payload.timestamp },
      ],
    });
    await this.history.append('messages', event);
  }
}
