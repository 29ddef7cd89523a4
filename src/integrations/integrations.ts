import type { Config } from '../config/index.ts';
import type { ChannelMetrics } from '../occupancy/metrics.ts';
import type { PresenceCause } from '../presence/presence-service.ts';
import { Action } from '../protocol/index.ts';
import type { Broker, ChannelEvent } from '../store/broker.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { ChannelActivity, type ChannelChange } from './channel-activity.ts';
import { ClientMetachannel } from './client-metachannel.ts';
import { ClientTracker } from './client-tracker.ts';
import type { ClientTransition } from './client-transition.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { type PostFn, postHttp } from './http-post.ts';
import { WebhookDeliverer } from './webhook-deliverer.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';
import { channelDetailsItem, messageItem, presenceItem, transitionItem } from './webhook-items.ts';
import { webhookTargets } from './webhook-target.ts';

export interface IntegrationsDeps {
  config: Config;
  clock: Clock;
  /** The node's broker (unobserved), for publishing on `[meta]clients` (it keeps them in history too). */
  broker: Broker;
  devices: DeviceRegistry;
  queue: DeliveryQueue;
  log: (message: string) => void;
  /** Outbound HTTP; tests and benchmarks may count or fail requests around the real one. */
  post?: PostFn;
}

/**
 * Everything that tells the outside world about channel activity (issue 13): the client online/offline tracker,
 * the `[meta]clients` metachannel, and outbound webhooks (dispatch into per-webhook queues, one deliverer each).
 * Fed by hooks that return at once: presence events (PresenceService.observer), published messages
 * (ObservedBroker) and local channel activity (lifecycle, occupancy).
 */
export class Integrations {
  readonly tracker: ClientTracker | undefined;
  readonly dispatcher: WebhookDispatcher;
  readonly deliverers: WebhookDeliverer[];
  private readonly metachannel: ClientMetachannel;
  private readonly site: string;
  /** Set by {@link Integrations.watchChannels} when a webhook takes lifecycle or occupancy events. */
  private activity: ChannelActivity | undefined;

  constructor(private readonly d: IntegrationsDeps) {
    const { config, clock, log } = d;
    this.site = config.siteCode;
    this.metachannel = new ClientMetachannel(d.broker);
    const targets = webhookTargets(config);
    const retry = { base: config.webhookBackoffBase, max: config.webhookBackoffMax, horizon: config.webhookRetryHorizon };
    this.dispatcher = new WebhookDispatcher(targets, d.queue, clock, config.webhookQueueLimit, log, retry);
    const fail = (err: unknown) => log(`integrations: ${(err as Error).message}`);
    this.tracker = config.clientTransitions
      ? new ClientTracker(d.devices, clock, (t) => this.transition(t), fail, retry)
      : undefined;
    const options = {
      batchWindow: config.webhookBatchWindow,
      maxItems: config.webhookBatchMaxItems,
      backoffBase: config.webhookBackoffBase,
      backoffMax: config.webhookBackoffMax,
      retryHorizon: config.webhookRetryHorizon,
      leaseTtl: config.webhookLeaseTtl,
      requestTimeout: config.webhookRequestTimeout,
    };
    this.deliverers = targets.map(
      (t) => new WebhookDeliverer(t, d.queue, clock, options, config.serverId, d.post ?? postHttp, log),
    );
  }

  start(): void {
    for (const deliverer of this.deliverers) deliverer.start();
  }

  /**
   * Lifecycle and occupancy from this node's attachments (`metricsOf` reads them and the member count); returns the
   * listener for ChannelRegistry, or undefined when no webhook wants either source.
   */
  watchChannels(
    metricsOf: (channelKey: string) => Promise<ChannelMetrics>,
  ): ((channelKey: string, change: 'opened' | 'closed' | 'changed') => void) | undefined {
    if (!this.dispatcher.wantsSource('channel.lifecycle') && !this.dispatcher.wantsSource('channel.occupancy')) return undefined;
    const fail = (err: unknown) => this.d.log(`integrations: channel activity: ${(err as Error).message}`);
    this.activity = new ChannelActivity(
      this.d.clock,
      this.d.config.webhookBatchWindow,
      metricsOf,
      (key, change, metrics) => this.observeChannel(key, change, metrics),
      fail,
    );
    return this.activity.onChange;
  }

  async stop(): Promise<void> {
    this.activity?.stop();
    // Work still retrying against an unreachable Redis must not hold shutdown up beyond the drain time.
    const { clock, config } = this.d;
    let timer: TimerHandle | undefined;
    const drained = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, config.shutdownDrainTime)));
    await Promise.race([this.idle(), drained]);
    if (timer) clock.clearTimeout(timer);
    await Promise.all(this.deliverers.map((deliverer) => deliverer.stop()));
  }

  /** Resolves once every observed event has become transitions and queued items. */
  async idle(): Promise<void> {
    await this.tracker?.idle();
    await this.dispatcher.idle();
  }

  /** PresenceService.observer: presence webhooks and client transitions. */
  readonly observePresence = (event: ChannelEvent, cause: PresenceCause): void => {
    if (this.dispatcher.wantsSource('channel.presence')) this.dispatcher.offer(event.channel, presenceItem(event, this.site));
    this.activity?.changed(event.channel);
    this.tracker?.observe(event, cause);
  };

  /** ObservedBroker: channel.message webhooks for every published MESSAGE. */
  readonly observePublish = (event: ChannelEvent): void => {
    if (event.message.action !== Action.MESSAGE || !this.dispatcher.wantsSource('channel.message')) return;
    this.dispatcher.offer(event.channel, messageItem(event, this.site));
  };

  /** A channel became active or inactive on this node, or its occupancy changed. */
  private observeChannel(channelKey: string, change: ChannelChange, metrics: ChannelMetrics): void {
    const now = this.d.clock.now();
    if (change === 'occupancy') {
      if (this.dispatcher.wantsSource('channel.occupancy')) {
        this.dispatcher.offer(channelKey, channelDetailsItem('channel.occupancy', 'channel.occupancy', channelKey, metrics, now));
      }
    } else if (this.dispatcher.wantsSource('channel.lifecycle')) {
      this.dispatcher.offer(channelKey, channelDetailsItem('channel.lifecycle', `channel.${change}`, channelKey, metrics, now));
    }
  }

  private transition(t: ClientTransition): void {
    this.metachannel.publish(t).catch((err) => this.d.log(`integrations: [meta]clients: ${(err as Error).message}`));
    if (this.dispatcher.wantsSource('client.presence')) this.dispatcher.offer(t.channelKey, transitionItem(t));
  }
}
