import type { Cluster } from 'ioredis';
import type { Clock } from '../../time/clock.ts';

/**
 * Whether every shard of a Redis Cluster can serve, as the cluster itself judges it: the masters the client knows
 * are asked CLUSTER INFO (each within `timeout` ms); healthy when some answer and every answer is
 * `cluster_state:ok`. Once the cluster has noticed a failed master (cluster-node-timeout) the others report
 * `cluster_state:fail` until a replica is promoted, so this reads false for the failover. A master that does not
 * answer is not counted against it (it may be the failed one, promoted away), but the client's view of the
 * topology is refreshed so it stops asking it.
 */
export async function clusterShardsHealthy(cluster: Cluster, clock: Clock, timeout: number): Promise<boolean> {
  const masters = cluster.nodes('master');
  const answers = await Promise.all(
    masters.map((node) =>
      withTimeout(node.call('CLUSTER', 'INFO') as Promise<string>, clock, timeout).then(
        (info) => (typeof info === 'string' && info.includes('cluster_state:ok') ? 'ok' : 'fail'),
        () => 'silent',
      ),
    ),
  );
  const ok = answers.includes('ok') && !answers.includes('fail');
  // Learn the new topology (a promoted replica, a master gone) without waiting for a command to be redirected.
  if (!ok || answers.includes('silent')) cluster.refreshSlotsCache();
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
