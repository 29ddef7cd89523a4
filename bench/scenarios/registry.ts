import type { BenchContext, Row } from '../context.ts';

/**
 * A benchmark scenario: a name for `--only`, the sizes it runs at in quick and full mode, and a run function that
 * starts its own processes through the context (stopped by the harness after each size) and returns table rows.
 * Add a scenario by writing one file in bench/scenarios/ and listing it in `scenarios` below; cross-node
 * scenarios (issue 8: several server processes over Redis) plug in the same way.
 */
export interface Scenario {
  name: string;
  title: string;
  sizes: { quick: number[]; full: number[] };
  run(ctx: BenchContext, size: number): Promise<Row[]>;
}

const registered: Scenario[] = [];

/** Adds a scenario to the run, in registration order. */
export function register(scenario: Scenario): void {
  registered.push(scenario);
}

export function scenarios(): readonly Scenario[] {
  return registered;
}
