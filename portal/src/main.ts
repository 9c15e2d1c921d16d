import { h, replace } from './dom';
import { ApiError, captureToken, signedIn, SignInNeeded, signOut } from './session';
import { deliveryPage } from './pages/delivery';
import { eventTypesPage, notificationsPage } from './pages/catalog';
import { signInPage } from './pages/sign-in';
import { webhookFormPage } from './pages/webhook-form';
import { webhookPage } from './pages/webhook';
import { webhooksPage } from './pages/webhooks';

type Page = (...params: string[]) => Promise<Node>;

const routes: [RegExp, Page][] = [
  [/^#?\/?(?:webhooks)?$/, webhooksPage],
  [/^#\/webhooks\/new$/, () => webhookFormPage()],
  [/^#\/webhooks\/(wh_[0-9a-z]+)\/edit$/, (id) => webhookFormPage(id)],
  [/^#\/webhooks\/(wh_[0-9a-z]+)$/, webhookPage],
  [/^#\/deliveries\/(dlv_[0-9a-z]+)$/, deliveryPage],
  [/^#\/notifications$/, notificationsPage],
  [/^#\/event-types$/, eventTypesPage],
];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;

function renderNav(): void {
  const link = (href: string, label: string) => h('a', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : null }, label);
  replace(
    nav,
    signedIn()
      ? [
          link('#/webhooks', 'Webhooks'),
          link('#/notifications', 'Notifications'),
          link('#/event-types', 'Event types'),
          h('button', { type: 'button', class: 'link', onclick: () => (signOut(), void render()) }, 'Sign out'),
        ]
      : [],
  );
}

/** Renders the page of the current hash; a refused or missing token shows the sign-in page. */
export async function render(): Promise<void> {
  renderNav();
  const route = routes.map(([re, page]) => [re.exec(location.hash), page] as const).find(([m]) => m);
  main.setAttribute('aria-busy', 'true');
  try {
    if (!signedIn()) throw new SignInNeeded();
    if (!route) throw new ApiError(404, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such page' });
    const [m, page] = route;
    replace(main, await page(...m!.slice(1)));
  } catch (err) {
    if (err instanceof SignInNeeded) {
      signOut();
      renderNav();
      replace(
        main,
        signInPage(() => void render()),
      );
    } else {
      replace(
        main,
        h('section', {}, h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, (err as Error).message)),
      );
    }
  } finally {
    main.removeAttribute('aria-busy');
    const heading = main.querySelector('h1');
    if (heading) {
      document.title = `${heading.textContent} · Webhooks`;
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }
}

captureToken();
window.addEventListener('hashchange', () => void render());
void render();
