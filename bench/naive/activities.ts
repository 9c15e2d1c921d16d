import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { request, type Dispatcher } from 'undici';
import { standardSignatureHeaders } from '../signing';

export interface NaiveActivities {
  signAndPost(url: string, eventId: string, body: string): Promise<void>;
}

/** `secrets`: receiver URL → whsec_ secret. The workflow id is the Standard Webhooks message id. */
export function createNaiveActivities(secrets: Map<string, string>, dispatcher: Dispatcher): NaiveActivities {
  return {
    async signAndPost(url, eventId, body) {
      const secret = secrets.get(url);
      if (!secret) throw ApplicationFailure.nonRetryable(`no secret for ${url}`);
      const info = Context.current().info;
      const msgId = info.workflowExecution?.workflowId ?? info.activityId;
      const headers = standardSignatureHeaders(secret, msgId, Math.floor(Date.now() / 1000), body);
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        dispatcher,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300)
        throw ApplicationFailure.retryable(`HTTP ${res.statusCode} delivering ${eventId} to ${url}`);
    },
  };
}
