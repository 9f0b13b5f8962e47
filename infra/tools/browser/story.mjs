#!/usr/bin/env node
// story.mjs drives a running `cxloop dev` with a real headless Chromium:
// the whole closed-loop story by mouse, the customer and owner pages by
// keyboard alone, layout at 360 px, and axe-core audits.
//
//   node infra/tools/browser/story.mjs BASE_URL API_KEY [--artifacts DIR]
//
// or with the environment: CXLOOP_URL, CXLOOP_API_KEY, CXLOOP_ARTIFACTS
// (default artifacts/browser), CHROMIUM (default /usr/bin/chromium).
// Screenshots, axe results (JSON) and summary.json go to the artifacts dir.
// Exits 0 when every check passed, 1 when any failed, 2 on bad usage.
//
// Every run uses fresh customers, so it can run against a server that
// already has data; the dashboard is checked by how its figures change.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { url: process.env.CXLOOP_URL || '', key: process.env.CXLOOP_API_KEY || '', artifacts: process.env.CXLOOP_ARTIFACTS || '' };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--artifacts')) o.artifacts = val();
    else if (a.startsWith('--url')) o.url = val();
    else if (a.startsWith('--api-key')) o.key = val();
    else if (a.startsWith('--')) usage(`unknown flag ${a}`);
    else pos.push(a);
  }
  if (pos.length > 2) usage(`too many arguments: ${pos.join(' ')}`);
  if (pos[0]) o.url = pos[0];
  if (pos[1]) o.key = pos[1];
  if (!o.url) usage('the base URL is missing');
  if (!o.key) usage('the API key is missing');
  o.url = o.url.replace(/\/+$/, '');
  o.artifacts = path.resolve(o.artifacts || 'artifacts/browser');
  o.chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  return o;
}

function usage(problem) {
  const text = 'usage: node infra/tools/browser/story.mjs BASE_URL API_KEY [--artifacts DIR]\n' +
    '   or: CXLOOP_URL=... CXLOOP_API_KEY=... [CXLOOP_ARTIFACTS=...] [CHROMIUM=...] node infra/tools/browser/story.mjs';
  if (!problem) { console.log(text); process.exit(0); }
  console.error(`story.mjs: ${problem}\n${text}`);
  process.exit(2);
}

const opt = parseArgs(process.argv.slice(2));
const BASE = opt.url;
const ART = opt.artifacts;
const AXE = require.resolve('axe-core/axe.min.js');
const OWNER_NAME = 'María García'; // acme's owner, seeded below
const run = Date.now().toString(36); // makes this run's customers unique

const MOBILE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

// ---------------------------------------------------------------- bookkeeping

const failures = []; // { section, what }
const passed = [];
const audits = []; // { name, serious, other }
let section = '';
const stopped = new Set(); // sections that could not finish
let shotN = 0;

class Fail extends Error {}

function log(s) { console.log(s); }

// must stops the current section; soft records and goes on.
function must(cond, what) {
  if (!cond) throw new Fail(what);
  passed.push(`${section}: ${what}`);
}
function soft(cond, what, detail = '') {
  if (cond) { passed.push(`${section}: ${what}`); return true; }
  failures.push({ section, what: detail ? `${what}: ${detail}` : what });
  log(`    ✗ ${what}${detail ? `: ${detail}` : ''}`);
  return false;
}

async function runSection(name, fn) {
  section = name;
  const t0 = Date.now();
  log(`\n▶ ${name}`);
  try {
    await fn();
    log(`  ${failures.some(f => f.section === name) ? '✗' : '✓'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (e) {
    const what = e instanceof Fail ? e.message : `unexpected error: ${e && e.stack || e}`;
    failures.push({ section: name, what });
    stopped.add(name);
    log(`    ✗ ${what}`);
    log(`  ✗ ${name} stopped (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
}

async function shot(page, name) {
  shotN++;
  const file = `${String(shotN).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(ART, file), fullPage: true });
  log(`    📷 ${file}`);
  return file;
}

// ---------------------------------------------------------------- API

async function api(method, p, body, { key = opt.key } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Fail(`${method} ${p}: ${e.cause?.message || e.message} (is cxloop dev running at ${BASE}?)`);
  }
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

async function apiOK(method, p, body, statuses = [200, 201, 202]) {
  const r = await api(method, p, body);
  must(statuses.includes(r.status), `${method} ${p} → ${statuses.join('/')} (got ${r.status} ${r.text.slice(0, 300)})`);
  return r.json;
}

async function clockNow() {
  const r = await api('GET', '/dev/clock');
  must(r.status === 200 && r.json?.now, `GET /dev/clock answers (got ${r.status})`);
  return new Date(r.json.now);
}

async function outbox() {
  // cxloop dev sends in the background by default: let it finish first.
  const idle = await api('GET', '/dev/idle?wait=10s');
  must(idle.status === 200 && idle.json?.idle, `GET /dev/idle: background work done (got ${idle.status})`);
  const r = await api('GET', '/dev/outbox');
  must(r.status === 200 && Array.isArray(r.json), `GET /dev/outbox lists messages (got ${r.status})`);
  return r.json;
}

// waitFor polls fn until it returns a truthy value.
async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Fail(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

async function mail(to, subjectPart) {
  return waitFor(`an email to ${to} about “${subjectPart}” in the outbox`, async () =>
    (await outbox()).filter(m => m.channel === 'email' && m.to === to && m.subject.includes(subjectPart)).at(-1));
}

async function responsesOf(customerID) {
  const now = await clockNow();
  const q = new URLSearchParams({ from: new Date(now - 400 * 864e5).toISOString(), to: new Date(+now + 36e5).toISOString() });
  const body = await apiOK('GET', `/v1/responses?${q}`, undefined, [200]);
  return body.responses.filter(r => r.customer_id === customerID);
}

async function taskOf(customerID, status = 'done') {
  const body = await apiOK('GET', `/v1/tasks?status=${status}`, undefined, [200]);
  return body.tasks.filter(t => t.customer_id === customerID).at(-1);
}

function interaction(id, customer, occurred, account = 'acme') {
  return {
    id, occurred_at: occurred, type: 'support_ticket', channel: 'email', survey: 'nps', account_id: account,
    customer: { ...customer, locale: 'en-GB', timezone: 'Europe/London' },
  };
}

// ---------------------------------------------------------------- page checks

// refusals holds the status a page is about to be refused with, on
// purpose (refused), which watch then does not count as a failure.
const refusals = new Map();

async function refused(page, url, status) {
  refusals.set(page, status);
  try {
    const res = await page.goto(url);
    return res.status();
  } finally {
    refusals.delete(page);
  }
}

// watch records what a page must never do: CSP violations, script errors,
// failed requests to our own server.
function watch(page, label) {
  page.on('console', m => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (/favicon\.ico/.test(t) || (/status of 404/.test(t) && /favicon/.test(m.location()?.url || ''))) return;
    if (refusals.has(page) && t.includes(`status of ${refusals.get(page)}`)) return;
    soft(false, `${label()}: no console errors`, t);
  });
  page.on('pageerror', e => soft(false, `${label()}: no script errors`, e.message));
  page.on('response', r => {
    const u = new URL(r.url());
    if (u.origin !== new URL(BASE).origin || u.pathname === '/favicon.ico') return;
    if (r.status() === refusals.get(page) && r.request().isNavigationRequest()) return;
    if (r.status() >= 400) soft(false, `${label()}: ${r.request().method()} ${u.pathname} succeeds`, `HTTP ${r.status()}`);
  });
}

// noHScroll checks the page fits its viewport: nothing to scroll sideways.
async function noHScroll(page, name) {
  const m = await page.evaluate(() => {
    const de = document.documentElement;
    const vw = window.innerWidth;
    const past = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > vw + 0.5; };
    // Offending elements inside a scrolling box (.table-wrap) are fine.
    const clipped = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
    const all = [...document.body.querySelectorAll('*')].filter(el => past(el) && !clipped(el));
    // the innermost offenders say why: their own content is too wide
    const inner = all.filter(el => ![...el.children].some(c => all.includes(c)));
    const desc = el => {
      const t = (el.textContent || '').trim().replace(/\s+/g, ' ');
      return el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + [...el.classList].map(c => `.${c}`).join('') +
        (t ? ` “${t.length > 40 ? t.slice(0, 40) + '…' : t}”` : '') + ` (right edge ${Math.round(el.getBoundingClientRect().right)}px)`;
    };
    return { sw: de.scrollWidth, vw, wide: inner.slice(0, 6).map(desc) };
  });
  return soft(m.sw <= m.vw, `${name} fits ${m.vw}px without horizontal scroll`,
    `document.documentElement.scrollWidth is ${m.sw}px; widest content: ${m.wide.join('; ') || '(none found)'}`);
}

// focused describes the focused element and whether its focus is visible:
// a CSS outline (or box-shadow ring) on it, or, for a visually hidden
// input, on its label (the survey's score buttons draw focus on the label).
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return { none: true, desc: '(nothing)' };
    const desc = e => {
      const name = (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || e.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return e.tagName.toLowerCase() + (e.id ? `#${e.id}` : '') + (e.getAttribute('name') ? `[name=${e.getAttribute('name')}]` : '') +
        (e.type && e.tagName === 'INPUT' ? `[type=${e.type}]` : '') + (name ? ` “${name}”` : '');
    };
    const ring = e => {
      const cs = getComputedStyle(e);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      return { ok: outline || shadow, text: `outline: ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}${shadow ? `; box-shadow: ${cs.boxShadow}` : ''}` };
    };
    // Tab visits a date input's own calendar button, inside its UA shadow
    // root: the host stays activeElement but no longer matches :focus, and
    // Chromium draws its native ring there, which CSS cannot see or style.
    if (/^(date|datetime-local|month|week|time)$/.test(el.type) && !el.matches(':focus')) {
      return { desc: desc(el) + ' (its calendar button)', tag: el.tagName.toLowerCase(), type: el.type, name: el.getAttribute('name') || '', id: el.id, visible: true, style: 'native focus ring' };
    }
    let target = el;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const hidden = parseFloat(cs.opacity) === 0 || r.width < 2 || r.height < 2;
    if (hidden && el.labels && el.labels[0]) target = el.labels[0];
    const rg = ring(target);
    const tr = target.getBoundingClientRect();
    const onScreen = tr.width > 0 && tr.height > 0 && tr.right > 0 && tr.bottom > 0 && tr.left < window.innerWidth;
    return {
      desc: desc(el), tag: el.tagName.toLowerCase(), type: el.type || '', name: el.getAttribute('name') || '', id: el.id,
      visible: rg.ok && onScreen, style: rg.text + (target !== el ? ' (on its label)' : '') + (onScreen ? '' : ' — off screen'),
    };
  });
}

// tabTo presses Tab until the focused element matches sel, checking that
// every stop on the way shows visible focus. Returns the stops.
async function tabTo(page, sel, what, max = 40) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    stops.push(f.desc);
    if (!f.none) soft(f.visible, `${what}: visible focus on ${f.desc}`, f.style);
    if (!f.none && await page.evaluate(s => document.activeElement.matches(s), sel)) return stops;
  }
  throw new Fail(`${what}: Tab never reached ${sel} within ${max} presses; stops: ${stops.join(' → ')}`);
}

// ---------------------------------------------------------------- axe

let auditCtx;

// audit runs axe-core on what page shows now. The pages send a strict CSP
// that (rightly) blocks injected scripts, so the audit replays the page's
// current DOM at the same URL in a context that bypasses CSP, with the same
// viewport, and injects axe there. Nothing is re-submitted.
async function audit(page, name) {
  const url = page.url();
  const html = await page.content();
  const ap = await auditCtx.newPage();
  try {
    await ap.setViewportSize(page.viewportSize());
    await ap.route(u => u.href === url, route => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await ap.goto(url, { waitUntil: 'load' });
    await ap.addScriptTag({ path: AXE });
    const res = await ap.evaluate(async () => window.axe.run(document, { resultTypes: ['violations', 'incomplete'] }));
    const file = `axe-${name}.json`;
    fs.writeFileSync(path.join(ART, file), JSON.stringify({
      page: name, url: url.replace(/\/(s|u|t)\/[^/?#]+/, '/$1/{token}'), viewport: page.viewportSize(),
      testEngine: res.testEngine, timestamp: res.timestamp,
      violations: res.violations, incomplete: res.incomplete,
      passes: res.passes.map(r => r.id), inapplicable: res.inapplicable.map(r => r.id),
    }, null, 2));
    const bad = res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
    const other = res.violations.filter(v => !bad.includes(v));
    audits.push({ name, serious: bad.length, other: other.map(v => `${v.id} (${v.impact})`) });
    for (const v of bad) {
      const nodes = v.nodes.map(n => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.split('\n').slice(1).join(' ').trim()}` : ''}`);
      soft(false, `axe ${name}: no serious or critical violations`,
        `${v.id} [${v.impact}] ${v.help} (${v.helpUrl})\n        ${nodes.join('\n        ')}`);
    }
    if (!bad.length) passed.push(`${section}: axe ${name} clean`);
    log(`    axe ${name}: ${bad.length} serious/critical, ${other.length} minor/moderate${other.length ? ` (${other.map(v => v.id).join(', ')})` : ''} → ${file}`);
  } finally {
    await ap.close();
  }
}

// ---------------------------------------------------------------- dashboard

async function cards(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.card')].map(c => [
    c.querySelector('.label')?.textContent.trim(),
    { num: c.querySelector('.num')?.textContent.trim(), sub: c.querySelector('.sub')?.textContent.trim() || '' },
  ])));
}

// closedOf reads the "Loops closed" card's "X of N".
function closedOf(c) {
  const m = /(\d+) of (\d+)/.exec(c['Loops closed']?.sub || '');
  return m ? { closed: +m[1], unhappy: +m[2] } : null;
}

async function signIn(page, how) {
  await page.goto(`${BASE}/dashboard`);
  must(await page.locator('#api_key').count() === 1, 'GET /dashboard shows the sign-in form');
  if (how === 'keyboard') {
    await tabTo(page, '#api_key', 'dashboard sign-in');
    await page.keyboard.type(opt.key);
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
  } else {
    await shot(page, 'dashboard-signin');
    await noHScroll(page, `the dashboard sign-in at ${page.viewportSize().width}px`);
    await audit(page, 'dashboard-signin');
    await page.getByLabel('API key').fill(opt.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.waitForLoadState('load');
  must(await page.getByRole('heading', { name: 'Closed-loop dashboard' }).count() === 1,
    `signing in with the API key (${how}) shows the dashboard (page says: ${(await page.locator('main').innerText()).slice(0, 200)})`);
}

// ---------------------------------------------------------------- main

fs.mkdirSync(ART, { recursive: true });
// Clear this script's own earlier output (and nothing else) from the dir.
for (const f of fs.readdirSync(ART)) {
  if (/^\d\d-[\w-]+\.png$|^axe-[\w-]+\.json$|^summary\.json$/.test(f)) fs.rmSync(path.join(ART, f));
}
log(`cxloop browser story against ${BASE}\n  chromium: ${opt.chromium}\n  artifacts: ${ART}`);

const health = await api('GET', '/healthz').catch(e => e);
if (health instanceof Error || health.status !== 200) {
  console.error(`story.mjs: ${BASE}/healthz does not answer 200: ${health.message || health.status}. Is cxloop dev running?`);
  process.exit(1);
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    // launch() gives every run a fresh temporary profile (user data dir).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
} catch (e) {
  console.error(`story.mjs: cannot start Chromium at ${opt.chromium}: ${e.message}`);
  process.exit(1);
}
log(`  browser: Chromium ${browser.version()}, playwright-core ${require('playwright-core/package.json').version}, axe-core ${require('axe-core/package.json').version}`);

auditCtx = await browser.newContext({ bypassCSP: true, viewport: DESKTOP });
const ctx = await browser.newContext({ viewport: DESKTOP }); // the real pages' CSP applies
ctx.setDefaultTimeout(15000);
let where = 'story';
const page = await ctx.newPage();
watch(page, () => `${where} (${new URL(page.url()).pathname.replace(/^\/(s|u|t)\/.*/, '/$1/{token}')})`);

const ana = { id: `cust-ana-${run}`, name: 'Ana Lopez', email: `ana.${run}@acme.example` };
const ben = { id: `cust-ben-${run}`, name: 'Ben Okafor', email: `ben.${run}@acme.example` };
const comment = `The courier missed two slots (${run}).`;
const note = `Ana, thank you for telling us. I have booked a fixed delivery window for your next orders and I will call you on Friday. (${run})`;
let occurred;
let before = null;
const dash = await ctx.newPage();
watch(dash, () => 'dashboard');

await runSection('seed through the API', async () => {
  const now = await clockNow();
  occurred = new Date(+now - 10 * 60e3).toISOString();
  await apiOK('PUT', '/v1/people/dana', { name: 'Dana Whitfield', email: 'dana@example.com', team: 'Customer Success', roles: ['owner', 'manager', 'leader'], timezone: 'Europe/London' });
  await apiOK('PUT', '/v1/people/maria', { name: OWNER_NAME, email: 'maria@example.com', manager_id: 'dana', team: 'Customer Success', timezone: 'Europe/Madrid' });
  await apiOK('PUT', '/v1/people/sam', { name: 'Sam Okafor', email: 'sam@example.com', manager_id: 'dana', team: 'Support', timezone: 'Africa/Lagos' });
  await apiOK('PUT', '/v1/people/alex', { name: 'Alex Kim', email: 'alex@example.com', team: 'Operations', roles: ['admin'], timezone: 'America/Toronto' });
  await apiOK('PUT', '/v1/accounts/acme', { name: 'Acme Logistics', owner_id: 'maria' });
  await apiOK('PUT', '/v1/accounts/globex', { name: 'Globex Retail', owner_id: 'sam' });
  const r = await apiOK('POST', '/v1/interactions', interaction(`browser-${run}-1`, ana, occurred), [202]);
  must(r.status !== 'skipped', `the interaction is accepted for a survey (got ${JSON.stringify(r)})`);
  await mail(ana.email, 'A quick question');
});

// Later story steps need the earlier ones to have finished (soft failures,
// like a layout or axe finding, do not stop the story).
const storyOK = () => ![...stopped].some(s => s.startsWith('story') || s.startsWith('seed'));

await runSection('story: the customer answers from the email', async () => {
  must(storyOK(), 'seeding worked');
  where = 'outbox';
  await page.goto(`${BASE}/dev/outbox`);
  must(await page.getByRole('heading', { name: 'Outbox' }).count() === 1, 'the outbox page opens');
  await shot(page, 'outbox');
  await audit(page, 'outbox');
  const row = page.locator('tr', { hasText: ana.email });
  await page.setViewportSize(MOBILE); // the customer reads mail on a phone
  where = 'survey email';
  await row.getByRole('link', { name: 'A quick question from' }).click();
  await page.waitForLoadState('load');
  must(/\/dev\/outbox\/./.test(page.url()), 'clicking the email in the outbox opens it');
  await shot(page, 'survey-email');
  await noHScroll(page, 'the survey email');
  await audit(page, 'survey-email');
  where = 'survey';
  await page.getByRole('link', { name: '3 / 10', exact: true }).click();
  await page.waitForLoadState('load');
  must(new URL(page.url()).pathname.startsWith('/s/'), 'clicking score 3 opens the survey page');
  must(await page.locator('#score-3').isChecked(), 'the survey page has score 3 chosen');
  await shot(page, 'survey-page');
  await noHScroll(page, 'the survey page');
  await audit(page, 'survey');
  await page.getByLabel("Anything you'd like to add?").fill(comment);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForLoadState('load');
  must(await page.getByRole('heading', { name: 'Thank you' }).count() === 1, 'sending shows “Thank you”');
  must((await page.getByRole('status').innerText()).includes('Your answer is saved'), 'the thank-you says the answer is saved');
  await shot(page, 'survey-thanks');
  await noHScroll(page, 'the survey thank-you page');
  await audit(page, 'survey-thanks');
  const rs = await responsesOf(ana.id);
  must(rs.length === 1 && rs[0].score === 3 && rs[0].comment === comment && rs[0].unhappy,
    `GET /v1/responses has one unhappy answer 3 with the comment (got ${JSON.stringify(rs)})`);
});

await runSection('story: the dashboard before the follow-up', async () => {
  must(storyOK(), 'the customer answered');
  await dash.setViewportSize(DESKTOP);
  await signIn(dash, 'mouse');
  before = closedOf(await cards(dash));
  must(before, `the dashboard shows “Loops closed … X of N” (cards: ${JSON.stringify(await cards(dash))})`);
  soft(before.unhappy >= 1 && before.closed < before.unhappy, 'the new unhappy answer shows as an open loop', JSON.stringify(before));
  await shot(dash, 'dashboard-before');
});

await runSection('story: the owner follows up from the task email', async () => {
  must(storyOK(), 'the customer answered');
  where = 'outbox';
  await page.setViewportSize(DESKTOP);
  const task = await mail('maria@example.com', `Follow up with ${ana.name}`);
  await page.goto(`${BASE}/dev/outbox`);
  await shot(page, 'outbox-task');
  await page.setViewportSize(MOBILE); // owners open it on their phone, too
  where = 'task email';
  await page.locator('tr', { hasText: 'maria@example.com' }).getByRole('link', { name: task.subject, exact: true }).first().click();
  await page.waitForLoadState('load');
  await shot(page, 'task-email');
  await noHScroll(page, 'the task email');
  await audit(page, 'task-email');
  where = 'task';
  await page.getByRole('link', { name: 'Open the follow-up' }).click();
  await page.waitForLoadState('load');
  must(new URL(page.url()).pathname.startsWith('/t/'), 'the task email links to the task page');
  must(await page.getByRole('heading', { name: `Follow up with ${ana.name}` }).count() === 1, 'the task page names the customer');
  soft((await page.locator('main').innerText()).includes(comment), 'the task page shows the customer’s comment');
  await shot(page, 'task-page');
  await noHScroll(page, 'the task page');
  await audit(page, 'task');
  await page.getByLabel('Resolved', { exact: true }).check();
  const cause = await page.locator('#root_cause option').nth(1).getAttribute('value');
  await page.getByLabel('Root cause').selectOption(cause);
  await page.getByLabel('What you did').fill('Called Ana; booked fixed delivery windows with the courier.');
  await page.getByLabel('A personal note to Ana').fill(note);
  await page.getByRole('button', { name: 'Complete' }).click();
  await page.waitForLoadState('load');
  must((await page.getByRole('status').innerText()).includes('The loop is closed'), 'completing says “The loop is closed”');
  await shot(page, 'task-done');
  await noHScroll(page, 'the completed task page');
  await audit(page, 'task-done');
  const t = await taskOf(ana.id);
  must(t && t.status === 'done' && t.outcome === 'resolved' && t.root_cause === cause,
    `GET /v1/tasks has the task done, resolved, root cause ${cause} (got ${JSON.stringify(t && { status: t.status, outcome: t.outcome, root_cause: t.root_cause })})`);
});

await runSection('story: the dashboard shows the closed loop', async () => {
  must(before, 'the dashboard was read before the follow-up');
  await dash.reload();
  await dash.waitForLoadState('load');
  const c = await cards(dash);
  const after = closedOf(c);
  must(after, `the dashboard still shows “Loops closed” (cards: ${JSON.stringify(c)})`);
  must(after.closed === before.closed + 1 && after.unhappy === before.unhappy,
    `“Loops closed” goes from ${before.closed} of ${before.unhappy} to ${before.closed + 1} of ${before.unhappy} (got ${after.closed} of ${after.unhappy})`);
  if (before.closed === 0 && before.unhappy === 1) {
    must(c['Loops closed'].num === '100%' && c['Open']?.num === '0', `on a fresh server: 100% closed, 0 open (got ${JSON.stringify(c)})`);
  }
  must(await dash.locator('svg.chart').count() >= 1, 'the dashboard draws charts');
  soft((await dash.locator('main').innerText()).includes(OWNER_NAME), 'the dashboard lists the owner');
  await shot(dash, 'dashboard-after');
  await noHScroll(dash, 'the dashboard at 1280px');
  await audit(dash, 'dashboard');
  await dash.setViewportSize(MOBILE);
  await shot(dash, 'dashboard-360');
  await noHScroll(dash, 'the dashboard');
  await dash.setViewportSize(DESKTOP);
});

await runSection('story: the customer hears back from the owner by name', async () => {
  must(storyOK(), 'the owner completed the task');
  where = 'outbox';
  await page.setViewportSize(DESKTOP);
  const m = await mail(ana.email, 'About your feedback');
  await page.goto(`${BASE}/dev/outbox`);
  await page.setViewportSize(MOBILE);
  where = 'customer note';
  await page.locator('tr', { hasText: ana.email }).getByRole('link', { name: m.subject, exact: true }).first().click();
  await page.waitForLoadState('load');
  const text = await page.locator('body').innerText();
  must(text.includes(note), 'the email to the customer carries the owner’s note');
  must(text.includes(OWNER_NAME), `the note is signed “${OWNER_NAME}”`);
  must(text.indexOf(OWNER_NAME) > text.indexOf(note), 'the signature comes after the note');
  await shot(page, 'customer-note');
  await noHScroll(page, 'the customer’s note email');
  await audit(page, 'customer-note');
});

// ---------------------------------------------------------------- keyboard

const kctx = await browser.newContext({ viewport: MOBILE });
kctx.setDefaultTimeout(15000);
const kp = await kctx.newPage();
let kwhere = 'keyboard';
watch(kp, () => kwhere);
let benMail = null;
const kbComment = `Slow reply, by keyboard (${run})`;

await runSection('keyboard: answer the survey', async () => {
  const r = await apiOK('POST', '/v1/interactions', interaction(`browser-${run}-2`, ben, occurred || new Date().toISOString()), [202]);
  must(r.status !== 'skipped', `Ben's interaction is accepted (got ${JSON.stringify(r)})`);
  benMail = await mail(ben.email, 'A quick question');
  kwhere = 'survey (keyboard)';
  await kp.goto(benMail.links[0].split('?')[0]); // the survey page, no score chosen yet
  const first = await (async () => { await kp.keyboard.press('Tab'); return focused(kp); })();
  soft(first.tag === 'a' && /skip/i.test(first.desc), 'the first Tab stop is the skip link', first.desc);
  soft(first.visible, 'the skip link is visible when focused', first.style);
  const stops = await tabTo(kp, 'input[name=score]', 'survey');
  log(`    tab stops: ${[first.desc, ...stops].join(' → ')}`);
  must(await kp.evaluate(() => document.activeElement.id) === 'score-0', 'Tab enters the scores at 0');
  await kp.keyboard.press('ArrowRight');
  await kp.keyboard.press('ArrowRight');
  await kp.keyboard.press('Space');
  must(await kp.locator('#score-2').isChecked(), 'two Right arrows and Space choose score 2');
  const f = await focused(kp);
  soft(f.visible, 'the chosen score shows visible focus', f.style);
  await shot(kp, 'kb-survey-score');
  await kp.keyboard.press('Tab');
  must(await kp.evaluate(() => document.activeElement.id) === 'comment', `Tab goes from the scores to the comment (focused: ${(await focused(kp)).desc})`);
  soft((await focused(kp)).visible, 'the comment box shows visible focus', (await focused(kp)).style);
  await kp.keyboard.type(kbComment);
  await kp.keyboard.press('Tab');
  const btn = await focused(kp);
  must(btn.tag === 'button' && btn.desc.includes('Send'), `Tab goes from the comment to Send (focused: ${btn.desc})`);
  soft(btn.visible, 'Send shows visible focus', btn.style);
  await shot(kp, 'kb-survey-send');
  await Promise.all([kp.waitForEvent('load'), kp.keyboard.press('Enter')]);
  must(await kp.getByRole('heading', { name: 'Thank you' }).count() === 1, 'Enter on Send shows “Thank you”');
  await shot(kp, 'kb-survey-thanks');
  const rs = await responsesOf(ben.id);
  must(rs.length === 1 && rs[0].score === 2 && rs[0].comment === kbComment,
    `GET /v1/responses has Ben's answer 2 with the comment (got ${JSON.stringify(rs)})`);
});

await runSection('keyboard: the owner acknowledges and completes the task', async () => {
  must(benMail, 'Ben answered');
  const m = await mail('maria@example.com', `Follow up with ${ben.name}`);
  kwhere = 'task (keyboard)';
  await kp.goto(m.links[0]);
  await tabTo(kp, 'button.secondary', 'task: to “I\'m on it”');
  must((await focused(kp)).desc.includes("I'm on it"), `Tab reaches “I'm on it” (focused: ${(await focused(kp)).desc})`);
  await Promise.all([kp.waitForEvent('load'), kp.keyboard.press('Enter')]);
  must((await kp.getByRole('status').innerText()).includes("you're on it"), 'Enter on “I\'m on it” acknowledges');
  await tabTo(kp, 'input[name=outcome]', 'task: to the outcome');
  await kp.keyboard.press('ArrowDown');
  must(await kp.getByLabel('Contacted, not resolved').isChecked(), 'Down arrow chooses “Contacted, not resolved”');
  await kp.keyboard.press('Tab');
  must(await kp.evaluate(() => document.activeElement.id) === 'root_cause', `Tab goes to Root cause (focused: ${(await focused(kp)).desc})`);
  soft((await focused(kp)).visible, 'Root cause shows visible focus', (await focused(kp)).style);
  await kp.keyboard.press('ArrowDown');
  const cause = await kp.locator('#root_cause').inputValue();
  must(cause !== '', 'Down arrow on Root cause picks a cause');
  await kp.keyboard.press('Tab');
  must(await kp.evaluate(() => document.activeElement.id) === 'notes', 'Tab goes to the notes');
  await kp.keyboard.type('Phoned Ben; apologised for the slow reply.');
  await kp.keyboard.press('Tab');
  must(await kp.evaluate(() => document.activeElement.id) === 'message_to_customer', 'Tab goes to the note to the customer');
  await kp.keyboard.type('Ben, sorry we were slow. I am your contact from now on.');
  await kp.keyboard.press('Tab');
  must(await kp.evaluate(() => document.activeElement.name) === 'recovery_check', 'Tab goes to the recovery check box');
  soft((await focused(kp)).visible, 'the check box shows visible focus', (await focused(kp)).style);
  await kp.keyboard.press('Space');
  must(await kp.locator('input[name=recovery_check]').isChecked(), 'Space ticks the recovery check');
  await kp.keyboard.press('Tab');
  const b = await focused(kp);
  must(b.tag === 'button' && b.desc.includes('Complete'), `Tab goes to Complete (focused: ${b.desc})`);
  soft(b.visible, 'Complete shows visible focus', b.style);
  await shot(kp, 'kb-task-complete');
  await Promise.all([kp.waitForEvent('load'), kp.keyboard.press('Enter')]);
  must((await kp.getByRole('status').innerText()).includes('The loop is closed'), 'Enter on Complete closes the loop');
  await shot(kp, 'kb-task-done');
  const t = await taskOf(ben.id);
  must(t && t.status === 'done' && t.outcome === 'contacted' && t.root_cause === cause && t.acknowledged_at,
    `GET /v1/tasks has Ben's task acknowledged and done, contacted, ${cause} (got ${JSON.stringify(t && { status: t.status, outcome: t.outcome, root_cause: t.root_cause, acknowledged_at: t.acknowledged_at })})`);
});

await runSection('keyboard: unsubscribe', async () => {
  must(benMail, 'Ben got a survey email');
  kwhere = 'unsubscribe (keyboard)';
  await kp.goto(benMail.links.at(-1));
  must(new URL(kp.url()).pathname.startsWith('/u/'), 'the email’s last link is the unsubscribe page');
  await shot(kp, 'unsubscribe');
  await noHScroll(kp, 'the unsubscribe page');
  await audit(kp, 'unsubscribe');
  await tabTo(kp, 'button[type=submit]', 'unsubscribe');
  await Promise.all([kp.waitForEvent('load'), kp.keyboard.press('Enter')]);
  must((await kp.getByRole('status').innerText()).includes('You will not get surveys'), 'Enter on Unsubscribe confirms it');
  await shot(kp, 'unsubscribe-done');
  await noHScroll(kp, 'the unsubscribed page');
  await audit(kp, 'unsubscribe-done');
  const r = await apiOK('POST', '/v1/interactions', interaction(`browser-${run}-3`, ben, new Date().toISOString()), [202]);
  must(r.status === 'skipped' && r.reason === 'opted_out', `a new interaction for Ben is skipped as opted out (got ${JSON.stringify(r)})`);
});

await runSection('keyboard: dashboard sign-in and controls at 360px', async () => {
  kwhere = 'dashboard (keyboard)';
  await kp.setViewportSize(MOBILE);
  await signIn(kp, 'keyboard');
  await noHScroll(kp, 'the signed-in dashboard');
  const stops = [];
  for (let i = 0; i < 40; i++) {
    await kp.keyboard.press('Tab');
    const f = await focused(kp);
    if (f.none || stops.includes(f.desc) && f.desc.startsWith('a')) break;
    stops.push(f.desc);
    soft(f.visible, `dashboard: visible focus on ${f.desc}`, f.style);
    if (f.tag === 'summary') {
      await kp.keyboard.press('Enter');
      must(await kp.locator('details.data').evaluate(d => d.open), 'Enter on the data table summary opens it');
    }
  }
  log(`    tab stops: ${stops.join(' → ')}`);
  for (const want of ['Sign out', '#from', '#to', '#group_by', '#tz', 'Show', 'summary']) {
    soft(stops.some(s => s.includes(want)), `dashboard: Tab reaches ${want}`, stops.join(' → '));
  }
  await shot(kp, 'kb-dashboard');
});

// ---------------------------------------------------------------- people

// signInAs signs a person in as they would: the form, the link in their
// email in the outbox, the confirmation button. By keyboard, every step
// is Tab, typing and Enter.
async function signInAs(p, email, how, auditAs = '') {
  await p.goto(`${BASE}/signin`);
  must(await p.getByRole('heading', { name: 'Sign in' }).count() === 1, 'GET /signin shows the sign-in form');
  if (auditAs) {
    await shot(p, `${auditAs}-signin`);
    await noHScroll(p, 'the sign-in page');
    await audit(p, 'signin');
  }
  if (how === 'keyboard') {
    await tabTo(p, '#email', 'sign-in: to the email field');
    await p.keyboard.type(email);
    await Promise.all([p.waitForEvent('load'), p.keyboard.press('Enter')]);
  } else {
    await p.getByLabel('Email address').fill(email);
    await p.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await p.waitForLoadState('load');
  }
  must(await p.getByRole('heading', { name: 'Check your email' }).count() === 1, `asking for a link (${how}) answers “Check your email”`);
  if (auditAs) await audit(p, 'signin-sent');
  const m = await mail(email, 'Your sign-in link');
  const link = m.links.find(l => new URL(l).pathname.startsWith('/signin/'));
  must(link, `the sign-in email carries a /signin/ link (links: ${m.links.join(' ')})`);
  await p.goto(link);
  must(await p.getByRole('heading', { name: /^Sign in as / }).count() === 1, 'the link opens a page that asks to confirm');
  if (auditAs) {
    await shot(p, `${auditAs}-signin-confirm`);
    await audit(p, 'signin-confirm');
  }
  if (how === 'keyboard') {
    await tabTo(p, 'button[type=submit]', 'sign-in: to the Sign in button');
    await Promise.all([p.waitForEvent('load'), p.keyboard.press('Enter')]);
  } else {
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForLoadState('load');
  }
  must(new URL(p.url()).pathname === '/home', `signing in lands on /home (at ${p.url()})`);
}

// offsetIn is a zone's UTC offset at t as RFC 3339 writes it ("+01:00", "Z").
function offsetIn(zone, t) {
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(t).find(x => x.type === 'timeZoneName').value; // "GMT+01:00" or "GMT"
  return name === 'GMT' || name === 'GMT+00:00' ? 'Z' : name.slice(3); // Go writes a zero offset as Z
}

const cleo = { id: `cust-cleo-${run}`, name: `Cleo Marsh ${run}`, email: `cleo.${run}@acme.example` };
const dev = { id: `cust-dev-${run}`, name: `Dev Patel ${run}`, email: `dev.${run}@globex.example` };
let cleoTask = null, devTask = null;

// An unhappy answer sent as the survey form does, so each owner has a
// follow-up of this run's.
async function unhappy(customer, account, n) {
  const r = await apiOK('POST', '/v1/interactions', interaction(`browser-${run}-p${n}`, customer, new Date(+(await clockNow()) - 5 * 60e3).toISOString(), account), [202]);
  must(r.status !== 'skipped', `${customer.name}'s interaction is accepted (got ${JSON.stringify(r)})`);
  const m = await mail(customer.email, 'A quick question');
  const res = await fetch(m.links[0].split('?')[0], { method: 'POST', body: new URLSearchParams({ score: '1', comment: `Not good (${customer.name})` }) });
  must(res.status === 200, `${customer.name} answers 1 through the survey form (got ${res.status})`);
  return waitFor(`${customer.name}'s follow-up`, () => taskOf(customer.id, 'open'));
}

await runSection('people: an owner signs in and closes a follow-up from My follow-ups', async () => {
  cleoTask = await unhappy(cleo, 'acme', 1);
  devTask = await unhappy(dev, 'globex', 2);
  const mctx = await browser.newContext({ viewport: MOBILE });
  mctx.setDefaultTimeout(15000);
  const mp = await mctx.newPage();
  watch(mp, () => 'María signed in');
  try {
    await signInAs(mp, 'maria@example.com', 'mouse', 'maria');
    must(await mp.getByRole('heading', { name: OWNER_NAME }).count() === 1, 'her home names her');
    const mine = mp.locator('section[aria-labelledby=mine-h]');
    must(await mine.getByRole('heading', { name: cleo.name }).count() === 1, 'My follow-ups lists Cleo’s');
    must(await mp.getByText(dev.name).count() === 0, 'My follow-ups does not show Sam’s follow-up with Dev');
    const card = mine.locator('article', { has: mp.getByRole('heading', { name: cleo.name }) });
    const iso = await card.locator('time').getAttribute('datetime');
    const want = offsetIn('Europe/Madrid', new Date(cleoTask.due_at));
    must(iso.endsWith(want) && Math.abs(new Date(iso) - new Date(cleoTask.due_at)) < 60e3,
      `the due time is in her zone, Madrid (${want}): ${iso} for ${cleoTask.due_at}`);
    soft((await card.innerText()).includes(`Not good (${cleo.name})`), 'the card shows the comment');
    await shot(mp, 'maria-home');
    await noHScroll(mp, 'María’s home');
    await audit(mp, 'home');

    // Refused: another owner's follow-up (not found, it says nothing of
    // it), the leaders' dashboard and the admin page (not for her role).
    let st = await refused(mp, `${BASE}/home/tasks/${devTask.id}`, 404);
    must(st === 404, `María opening Sam’s follow-up gets 404 (got ${st})`);
    st = await refused(mp, `${BASE}/home/customers/${dev.id}`, 404);
    must(st === 404, `María opening Dev’s history gets 404 (got ${st})`);
    st = await refused(mp, `${BASE}/dashboard`, 403);
    must(st === 403 && await mp.getByRole('heading', { name: 'Not for your role' }).count() === 1,
      `María opening the dashboard gets 403 “Not for your role” (got ${st})`);
    await audit(mp, 'not-for-your-role');
    st = await refused(mp, `${BASE}/admin`, 403);
    must(st === 403, `María opening /admin gets 403 (got ${st})`);

    // Close the loop from her home.
    await mp.goto(`${BASE}/home`);
    const c = mp.locator('article', { has: mp.getByRole('heading', { name: cleo.name }) });
    await c.getByText('Close the loop').click();
    await c.getByLabel('Outcome').selectOption('resolved');
    await c.getByLabel('Root cause').selectOption({ index: 1 });
    await c.getByLabel('What you did (internal notes)').fill('Called Cleo.');
    await c.getByLabel('A personal note to the customer (optional, signed with your name)').fill(`Cleo, thank you for telling us. (${run})`);
    await c.getByRole('button', { name: 'Complete' }).click();
    await mp.waitForLoadState('load');
    must((await mp.getByRole('status').innerText()).includes('The loop is closed'), 'completing from her home says “The loop is closed”');
    await shot(mp, 'maria-home-task-done');
    await audit(mp, 'home-task-done');
    const t = await taskOf(cleo.id, 'done');
    must(t && t.outcome === 'resolved' && t.actions.some(a => a.action === 'completed' && a.by?.person_id === 'maria' && a.by?.via === 'page'),
      `GET /v1/tasks has Cleo’s done, completed by María on the page (got ${JSON.stringify(t && t.actions)})`);
    await mp.goto(`${BASE}/home`);
    must(await mp.getByRole('heading', { name: cleo.name }).count() === 0, 'the closed follow-up leaves My follow-ups');
  } finally {
    await mctx.close();
  }
});

await runSection('people: a manager sees the team, by keyboard, and the dashboard; sign-out ends the session', async () => {
  must(devTask, 'Sam has a follow-up');
  const dctx = await browser.newContext({ viewport: MOBILE });
  dctx.setDefaultTimeout(15000);
  const dp = await dctx.newPage();
  watch(dp, () => 'Dana signed in');
  try {
    await signInAs(dp, 'dana@example.com', 'keyboard');
    const team = dp.locator('section[aria-labelledby=team-h]');
    must(await team.count() === 1, 'a manager’s home has “My team’s follow-ups”');
    const card = team.locator('article', { has: dp.getByRole('heading', { name: dev.name }) });
    must(await card.count() === 1, 'the team’s list has Sam’s follow-up with Dev');
    soft((await card.innerText()).includes('Sam Okafor'), 'the card names its owner');
    const iso = await card.locator('time').getAttribute('datetime');
    soft(iso.endsWith(offsetIn('Europe/London', new Date(devTask.due_at))), `the due time is in Dana’s zone, London: ${iso}`);
    await shot(dp, 'dana-home');
    await noHScroll(dp, 'Dana’s home');
    await audit(dp, 'home-manager');
    const stops = [];
    for (let i = 0; i < 60; i++) {
      await dp.keyboard.press('Tab');
      const f = await focused(dp);
      if (f.none) break;
      stops.push(f.desc);
      soft(f.visible, `Dana’s home: visible focus on ${f.desc}`, f.style);
      if (f.desc.includes(dev.name)) break;
    }
    log(`    tab stops: ${stops.join(' → ')}`);
    must(stops.some(d => d.includes(dev.name)), `Tab reaches Dev’s follow-up (stops: ${stops.join(' → ')})`);
    await Promise.all([dp.waitForEvent('load'), dp.keyboard.press('Enter')]);
    must(new URL(dp.url()).pathname === `/home/tasks/${devTask.id}` && await dp.getByRole('heading', { name: `Follow up with ${dev.name}` }).count() === 1,
      `Enter opens the follow-up for her (at ${dp.url()})`);
    await audit(dp, 'home-task');
    await dp.goto(`${BASE}/home`);
    await dp.getByRole('link', { name: "The leaders' dashboard" }).click();
    await dp.waitForLoadState('load');
    must(await dp.getByRole('heading', { name: 'Closed-loop dashboard' }).count() === 1, 'a leader’s home links to the dashboard, which opens');
    await dp.goto(`${BASE}/home`);
    await tabTo(dp, 'form[action="/signout"] button', 'Dana’s home: to Sign out');
    await Promise.all([dp.waitForEvent('load'), dp.keyboard.press('Enter')]);
    must(new URL(dp.url()).pathname === '/signin', `Sign out lands on /signin (at ${dp.url()})`);
    const res = await dp.goto(`${BASE}/home`);
    must(new URL(dp.url()).pathname === '/signin', `after signing out /home asks to sign in again (status ${res.status()}, at ${dp.url()})`);
  } finally {
    await dctx.close();
  }
});

await runSection('people: the admin page', async () => {
  const actx = await browser.newContext({ viewport: DESKTOP });
  actx.setDefaultTimeout(15000);
  const ap = await actx.newPage();
  watch(ap, () => 'Alex signed in');
  try {
    await signInAs(ap, 'alex@example.com', 'mouse');
    await ap.getByRole('link', { name: 'Directory, imports and API keys' }).click();
    await ap.waitForLoadState('load');
    must(await ap.getByRole('heading', { name: 'Directory and access' }).count() === 1, 'an admin’s home links to the admin page, which opens');
    soft((await ap.locator('main').innerText()).includes('Sam Okafor'), 'the directory lists Sam');
    await ap.getByLabel('Name', { exact: true }).fill(`browser ${run}`);
    await ap.getByRole('checkbox', { name: /read:/ }).check();
    await ap.getByRole('button', { name: 'Make the key' }).click();
    await ap.waitForLoadState('load');
    const secret = (await ap.locator('main').innerText()).match(/cxk_\S+/)?.[0];
    must(secret, 'making a key shows its secret once');
    const r = await api('GET', '/v1/tasks?status=open', undefined, { key: secret });
    must(r.status === 200, `the new read key lists tasks (got ${r.status})`);
    const w = await api('POST', `/v1/tasks/${devTask.id}/acknowledge`, undefined, { key: secret });
    must(w.status === 403, `the read key may not act on a task (got ${w.status})`);
    await shot(ap, 'admin');
    await noHScroll(ap, 'the admin page');
    await audit(ap, 'admin');
  } finally {
    await actx.close();
  }
});

await browser.close();

// ---------------------------------------------------------------- summary

const summary = {
  base_url: BASE, run, passed: passed.length, failed: failures.length, failures, audits,
  screenshots: fs.readdirSync(ART).filter(f => f.endsWith('.png')).sort(),
};
fs.writeFileSync(path.join(ART, 'summary.json'), JSON.stringify(summary, null, 2));
log('\n──────── summary');
log(`checks passed: ${passed.length}, failed: ${failures.length}`);
for (const a of audits) log(`  axe ${a.name.padEnd(18)} ${a.serious ? `✗ ${a.serious} serious/critical` : '✓ no serious/critical'}${a.other.length ? `; minor/moderate: ${a.other.join(', ')}` : ''}`);
log(`screenshots and axe JSON: ${ART}`);
if (failures.length) {
  log('\nFAILED:');
  for (const f of failures) log(`  ✗ [${f.section}] ${f.what}`);
  process.exit(1);
}
log('\nOK: the browser story passed.');
