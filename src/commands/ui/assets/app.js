// The dashboard's behaviour, loaded from the dashboard itself (its
// Content-Security-Policy allows no inline script and nothing from
// elsewhere). Every page works without it; it adds the live updates, the
// countdowns, instant filtering and the confirmation before a change.
'use strict';

// Seconds between this browser's clock and the server's, from the page.
let skew = 0;

function relative(at, now) {
  const delta = at - now;
  const span = Math.abs(delta);
  if (span < 5) return 'now';
  let text;
  if (span < 60) text = `${span}s`;
  else if (span < 3600) text = `${Math.floor(span / 60)}m ${span % 60}s`;
  else if (span < 48 * 3600) {
    const h = Math.floor(span / 3600);
    const m = Math.floor((span % 3600) / 60);
    text = m === 0 || h >= 10 ? `${h}h` : `${h}h ${m}m`;
  } else text = `${Math.floor(span / 86400)}d`;
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

// Keeps every moment on the page current; a deadline passing (a token
// expiring) changes health, so the page is fetched again then.
function tick() {
  const now = Math.floor(Date.now() / 1000) + skew;
  let crossed = false;
  for (const el of document.querySelectorAll('time.rel[data-at]')) {
    const at = Number(el.dataset.at);
    const was = el.dataset.side;
    const side = at > now ? 'future' : 'past';
    if (was === 'future' && side === 'past') crossed = true;
    el.dataset.side = side;
    el.textContent = relative(at, now);
  }
  if (crossed) reload();
}

function readSkew() {
  const main = document.querySelector('main[data-now]');
  if (main) skew = Number(main.dataset.now) - Math.floor(Date.now() / 1000);
}

// Confirmation before a change that cannot be undone.
function onSubmit(event) {
  const form = event.target;
  if (form.id === 'bulk' && !form.querySelector('input[name="name"]:checked')) {
    event.preventDefault();
    alert('Select at least one credential.');
    return;
  }
  const question = form.dataset.confirm;
  if (question && !confirm(question)) event.preventDefault();
}

function onChange(event) {
  if (event.target.id === 'select-all') {
    for (const box of document.querySelectorAll('#credentials tbody input[name="name"]')) {
      if (!box.closest('tr').hidden) box.checked = event.target.checked;
    }
  }
}

// Instant filtering as one types; submitting the form filters on the
// server as well (and works without this script).
function filterRows() {
  const q = document.getElementById('q');
  if (!q) return;
  const needle = q.value.trim().toLowerCase();
  for (const row of document.querySelectorAll('#credentials tbody tr')) {
    row.hidden = needle !== '' && !row.dataset.search.includes(needle);
  }
}

// Fetches this page again and swaps its content in, keeping what the user
// is doing: selected rows, the search text and where the focus is.
let reloading = false;
let again = false;
async function reload() {
  if (reloading) { again = true; return; }
  reloading = true;
  try {
    const checked = new Set(
      [...document.querySelectorAll('input[name="name"]:checked')].map((b) => b.value));
    const q = document.getElementById('q');
    const typed = q ? q.value : null;
    const focused = document.activeElement && document.activeElement.id;
    const response = await fetch(location.href, { credentials: 'same-origin' });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    const main = fresh.querySelector('main');
    if (!main) return;
    document.querySelector('main').replaceWith(main);
    for (const box of document.querySelectorAll('input[name="name"]')) {
      if (checked.has(box.value)) box.checked = true;
    }
    const q2 = document.getElementById('q');
    if (q2 && typed !== null) q2.value = typed;
    if (focused) document.getElementById(focused)?.focus();
    readSkew();
    filterRows();
    tick();
    document.body.dataset.reloads = String(Number(document.body.dataset.reloads || 0) + 1);
  } finally {
    reloading = false;
    if (again) { again = false; reload(); }
  }
}

function live() {
  const indicator = document.getElementById('live');
  const source = new EventSource('/events');
  source.addEventListener('open', () => indicator?.classList.add('on'));
  source.addEventListener('error', () => indicator?.classList.remove('on'));
  source.addEventListener('change', () => reload());
}

document.addEventListener('submit', onSubmit);
document.addEventListener('change', onChange);
document.addEventListener('input', (e) => { if (e.target.id === 'q') filterRows(); });
// A page whose content changes without a database change (the daemon's)
// asks again now and then.
function poll() {
  const every = Number(document.querySelector('main')?.dataset.poll || 0);
  if (every > 0) reload();
}

readSkew();
tick();
setInterval(tick, 1000);
setInterval(poll, 5000);
live();
