import { createHookflowClient, type Problem } from '../../clients/typescript/src';

const TOKEN = 'hookflow.token';
const WORKSPACE = 'hookflow.workspace';

/**
 * A portal link carries its token in the URL fragment (`/portal/#token=hfp_…`), which browsers
 * never send to a server or put in a Referer. It moves to sessionStorage (this tab only) and
 * leaves the address bar at once. Requests send it as `Authorization: Bearer`; there is no
 * cookie, so there is nothing for a cross-site request to ride on.
 */
export function captureToken(): void {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN, decodeURIComponent(m[1]));
  sessionStorage.removeItem(WORKSPACE);
  history.replaceState(null, '', `${location.pathname}#/`);
}

export const signedIn = () => Boolean(sessionStorage.getItem(TOKEN));

/** An operator opens the portal with an API key (and, for an admin key, a workspace). */
export function signIn(key: string, workspace: string): void {
  sessionStorage.setItem(TOKEN, key);
  if (workspace) sessionStorage.setItem(WORKSPACE, workspace);
  else sessionStorage.removeItem(WORKSPACE);
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WORKSPACE);
}

/** The generated typed client, on the public API of the origin that served the portal. */
export const api = createHookflowClient({ baseUrl: location.origin });
api.use({
  onRequest({ request }) {
    const token = sessionStorage.getItem(TOKEN);
    const workspace = sessionStorage.getItem(WORKSPACE);
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    if (workspace) request.headers.set('hookflow-workspace', workspace);
    return request;
  },
});

/** No token, or the API refused it (expired, revoked): the sign-in-needed page. */
export class SignInNeeded extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `the API answered ${status}`);
  }
}

/** Unwraps a client call: the data, or SignInNeeded on 401, or an ApiError with the problem. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.status === 401) throw new SignInNeeded();
  if (!response.ok) throw new ApiError(response.status, error as Problem | undefined);
  return data as T;
}
