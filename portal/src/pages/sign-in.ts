import { field, h } from '../dom';
import { signIn } from '../session';

/** Shown instead of any data when there is no token or the API refuses it (e.g. expired). */
export function signInPage(done: () => void): Node {
  const key = h('input', { type: 'password', autocomplete: 'off', required: true });
  const workspace = h('input', { type: 'text', autocomplete: 'off' });
  const onsubmit = (ev: Event) => {
    ev.preventDefault();
    signIn(key.value.trim(), workspace.value.trim());
    location.hash = '#/webhooks';
    done();
  };
  return h(
    'section',
    { class: 'narrow' },
    h('h1', {}, 'Sign-in needed'),
    h('p', {}, 'This portal link has expired or is not valid. Open Webhooks again from your account settings to get a new link.'),
    h(
      'form',
      { onsubmit, novalidate: true },
      h('h2', {}, 'Operators: sign in with an API key'),
      field('signin-key', 'API key', key),
      field('signin-workspace', 'Workspace (id or uid, admin keys only)', workspace),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
}
