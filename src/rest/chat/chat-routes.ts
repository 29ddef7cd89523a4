import type { Route } from '../route.ts';
import { chatMessageRoutes } from './message-route.ts';
import { chatMessagesRoutes } from './messages-route.ts';
import { chatOccupancyRoutes } from './occupancy-route.ts';
import { chatReactionsRoutes } from './reactions-route.ts';
import { chatVersionsRoutes } from './versions-route.ts';

/** The Chat REST API (`@ably/chat` 1.x, `/chat/v4/rooms/{room}/…`, X-Ably-Version 4): one file per resource. */
export const chatRoutes: Route[] = [
  ...chatMessagesRoutes,
  ...chatMessageRoutes,
  ...chatVersionsRoutes,
  ...chatReactionsRoutes,
  ...chatOccupancyRoutes,
];
