import type { Cluster } from 'ioredis';
import type { Clock } from '../../time/clock.ts';

/**
 * Whether every shard of a Redis Cluster can serve: each master the client knows answers CLUSTER INFO within
 * `timeout` ms and reports `cluster_state:ok`. During a failover the failed master does not answer and the others
 * report `cluster_state:fail` until a replica is promoted, so this reads false for the whole outage.
 */
export async function clusterShardsHealthy(cluster: Cluster, clock: Clock, timeout: number): Promise<boolean> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) return false;
  const answers = await Promise.all(
    masters.map((node) =>
      withTimeout(node.call('CLUSTER', 'INFO') as Promise<string>, clock, timeout).then(
        (info) => typeof info === 'string' && info.includes('cluster_state:ok'),
        () => false,
      ),
    ),
  );
  const ok = answers.every(Boolean);
  // Learn the new topology (a promoted replica) without waiting for a command to be redirected.
  if (!ok) cluster.refreshSlotsCache();
  return ok;
}

function withTimeout<T>(p: Promise<T>, clock: Clock, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
