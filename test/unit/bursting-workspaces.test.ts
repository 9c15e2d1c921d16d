import { describe, expect, it } from 'vitest';
import { burstingWorkspaces } from '../../src/api/v1/events';

const batch = (...ws: string[]) => ws.map((workspaceId) => ({ workspaceId }));

describe('burstingWorkspaces (whose starts an ingest hold is for)', () => {
  it.each<[string, string[], string[]]>([
    ['one workspace publishing together', ['a', 'a', 'a'], ['a']],
    ["another workspace's single publish in the same batch is not held", ['a', 'b', 'a', 'a'], ['a']],
    ['two workspaces bursting', ['a', 'b', 'b', 'a', 'c'], ['a', 'b']],
    ['many workspaces publishing one each: all of them', ['a', 'b', 'c'], ['a', 'b', 'c']],
  ])('%s', (_, workspaces, expected) => {
    expect(burstingWorkspaces(batch(...workspaces)).sort()).toEqual(expected);
  });
});
