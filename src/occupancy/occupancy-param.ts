import { ErrorInfo } from '../errors/index.ts';

/** The one value of the `occupancy` channel param Rollcall honours: every metric, as `[meta]occupancy` messages. */
export const OCCUPANCY_METRICS = 'metrics';

/**
 * Whether an ATTACH's params ask for occupancy events (`{occupancy: 'metrics'}`, as `@ably/chat` sends). Another
 * value is refused (40003) rather than silently giving no events.
 */
export function wantsOccupancy(params: Record<string, string> | undefined): boolean {
  const value = params?.occupancy;
  if (value === undefined) return false;
  if (value === OCCUPANCY_METRICS) return true;
  throw ErrorInfo.of('invalidParameter', `occupancy channel param must be "${OCCUPANCY_METRICS}", got "${value}"`);
}

/**
 * The params ATTACHED echoes: the subset honoured (the SDK sets `channel.params` from it). Unrecognised params
 * such as `agent` are not echoed, as Ably does; none given, none echoed.
 */
export function honouredParams(
  params: Record<string, string> | undefined,
  occupancy: boolean,
): Record<string, string> | undefined {
  if (params === undefined) return undefined;
  return occupancy ? { occupancy: OCCUPANCY_METRICS } : {};
}
