import { randomBytes } from 'node:crypto';
import { Action } from '../protocol/index.ts';
import type { Broker } from '../store/broker.ts';
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

  /** `broker` keeps the transitions in the metachannel's history as it publishes them. */
  constructor(private readonly broker: Broker) {}

  async publish(t: ClientTransition): Promise<void> {
    const appId = t.channelKey.slice(0, t.channelKey.indexOf(':'));
    const id = `${this.prefix}:${this.count++}`;
    const message = {
      action: Action.MESSAGE,
      channel: CLIENTS_METACHANNEL,
      id,
      timestamp: t.payload.timestamp,
      messages: [
        { id: `${id}:0`, name: t.name, data: JSON.stringify(t.payload), encoding: 'json', timestamp: t.payload.timestamp },
      ],
    };
    // Kept in history by the broker in the same step as the fan-out (issue 16).
    await this.broker.publish(`${appId}:${CLIENTS_METACHANNEL}`, message, undefined, { history: 'messages' });
  }
}
