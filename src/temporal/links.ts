/** The dev server's Web UI, the default base of the deep links. */
export const DEFAULT_TEMPORAL_UI_URL = 'http://127.0.0.1:8233';

/**
 * The Web UI page of a workflow: of one run when the run id is known, else the UI's page for
 * the workflow id, which opens its latest run.
 */
export function workflowUiUrl(base: string, namespace: string, workflowId: string, runId: string | null): string {
  const root = `${base.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${root}/${encodeURIComponent(runId)}/history` : root;
}

/** Single-quoted for a POSIX shell. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `temporal` commands that act on one delivery's workflow (as in docs/operations.md). */
export function temporalCommands(
  cli: string,
  opts: { address: string; namespace: string; workflowId: string },
): { what: string; command: string }[] {
  const base = `${cli} workflow %s --address ${sh(opts.address)} --namespace ${sh(opts.namespace)} --workflow-id ${sh(opts.workflowId)}`;
  const cmd = (sub: string, extra = '') => base.replace('%s', sub) + extra;
  return [
    { what: 'status, search attributes, pending timer', command: cmd('describe') },
    { what: 'history: every attempt and timer', command: cmd('show') },
    { what: 'attempts so far, next attempt time', command: cmd('query', ' --name status') },
    { what: 'attempt now', command: cmd('signal', ' --name retry-now') },
    { what: 'cancel (the API shows cancelled)', command: cmd('cancel') },
    { what: 'last resort: stop at once (recorded as terminated)', command: cmd('terminate', ` --reason ${sh('operator terminated')}`) },
  ];
}
