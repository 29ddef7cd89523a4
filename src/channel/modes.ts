import { allows, type Capability } from '../auth/capability.ts';
import { DEFAULT_MODES, Flag, MODE_MASK } from '../protocol/index.ts';

/**
 * Channel modes a capability permits: subscribe → SUBSCRIBE + PRESENCE_SUBSCRIBE, presence → PRESENCE, publish →
 * PUBLISH, annotation-publish / annotation-subscribe → ANNOTATION_PUBLISH / ANNOTATION_SUBSCRIBE.
 */
export function permittedModes(capability: Capability, channel: string): number {
  let modes = 0;
  if (allows(capability, channel, 'subscribe')) modes |= Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;
  if (allows(capability, channel, 'presence')) modes |= Flag.PRESENCE;
  if (allows(capability, channel, 'publish')) modes |= Flag.PUBLISH;
  if (allows(capability, channel, 'annotation-publish')) modes |= Flag.ANNOTATION_PUBLISH;
  if (allows(capability, channel, 'annotation-subscribe')) modes |= Flag.ANNOTATION_SUBSCRIBE;
  return modes;
}

/** Modes granted on ATTACH: the requested ones ({@link DEFAULT_MODES} when none are asked for) that are permitted. */
export function grantModes(requestedFlags: number | undefined, permitted: number): number {
  const requested = (requestedFlags ?? 0) & MODE_MASK;
  return (requested || DEFAULT_MODES) & permitted;
}
