import type { RestRequest } from '../context.ts';
import { decodeSegment } from '../context.ts';
import { linkHeader } from '../history-params.ts';
import { versionsPage } from '../message-routes.ts';
import { sendBody } from '../respond.ts';
import type { Route } from '../route.ts';
import { toRestMessage } from './chat-message.ts';
import { roomRequest } from './room.ts';

/**
 * GET /chat/v4/rooms/{room}/messages/{serial}/versions (`room.messages.getVersions`): every version of the message,
 * oldest first (as created, then after each update or delete), paged like the channel's versions. 40400 when
 * unknown. Needs `history`.
 */
export async function getVersions(r: RestRequest, rawRoom: string, rawSerial: string): Promise<void> {
  const c = await roomRequest(r, rawRoom, 'history');
  const page = versionsPage(c.query, await c.node.messages.versions(c.key, decodeSegment(rawSerial)));
  sendBody(c.req, c.res, c.query, 200, page.items.map(toRestMessage), linkHeader('versions', c.query, page.next));
}

export const chatVersionsRoutes: Route[] = [
  {
    path: /^\/chat\/v4\/rooms\/([^/]+)\/messages\/([^/]+)\/versions$/,
    methods: { GET: (r, [room, serial]) => getVersions(r, room as string, serial as string) },
  },
];
