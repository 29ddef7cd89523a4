import { ErrorInfo } from '../../errors/index.ts';

/** Redis failures reach clients as 50300 (retry later), never as a raw client-library error. */
export async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ErrorInfo) throw err;
    throw ErrorInfo.of('unavailable', `redis: ${(err as Error).message}`);
  }
}
