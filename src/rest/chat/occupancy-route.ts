import { channelRequest, type RestRequest } from '../context.ts';
import { sendBody } from '../respond.ts';
import type { Route } from '../route.ts';
import { rawRoomChannel } from './room.ts';

/**
 * GET /chat/v4/rooms/{room}/occupancy (`room.occupancy.get()`): `{connections, presenceMembers}` of the room's
 * channel, cluster-wide, from the same source as `channel.status()` and `[meta]occupancy`. Needs
 * `channel-metadata` on the room channel, as `channel.status()` does.
 */
export async function getRoomOccupancy(r: RestRequest, rawRoom: string): Promise<void> {
  const c = await channelRequest(r, rawRoomChannel(rawRoom), 'channel-metadata');
  const { connections, presenceMembers } = await c.node.occupancy.metrics(c.key);
  sendBody(c.req, c.res, c.query, 200, { connections, presenceMembers });
}

export const chatOccupancyRoutes: Route[] = [
  { path: /^\/chat\/v4\/rooms\/([^/]+)\/occupancy$/, methods: { GET: (r, [room]) => getRoomOccupancy(r, room as string) } },
];
