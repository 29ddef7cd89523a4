import type { RestRequest } from './context.ts';

/** Serves one route; `params` are the path pattern's capture groups, still percent-encoded. */
export type Handler = (r: RestRequest, params: string[]) => Promise<void> | void;

/** A path pattern and the handler of each method it accepts. */
export interface Route {
  path: RegExp;
  methods: Partial<Record<string, Handler>>;
  /** Other methods on this path are 404 rather than 405: Ably treats them as no route at all. */
  otherMethodsNotFound?: true;
}
