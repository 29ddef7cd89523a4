import { allows } from '../auth/capability.ts';
import { mayActAs } from '../auth/identity.ts';
import { ErrorInfo } from '../errors/index.ts';
import {
  Action,
  type Annotation,
  AnnotationAction,
  type Message,
  MessageAction,
  messageSize,
  type ProtocolMessage,
} from '../protocol/index.ts';
import type { Broker } from '../store/broker.ts';
import type { Clock } from '../time/clock.ts';
import type { AnnotationPage, AnnotationStore } from './annotation-store.ts';
import type { Operator } from './message-service.ts';
import { applyAnnotation, clientState, needsClientId, needsName, summarise, summaryMethod } from './summary.ts';

export interface AnnotationServiceDeps {
  /** Keeps annotations and summaries in `operations` history as it publishes them. */
  broker: Broker;
  store: AnnotationStore;
  clock: Clock;
  /** Resolves with the message a serial names, or throws 40400 (MessageService.get). */
  message(key: string, serial: string): Promise<Message>;
  maxMessageSize: number;
  maxClientIdLength: number;
  /** Most clientIds a summary entry lists (config `maxSummaryClientIds`). */
  maxSummaryClientIds: number;
}

/**
 * Annotations of messages (Ably TAN, RSAN, RTAN): publishing and deleting them, raw delivery as ANNOTATION events,
 * and the `message.summary` that follows each one. The summary is folded once per annotation in the store
 * (atomically, whichever node records it) and sent as a MESSAGE with action `message.summary` and the annotated
 * message's serial, versioned so the broker never sends an older summary after a newer one (two nodes annotating
 * one message at once). Both events go to the operations log, so a resuming client gets those it missed.
 */
export class AnnotationService {
  constructor(private readonly deps: AnnotationServiceDeps) {}

  /**
   * Publishes one annotation (create or delete) of a message on channel `key` (`name` as the client knows it) on
   * behalf of `who`, and sends the message's new summary. Resolves with the annotation's serial.
   * Refuses, changing nothing: no `messageSerial`, no `type`, a bad action or count, a missing `name` or clientId
   * the type's summary needs (40003); an unknown message (40400); too large (40009); a clientId the caller may
   * not act as (40012); no `annotation-publish` capability (40160).
   */
  async publish(key: string, name: string, who: Operator, input: Annotation): Promise<string> {
    const annotation = this.check(name, who, input);
    await this.deps.message(key, annotation.messageSerial as string);
    const now = this.deps.clock.now();
    const item: Annotation = { ...annotation, connectionId: who.connectionId, timestamp: now };
    const envelope: ProtocolMessage = {
      action: Action.ANNOTATION,
      channel: name,
      id: who.requestId,
      connectionId: who.connectionId,
      timestamp: now,
      annotations: [{ ...item, id: item.id ?? `${who.requestId}:0` }],
    };
    // Kept in history and listed on its message in the same step as the fan-out (issue 16); a retransmission was
    // kept and listed the first time. Folded below with every listed annotation not yet in the summary, so a
    // retransmission (whose first node may have died before folding) still sends a summary that includes it.
    const event = await this.deps.broker.publish(key, envelope, who.connectionId, { history: 'operations', annotate: true });
    const stamped = event.message.annotations?.[0] as Annotation;
    const { state, version } = await this.deps.store.annotate(key, item.messageSerial as string, applyAnnotation);
    if (state) {
      const summary: ProtocolMessage = {
        action: Action.MESSAGE,
        channel: name,
        id: `summary:${stamped.messageSerial}:${version}`,
        timestamp: now,
        messages: [
          {
            action: MessageAction.SUMMARY,
            serial: stamped.messageSerial,
            annotations: { summary: summarise(state, this.deps.maxSummaryClientIds) },
          },
        ],
      };
      // Server-made, so it reaches every subscriber (echo=false included), and kept for resume replay. When
      // another node recorded a later annotation and sent its summary first, this older one is dropped.
      const supersede = { key: `summary:${stamped.messageSerial}`, version };
      await this.deps.broker.publish(key, summary, undefined, { supersede, history: 'operations' });
    }
    return stamped.serial as string;
  }

  /** A page of a message's annotations, oldest first (RSAN3); 40400 when no retained message has that serial. */
  async list(key: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage> {
    await this.deps.message(key, messageSerial);
    return this.deps.store.list(key, messageSerial, limit, cursor);
  }

  /** The given messages with their latest `annotations.summary` (history, getMessage, rewind; Ably TM2u). */
  async withSummaries(key: string, messages: Message[]): Promise<Message[]> {
    const serials = messages.map((m) => m.serial).filter((s): s is string => s !== undefined);
    if (serials.length === 0) return messages;
    const states = await this.deps.store.summaries(key, serials);
    if (states.size === 0) return messages;
    return messages.map((m) => {
      const state = m.serial === undefined ? undefined : states.get(m.serial);
      return state ? { ...m, annotations: { summary: summarise(state, this.deps.maxSummaryClientIds) } } : m;
    });
  }

  /**
   * The summary of a message as one client contributed to it (never clipped: one client), for the Chat API's
   * `client-reactions`; an empty object when it has no annotations from that client.
   */
  async clientSummary(key: string, messageSerial: string, clientId: string): Promise<Record<string, unknown>> {
    await this.deps.message(key, messageSerial);
    const state = (await this.deps.store.summaries(key, [messageSerial])).get(messageSerial);
    return state ? summarise(clientState(state, clientId), this.deps.maxSummaryClientIds) : {};
  }

  /** The annotation as it will be published: validated, action defaulted, clientId filled in. */
  private check(channel: string, who: Operator, input: Annotation): Annotation {
    const { identity } = who;
    if (!allows(identity.capability, channel, 'annotation-publish')) {
      throw ErrorInfo.of('capabilityDenied', `annotation-publish on channel ${channel}`);
    }
    const action = input.action ?? AnnotationAction.CREATE;
    if (action !== AnnotationAction.CREATE && action !== AnnotationAction.DELETE) {
      throw ErrorInfo.of('invalidParameter', `annotation action ${action} is not annotation.create or annotation.delete`);
    }
    if (!input.messageSerial)
      throw ErrorInfo.of('invalidParameter', 'an annotation needs the serial of the message it annotates');
    if (!input.type) throw ErrorInfo.of('invalidParameter', 'an annotation needs a type, such as reaction:distinct.v1');
    if (input.count !== undefined && input.count < 1) throw ErrorInfo.of('invalidParameter', 'count must be 1 or more');
    const size = messageSize(input) + Buffer.byteLength(input.type);
    if (size > this.deps.maxMessageSize) {
      throw ErrorInfo.of('messageTooLarge', `annotation exceeds ${this.deps.maxMessageSize} bytes`);
    }
    if (input.clientId !== undefined) {
      if (input.clientId === '*' || input.clientId.length === 0 || input.clientId.length > this.deps.maxClientIdLength) {
        throw ErrorInfo.of('invalidClientId', `clientId "${input.clientId.slice(0, 64)}" is not allowed`);
      }
      if (!mayActAs(identity, input.clientId)) {
        throw ErrorInfo.of(
          'invalidClientId',
          `${identity.clientId ?? 'anonymous'} may not act as ${input.clientId.slice(0, 64)}`,
        );
      }
    }
    const own = identity.clientId && identity.clientId !== '*' ? identity.clientId : undefined;
    const clientId = input.clientId ?? own;
    const method = summaryMethod(input.type);
    if (method && needsClientId(method) && clientId === undefined) {
      throw ErrorInfo.of('invalidParameter', `annotations of type ${input.type} need an identified client (a clientId)`);
    }
    // A unique.v1 delete may leave the name out (the client holds one name at most); others say which name.
    const nameOptional = action === AnnotationAction.DELETE && method === 'unique.v1';
    if (method && needsName(method) && input.name === undefined && !nameOptional) {
      throw ErrorInfo.of('invalidParameter', `annotations of type ${input.type} need a name`);
    }
    return { ...input, action, clientId, serial: undefined };
  }
}
