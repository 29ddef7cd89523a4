/** The repository root and its build output directory. */
export const ROOT: string;
export const DIST: string;
/** Why dist/ must be (re)built, or undefined when it is up to date with src/ and the build's config files. */
export function isStale(): string | undefined;
/** Compiles src/ to dist/ (swapped in whole when done); throws with the compiler's output on failure. */
export function build(): void;
/** Builds when stale (or `force`), one process at a time (a lock directory); calls `onBuild(reason)` first. */
export function ensureBuilt(onBuild: (reason: string) => void, force?: boolean): void;
