import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSerial, messageSerial, newEpoch, parseMessageSerial, parseSerial } from './serial.ts';

test('serials sort as strings in publish order, within an epoch and across a later epoch', () => {
  const old = newEpoch(1_700_000_000_000);
  const later = newEpoch(1_700_000_000_001);
  const serials = [
    ...[1, 2, 9, 10, 11, 99, 100, 123_456_789].map((seq) => messageSerial(formatSerial({ epoch: old, seq }), 0)),
    messageSerial(formatSerial({ epoch: old, seq: 123_456_789 }), 10),
    // Redis lost the numbering: a new epoch restarts at 1 and still sorts after everything before it.
    messageSerial(formatSerial({ epoch: later, seq: 1 }), 0),
  ];
  assert.deepEqual([...serials].sort(), serials);
});

test('serials parse back to their parts; foreign strings do not parse', () => {
  const epoch = newEpoch(5);
  const s = messageSerial(formatSerial({ epoch, seq: 42 }), 7);
  assert.deepEqual(parseMessageSerial(s), { epoch, seq: 42, index: 7 });
  assert.deepEqual(parseSerial(formatSerial({ epoch, seq: 42 })), { epoch, seq: 42 });
  assert.equal(parseMessageSerial('nonsense'), undefined);
  assert.equal(parseMessageSerial(`${epoch}-1:`), undefined);
});
