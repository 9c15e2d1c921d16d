import { expect } from 'vitest';
import { givenReceiver } from './receiver';
import { api, givenWorkspace, type Stack } from './stack';

/**
 * Two workspaces with a webhook each, on a receiver of their own; a gated receiver holds every
 * answer until its `open()`. `close` opens and closes both receivers.
 */
export async function givenTwoWorkspaces(stack: Stack, gated: { a: boolean; b: boolean }) {
  const a = await givenWorkspace(stack.db);
  const b = await givenWorkspace(stack.db);
  const receiverA = await givenReceiver({ gated: gated.a });
  const receiverB = await givenReceiver({ gated: gated.b });
  const close = async () => {
    receiverA.open();
    receiverB.open();
    await receiverA.close();
    await receiverB.close();
  };
  const ca = api(stack.url, a.key);
  const cb = api(stack.url, b.key);
  try {
    expect((await ca.post('/v1/webhooks', { url: receiverA.url, events: ['*'] })).status).toBe(201);
    expect((await cb.post('/v1/webhooks', { url: receiverB.url, events: ['*'] })).status).toBe(201);
  } catch (err) {
    await close();
    throw err;
  }
  return { a, b, receiverA, receiverB, ca, cb, close };
}

/**
 * Two workspaces with a webhook each: A's receiver holds every answer until `receiverA.open()`
 * (its first deliveries occupy the worker's slots), B's answers at once.
 */
export function givenBusyAndQuietWorkspaces(stack: Stack) {
  return givenTwoWorkspaces(stack, { a: true, b: false });
}
