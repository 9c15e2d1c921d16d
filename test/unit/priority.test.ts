import { describe, expect, it } from 'vitest';
import { deliveryPriority, priorityKeyOf, type AttemptTrigger } from '../../workflows/definitions';

describe('delivery priority', () => {
  it.each<[AttemptTrigger, number]>([
    ['test', 1],
    ['manual', 1],
    ['scheduled', 3],
    ['replay', 5],
  ])('a %s run has priority key %i', (trigger, key) => {
    expect(priorityKeyOf(trigger)).toBe(key);
  });

  it('interactive runs go before new deliveries, which go before bulk replays', () => {
    expect(priorityKeyOf('manual')).toBeLessThan(priorityKeyOf('scheduled'));
    expect(priorityKeyOf('scheduled')).toBeLessThan(priorityKeyOf('replay'));
  });

  it('keys fairness by workspace with its weight', () => {
    expect(deliveryPriority('scheduled', 'ws_a', 3)).toEqual({ priorityKey: 3, fairnessKey: 'ws_a', fairnessWeight: 3 });
    expect(deliveryPriority('test', 'ws_b')).toEqual({ priorityKey: 1, fairnessKey: 'ws_b', fairnessWeight: 1 });
  });
});
