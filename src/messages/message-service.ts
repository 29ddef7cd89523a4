import { allows } from '../auth/capability.ts';
import { type Identity, mayActAs } from '../auth/identity.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type Message, MessageAction, messageSize } from '../protocol/index.ts';
import type { Broker, ChannelEvent } from '../store/broker.ts';
import { flattenItems, type HistoryPage, type HistoryQuery, type HistoryStore } from '../store/history-store.ts';
import { parseMessageSerial } from '../store/serial.ts';
import type { Clock } from '../time/clock.ts';
import { applyOperation, checkAppendable, headOf, nextHead, operationItem } from './fold.ts';
import type { MessageHead, MessageStore } from './message-store.ts';

export interface MessageServiceDeps {
  broker: Broker;
  history: HistoryStore;
  store: MessageStore;
  clock: Clock;
  maxMessageSize: number;
  /** Adds each message's latest annotation summary (src/messages/annotation-service.ts); none when undefined. */
  withSummaries?: (key: string, messages: Message[]) => Promise<Message[]>;
}

/** Who asks for an operation, and on which connection (undefined over REST). */
export interface Operator {
  identity: Identity;
  connectionId?: string;
  /** The ProtocolMessage id (`connectionId:msgSerial`) or REST request id. */
  requestId: string;
}

/**
 * Message operations (update, delete, append; Ably TM5) and reading messages by serial: the rules, with the
 * store and broker behind interfaces. An operation is one channel event of its own, so its `version.serial` sorts
 * after the message's serial and after every earlier version; history keeps one entry per message (its latest
 * version) while the operations go to a log of their own for resume replay.
 */
export class MessageService {
  constructor(private readonly deps: MessageServiceDeps) {}

  /** Applies one operation item on channel `key` (`name` as the client knows it). Resolves with its version serial. */
  async operate(key: string, name: string, who: Operator, op: Message): Promise<string> {
    return (await this.operation(key, name, who, op)).version?.serial as string;
  }

  /**
   * {@link operate}, resolving with the operation as subscribers received it: for an update or delete that is the
   * message's new version (the Chat API answers with it); for an append, only the appended piece.
   */
  async operation(key: string, name: string, who: Operator, op: Message): Promise<Message> {
    const serial = op.serial;
    if (!serial) throw ErrorInfo.of('invalidParameter', 'a message operation needs the serial of the message it changes');
    const { head, seed } = await this.current(key, serial);
    this.authorize(who.identity, name, head, op.action as number);
    if (messageSize(op) > this.deps.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `operation exceeds ${this.deps.maxMessageSize} bytes`);
    }
    if (op.action === MessageAction.APPEND) {
      if (head.message.action === MessageAction.DELETE) throw ErrorInfo.of('invalidPublish', `message ${serial} was deleted`);
      checkAppendable(head, op);
    }
    const actor = op.version?.clientId;
    if (actor !== undefined && !mayActAs(who.identity, actor)) {
      throw ErrorInfo.of('invalidClientId', `${who.identity.clientId ?? 'anonymous'} may not act as ${actor.slice(0, 64)}`);
    }
    const now = this.deps.clock.now();
    const ownClientId = who.identity.clientId && who.identity.clientId !== '*' ? who.identity.clientId : undefined;
    const version = {
      timestamp: now,
      clientId: op.version?.clientId ?? ownClientId,
      description: op.version?.description,
      metadata: op.version?.metadata,
    };
    const item = operationItem(head.message, op, version);
    const event = await this.deps.broker.publish(
      key,
      {
        action: Action.MESSAGE,
        channel: name,
        id: who.requestId,
        connectionId: who.connectionId,
        timestamp: now,
        messages: [item],
      },
      who.connectionId,
      // Kept in history and recorded in the message in the same step as the fan-out (issue 16). A retransmission
      // the broker recognised (the same msgSerial after a resume) records nothing: it was recorded the first time.
      {
        history: 'operations',
        apply: {
          serial,
          next: nextHead(head, item),
          mode: op.action === MessageAction.APPEND ? 'append' : 'replace',
          data: item.data,
          seed,
          op: item,
        },
      },
    );
    const stamped = event.message.messages?.[0] as Message;
    return stamped;
  }

  /** The latest version of a message with its annotation summary (Ably RSL11); 40400 when it is not retained. */
  async get(key: string, serial: string): Promise<Message> {
    return (await this.summarised(key, [await this.find(key, serial)]))[0] as Message;
  }

  /** The latest version of a message without its summary; 40400 when no retained message has that serial. */
  async find(key: string, serial: string): Promise<Message> {
    const latest = (await this.deps.store.latest(key, [serial])).get(serial);
    if (latest) return latest;
    const created = await this.created(key, serial);
    if (!created) throw ErrorInfo.of('notFound', `no message with serial ${serial}`);
    return created;
  }

  /** Every version of a message, oldest first: as created, then after each operation (Ably RSL14). */
  async versions(key: string, serial: string): Promise<Message[]> {
    const created = await this.created(key, serial);
    if (!created) throw ErrorInfo.of('notFound', `no message with serial ${serial}`);
    const out = [created];
    for (const op of await this.deps.store.operations(key, serial)) out.push(applyOperation(out.at(-1) as Message, op));
    return out;
  }

  /** A page of message history with each message shown at its latest version. */
  async history(key: string, query: HistoryQuery): Promise<HistoryPage<Message>> {
    const page = await this.deps.history.messages(key, query);
    return { ...page, items: await this.latestOf(key, page.items) };
  }

  /**
   * The given messages (as created) replaced by their latest versions where they were operated on, each with its
   * latest annotation summary (history and rewind show both).
   */
  async latestOf(key: string, items: Message[]): Promise<Message[]> {
    const serials = items.map((m) => m.serial).filter((s): s is string => s !== undefined);
    if (serials.length === 0) return items;
    const latest = await this.deps.store.latest(key, serials);
    const versions = latest.size === 0 ? items : items.map((m) => (m.serial !== undefined && latest.get(m.serial)) || m);
    return this.summarised(key, versions);
  }

  private summarised(key: string, messages: Message[]): Promise<Message[]> {
    return this.deps.withSummaries ? this.deps.withSummaries(key, messages) : Promise.resolve(messages);
  }

  /** The latest full version of an operated-on message, or undefined (then it is as created). */
  async latest(key: string, serial: string): Promise<Message | undefined> {
    return (await this.deps.store.latest(key, [serial])).get(serial);
  }

  /** The message's current head, and the message as created when the store has no record of it yet. */
  private async current(key: string, serial: string): Promise<{ head: MessageHead; seed?: Message }> {
    const head = await this.deps.store.head(key, serial);
    if (head) return { head };
    const created = await this.created(key, serial);
    if (!created) throw ErrorInfo.of('notFound', `no message with serial ${serial}`);
    return { head: headOf(created), seed: created };
  }

  /** The message as created, from retained history. */
  private async created(key: string, serial: string): Promise<Message | undefined> {
    const at = parseMessageSerial(serial);
    if (!at) return undefined;
    const event: ChannelEvent | undefined = await this.deps.history.messageEvent(key, at.seq);
    if (!event || event.serial !== serial.slice(0, serial.lastIndexOf(':'))) return undefined;
    const item = flattenItems(event, event.message.messages ?? [])[at.index];
    return item?.serial === serial ? item : undefined;
  }

  /**
   * Updates and appends need `message-update-own` (the caller's clientId wrote the message) or
   * `message-update-any`; deletes the `message-delete-*` pair (Ably capability operations).
   */
  private authorize(identity: Identity, channel: string, head: MessageHead, action: number): void {
    const kind = action === MessageAction.DELETE ? 'delete' : 'update';
    const own = identity.clientId !== undefined && identity.clientId !== null && identity.clientId === head.message.clientId;
    const cap = identity.capability;
    if (allows(cap, channel, `message-${kind}-any`) || (own && allows(cap, channel, `message-${kind}-own`))) return;
    throw ErrorInfo.of('capabilityDenied', `message-${kind}-${own ? 'own' : 'any'} on channel ${channel}`);
  }
}
