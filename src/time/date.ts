/** A Date for a Clock reading, for libraries that take one (e.g. jose's `currentDate`); the only Date factory in src/. */
export function dateAt(ms: number): Date {
  return new Date(ms);
}
