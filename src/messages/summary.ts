import { type Annotation, AnnotationAction } from '../protocol/index.ts';

/**
 * How annotations of one type are rolled up (the `method` of a `namespace:method.version` type, Ably TAN2): only the
 * v1 methods are known; annotations of any other type are kept and delivered but summarised by nothing.
 */
export type SummaryMethod = 'total.v1' | 'flag.v1' | 'distinct.v1' | 'unique.v1' | 'multiple.v1';

const METHODS: ReadonlySet<string> = new Set(['total.v1', 'flag.v1', 'distinct.v1', 'unique.v1', 'multiple.v1']);

/** The summary method of an annotation type (`reaction:distinct.v1` → `distinct.v1`), or undefined if none we know. */
export function summaryMethod(type: string): SummaryMethod | undefined {
  const method = type.slice(type.lastIndexOf(':') + 1);
  return type.includes(':') && METHODS.has(method) ? (method as SummaryMethod) : undefined;
}

/** Whether annotations of this method must come from an identified client (the summary lists clientIds). */
export const needsClientId = (method: SummaryMethod): boolean =>
  method === 'flag.v1' || method === 'distinct.v1' || method === 'unique.v1';

/** Whether annotations of this method are grouped by `name` (so a create must name one). */
export const needsName = (method: SummaryMethod): boolean =>
  method === 'distinct.v1' || method === 'unique.v1' || method === 'multiple.v1';

/** One name's contributions under multiple.v1: per clientId counts, and the sum from unidentified clients. */
export interface MultipleEntry {
  clients: Record<string, number>;
  unidentified: number;
}

/**
 * The full, unclipped state of one annotation type on one message. clientId lists keep the order clients first
 * contributed in, so clipping keeps the earliest.
 */
export type TypeState =
  | { method: 'total.v1'; total: number }
  | { method: 'flag.v1'; clientIds: string[] }
  | { method: 'distinct.v1' | 'unique.v1'; names: Record<string, string[]> }
  | { method: 'multiple.v1'; names: Record<string, MultipleEntry> };

/** Everything the summaries of one message are computed from: annotation type → its state. */
export type SummaryState = Record<string, TypeState>;

const without = (list: string[], clientId: string): string[] => list.filter((c) => c !== clientId);

/** Drops names nobody contributes to any more, so the summary lists only live ones. */
function prune<T>(names: Record<string, T>, empty: (v: T) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(names)) if (!empty(v)) out[name] = v;
  return out;
}

function emptyState(method: SummaryMethod): TypeState {
  switch (method) {
    case 'total.v1':
      return { method, total: 0 };
    case 'flag.v1':
      return { method, clientIds: [] };
    case 'multiple.v1':
      return { method, names: {} };
    default:
      return { method, names: {} };
  }
}

/**
 * One type's state after one annotation (Ably's summary rules, docs "Annotation types"):
 * - total.v1: a create adds one, a delete takes one away (never below zero);
 * - flag.v1: a client is listed once; a delete removes it;
 * - distinct.v1: per name, each client once; a delete removes the client from that name;
 * - unique.v1: each client under one name at a time (a create moves it); a delete removes it from the name given,
 *   or from every name when none is given;
 * - multiple.v1: per name, a create adds `count` (default 1) to its client's count (or to the unidentified sum);
 *   a delete removes all of that client's contributions to the name.
 * Pure: returns a new state and never changes `state`.
 */
export function applyToType(state: TypeState, a: Annotation): TypeState {
  const create = (a.action ?? AnnotationAction.CREATE) === AnnotationAction.CREATE;
  const clientId = a.clientId;
  const name = a.name ?? '';
  switch (state.method) {
    case 'total.v1':
      return { method: state.method, total: Math.max(0, state.total + (create ? 1 : -1)) };
    case 'flag.v1': {
      if (clientId === undefined) return state;
      const rest = without(state.clientIds, clientId);
      return { method: state.method, clientIds: create ? [...rest, clientId] : rest };
    }
    case 'distinct.v1': {
      if (clientId === undefined) return state;
      const listed = state.names[name] ?? [];
      const next = create ? (listed.includes(clientId) ? listed : [...listed, clientId]) : without(listed, clientId);
      return { method: state.method, names: prune({ ...state.names, [name]: next }, (l) => l.length === 0) };
    }
    case 'unique.v1': {
      if (clientId === undefined) return state;
      const names: Record<string, string[]> = {};
      for (const [n, list] of Object.entries(state.names)) {
        // A create moves the client to `name`; a delete without a name removes it everywhere.
        const drop = create || a.name === undefined || n === name;
        names[n] = drop ? without(list, clientId) : list;
      }
      if (create) names[name] = [...(names[name] ?? []), clientId];
      return { method: state.method, names: prune(names, (l) => l.length === 0) };
    }
    case 'multiple.v1': {
      const entry = state.names[name] ?? { clients: {}, unidentified: 0 };
      const count = a.count ?? 1;
      let next: MultipleEntry;
      if (clientId === undefined) {
        // A delete from nobody in particular cannot say whose contributions to take away: it changes nothing.
        next = create ? { ...entry, unidentified: entry.unidentified + count } : entry;
      } else {
        const clients = { ...entry.clients };
        if (create) clients[clientId] = (clients[clientId] ?? 0) + count;
        else delete clients[clientId];
        next = { ...entry, clients };
      }
      const empty = (e: MultipleEntry) => e.unidentified === 0 && Object.keys(e.clients).length === 0;
      return { method: state.method, names: prune({ ...state.names, [name]: next }, empty) };
    }
  }
}

/**
 * A message's summary state after one annotation, or undefined when the annotation's type is summarised by no
 * method we know (the state is then unchanged and no summary is sent). Types left with nothing are removed.
 */
export function applyAnnotation(state: SummaryState | undefined, a: Annotation): SummaryState | undefined {
  const method = a.type === undefined ? undefined : summaryMethod(a.type);
  if (!method || a.type === undefined) return undefined;
  const current = state?.[a.type];
  const base = current && current.method === method ? current : emptyState(method);
  return { ...state, [a.type]: applyToType(base, a) };
}

/** One clientId list as the summary shows it: at most `max` ids, `clipped` when some were left out. */
function clientList(ids: string[], max: number): { total: number; clientIds: string[]; clipped: boolean } {
  return { total: ids.length, clientIds: ids.slice(0, max), clipped: ids.length > max };
}

/** One type's summary as the SDK reads it (ably-js `SummaryEntry`; `@ably/chat` reads the reaction types). */
function summariseType(state: TypeState, max: number): unknown {
  switch (state.method) {
    case 'total.v1':
      return { total: state.total };
    case 'flag.v1':
      return clientList(state.clientIds, max);
    case 'distinct.v1':
    case 'unique.v1': {
      const out: Record<string, unknown> = {};
      for (const [name, ids] of Object.entries(state.names)) out[name] = clientList(ids, max);
      return out;
    }
    case 'multiple.v1': {
      const out: Record<string, unknown> = {};
      for (const [name, e] of Object.entries(state.names)) {
        const entries = Object.entries(e.clients);
        const identified = entries.reduce((sum, [, n]) => sum + n, 0);
        out[name] = {
          total: identified + e.unidentified,
          clientIds: Object.fromEntries(entries.slice(0, max)),
          totalUnidentified: e.unidentified,
          clipped: entries.length > max,
          totalClientIds: entries.length,
        };
      }
      return out;
    }
  }
}

/**
 * The `annotations.summary` of a message: annotation type → its summary, each clientId list clipped to
 * `maxClientIds` (Ably clips so a summary stays within the message size limit; `total` still counts everyone).
 */
export function summarise(state: SummaryState, maxClientIds: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, s] of Object.entries(state)) out[type] = summariseType(s, maxClientIds);
  return out;
}

/**
 * The part of a summary state one client contributed (Chat's `client-reactions`: whether a client reacted when
 * the full summary is clipped). Types it did not contribute to are left out; total.v1 is not per client.
 */
export function clientState(state: SummaryState, clientId: string): SummaryState {
  const out: SummaryState = {};
  for (const [type, s] of Object.entries(state)) {
    let mine: TypeState | undefined;
    if (s.method === 'flag.v1') {
      if (s.clientIds.includes(clientId)) mine = { method: s.method, clientIds: [clientId] };
    } else if (s.method === 'distinct.v1' || s.method === 'unique.v1') {
      const names = prune(
        Object.fromEntries(Object.entries(s.names).map(([n, ids]) => [n, ids.filter((c) => c === clientId)])),
        (l) => l.length === 0,
      );
      if (Object.keys(names).length > 0) mine = { method: s.method, names };
    } else if (s.method === 'multiple.v1') {
      const names: Record<string, MultipleEntry> = {};
      for (const [n, e] of Object.entries(s.names)) {
        const count = e.clients[clientId];
        if (count !== undefined) names[n] = { clients: { [clientId]: count }, unidentified: 0 };
      }
      if (Object.keys(names).length > 0) mine = { method: s.method, names };
    }
    if (mine) out[type] = mine;
  }
  return out;
}
