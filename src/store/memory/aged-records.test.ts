import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SummaryState } from '../../messages/summary.ts';
import { ManualClock } from '../../time/manual-clock.ts';
import { AgedRecords } from './aged-records.ts';
import { MemoryAnnotationStore } from './memory-annotation-store.ts';

describe('AgedRecords', () => {
  it('forgets a record untouched for longer than maxAge, and keeps one touched within it', () => {
    const clock = new ManualClock();
    const records = new AgedRecords<string>(clock, { maxAge: 1_000, maxPerChannel: 10 });
    records.touch('ch', 'a', 'A');
    records.touch('ch', 'b', 'B');
    clock.advance(600);
    records.touch('ch', 'b', 'B2');
    clock.advance(600);
    assert.equal(records.get('ch', 'a'), undefined);
    assert.equal(records.get('ch', 'b'), 'B2');
  });

  it('keeps a record stored again after its channel emptied by ageing out', () => {
    const clock = new ManualClock();
    const records = new AgedRecords<string>(clock, { maxAge: 1_000, maxPerChannel: 10 });
    records.touch('ch', 'a', 'A');
    clock.advance(2_000);
    // The read-modify-write the stores do: the read drops the aged record and with it the channel's map.
    assert.equal(records.get('ch', 'a'), undefined);
    records.touch('ch', 'a', 'A again');
    assert.equal(records.get('ch', 'a'), 'A again');
  });

  it('drops the least recently touched record of a channel beyond maxPerChannel, not other channels', () => {
    const clock = new ManualClock();
    const records = new AgedRecords<number>(clock, { maxAge: 60_000, maxPerChannel: 2 });
    records.touch('ch', 'a', 1);
    records.touch('ch', 'b', 2);
    records.touch('other', 'x', 9);
    records.touch('ch', 'a', 3);
    records.touch('ch', 'c', 4);
    assert.equal(records.get('ch', 'b'), undefined);
    assert.equal(records.get('ch', 'a'), 3);
    assert.equal(records.get('ch', 'c'), 4);
    assert.equal(records.get('other', 'x'), 9);
  });
});

describe('memory stores on AgedRecords', () => {
  it('the annotation store keeps an annotation made after the message it annotates aged out', async () => {
    const clock = new ManualClock();
    const store = new MemoryAnnotationStore(clock, { maxAge: 1_000, maxPerChannel: 10 });
    const bump = (): SummaryState => ({ 'like:total.v1': { method: 'total.v1', total: 1 } });
    await store.add('ch', { type: 'like:total.v1', serial: 's1', messageSerial: 'm1' });
    await store.annotate('ch', 'm1', bump);
    clock.advance(2_000);
    await store.add('ch', { type: 'like:total.v1', serial: 's2', messageSerial: 'm1' });
    await store.annotate('ch', 'm1', bump);
    const page = await store.list('ch', 'm1', 10);
    assert.deepEqual(
      page.items.map((a) => a.serial),
      ['s2'],
    );
    assert.equal((await store.summaries('ch', ['m1'])).size, 1);
  });
});
