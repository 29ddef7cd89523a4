import type { ChannelMetrics } from '../occupancy/metrics.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';

export type ChannelChange = 'opened' | 'closed' | 'occupancy';

/**
 * Channel lifecycle and occupancy as this node sees them: `opened` on a channel's first local attachment,
 * `closed` on its last detachment, `occupancy` when attachments or members change, coalesced per channel over
 * `window` ms so a busy channel yields one event per window. In a cluster each node reports its own attachments
 * (as Ably's regional lifecycle events do); the metrics are the channel's, cluster-wide (OccupancyService). Events
 * are reported at the end of the window with the metrics of that moment.
 */
export class ChannelActivity {
  private readonly dirty = new Set<string>();
  /** Lifecycle changes in the order they happened, reported at the next flush (the attachment is complete by then). */
  private lifecycle: Array<{ channelKey: string; change: 'opened' | 'closed' }> = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly window: number,
    private readonly metricsOf: (channelKey: string) => Promise<ChannelMetrics>,
    private readonly emit: (channelKey: string, change: ChannelChange, metrics: ChannelMetrics) => void,
    private readonly fail: (err: unknown) => void,
  ) {}

  /** ChannelRegistry's listener. */
  readonly onChange = (channelKey: string, change: 'opened' | 'closed' | 'changed'): void => {
    if (change !== 'changed') this.lifecycle.push({ channelKey, change });
    this.changed(channelKey);
  };

  /** Attachments or members of the channel changed. */
  changed(channelKey: string): void {
    this.dirty.add(channelKey);
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.window);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const channels = [...this.dirty];
    const lifecycle = this.lifecycle;
    this.dirty.clear();
    this.lifecycle = [];
    this.report(lifecycle).catch(this.fail);
    this.report(channels.map((channelKey) => ({ channelKey, change: 'occupancy' as const }))).catch(this.fail);
  }

  private async report(changes: Array<{ channelKey: string; change: ChannelChange }>): Promise<void> {
    for (const { channelKey, change } of changes) this.emit(channelKey, change, await this.metricsOf(channelKey));
  }
}
