// A scripted browser for interop logins: follows redirects with a cookie
// jar, fills and submits the provider's login and consent forms (login
// "alice"), and stops once it has delivered the redirect to the loopback
// callback. Usage: node browser.mjs URL
const jar = new Map();
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const keep = (res) => {
  for (const c of res.headers.getSetCookie?.() ?? []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
};
const isCallback = (u) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/callback/.test(u);

let url = process.argv[2];
let init = { method: 'GET' };
let submitted = false;
for (let step = 0; step < 30; step += 1) {
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } });
  keep(res);
  if (isCallback(url)) {
    process.exit(res.ok ? 0 : 1);
  }
  if (res.status >= 300 && res.status < 400) {
    url = new URL(res.headers.get('location'), url).href;
    init = { method: 'GET' };
    continue;
  }
  const html = await res.text();
  const form = html.match(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) {
    // The end of a device login is a page without a form; anywhere else
    // a page without one means the login went wrong.
    if (submitted && res.ok) process.exit(0);
    console.error(`no form and no redirect at ${url} (HTTP ${res.status})`);
    process.exit(1);
  }
  submitted = true;
  const body = new URLSearchParams();
  for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = input[0].match(/name="([^"]+)"/)?.[1];
    if (!name) continue;
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
    body.set(name, name === 'login' ? 'alice' : name === 'password' ? 'secret' : value);
  }
  url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
  init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
console.error('too many steps');
process.exit(1);
