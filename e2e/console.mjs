// The console in a real browser: Debian's Chromium, headless, driven by
// playwright-core. Started by `cargo test` (crates/vigia/tests/it/browser.rs),
// which runs three federated nodes and passes them in E2E_CONFIG.
//
// 1. An analyst at node A signs in with TOTP and composes a TLP:GREEN alert.
// 2. The duty officer at node B sees it arrive live, without reloading,
//    and acknowledges it.
// 3. The analyst at A sees B's acknowledgement.
// 4. A user at node C cannot open, by URL, an AMBER product sent to B.
// Then the main pages are checked, and photographed, in the four languages.
// Every page met on the way is checked against WCAG 2.2 A and AA with
// axe-core (contrast included), and the console is used with the keyboard
// alone: sign in, skip link, main menu, search, product.

import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import assert from "node:assert/strict";

// axe-core is run through the DevTools protocol, which the pages' CSP does
// not govern: no context bypasses the CSP, so a page that breaks it still
// shows as a script error below.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const cfg = JSON.parse(process.env.E2E_CONFIG);
const out = cfg.out_dir;
mkdirSync(out, { recursive: true });

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

const step = (now = Date.now()) => Math.floor(now / 1000 / 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// RFC 6238: HMAC-SHA1, 30-second steps, six digits.
function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step(now)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, "0");
}

// A code for a time step after the last one this user spent: the server
// refuses a step twice, and accepts the next step's code a step early.
async function freshCode(p) {
  const next = Math.max(step(), p.lastStep + 1);
  while (next > step() + 1) await sleep(500);
  p.lastStep = next;
  return totp(p.secret, next * 30_000);
}

function messages(lang) {
  const text = readFileSync(join(cfg.locales, `${lang}.txt`), "utf8");
  const m = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (line.trim() && !line.startsWith("#") && at > 0) m[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return m;
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

async function person(node) {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  // Failed loads are counted here, with their URL; pages a step opens on
  // purpose to see them refused are not.
  page.on("requestfinished", async (req) => {
    const r = await req.response();
    if (r && r.status() >= 400 && req.resourceType() !== "document") errors.push(`${r.status()} ${req.url()}`);
  });
  return { node, context, page, errors };
}

// WCAG 2.2 A and AA, checked by axe-core on the page as it is now. Every
// violation is kept, with the page and language, and the run fails at the
// end listing them all: rule, impact, element, help. Text whose contrast
// axe cannot work out counts too: contrast must be proven, not assumed.
const violations = new Map();
let audited = 0;
let axeVersion = "";
async function audit(page, lang, name) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  }), WCAG_TAGS);
  const unproven = result.incomplete.filter((v) => v.id.includes("contrast"))
    .map((v) => ({ ...v, id: `${v.id} (undetermined)` }));
  audited++;
  axeVersion = result.testEngine.version;
  // A page whose menu comes before its content begins with a link to it.
  const skip = await page.evaluate(() => {
    const main = document.querySelector("main[id]");
    const nav = document.querySelector("nav");
    if (!nav || !main || !(nav.compareDocumentPosition(main) & Node.DOCUMENT_POSITION_FOLLOWING)) return null;
    const first = document.querySelector("a[href], button, input:not([type=hidden]), select, textarea");
    return first.getAttribute("href") === `#${main.id}` ? null : first.outerHTML.slice(0, 160);
  });
  if (skip) {
    result.violations.push({ id: "skip-link", impact: "serious", help: "The first focusable element must be a link to the main content",
      helpUrl: "https://www.w3.org/WAI/WCAG22/Understanding/bypass-blocks", nodes: [{ target: [skip] }] });
  }
  for (const v of [...result.violations, ...unproven]) {
    for (const n of v.nodes) {
      const key = `${name}: ${v.id} (${v.impact}) at ${n.target.join(" ")}: ${v.help}`;
      const summary = n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, " ").trim()}]` : "";
      const seen = violations.get(key) ?? { langs: new Set(), detail: `${summary} ${v.helpUrl}` };
      seen.langs.add(lang);
      violations.set(key, seen);
    }
  }
}

// What has the keyboard focus, and whether it is shown: an outline or a
// box shadow while it matches :focus-visible, inside the viewport.
function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== "rgba(0, 0, 0, 0)";
    const shadow = s.boxShadow !== "none";
    const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    return {
      html: e.outerHTML.slice(0, 160),
      inMain: Boolean(e.closest("main")),
      shown: e.matches(":focus-visible") && (outline || shadow) && onScreen,
    };
  });
}

// Presses Tab until `selector` has the focus; every stop on the way must
// show its focus.
async function tabTo(page, selector, most = 40) {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    assert.ok(f.shown, `keyboard focus is not visible on ${f.html}`);
    if (await page.evaluate((s) => document.activeElement.matches(s), selector)) return f;
  }
  assert.fail(`${selector} is not reached with Tab on ${page.url()}`);
}

// One Tab, which must land on `selector`, visibly.
async function tabNext(page, selector) {
  await page.keyboard.press("Tab");
  const f = await focused(page);
  assert.ok(await page.evaluate((s) => document.activeElement.matches(s), selector),
    `after Tab the focus should be on ${selector}, it is on ${f.html}`);
  assert.ok(f.shown, `keyboard focus is not visible on ${f.html}`);
}

async function submitLogin(p, code) {
  await p.page.goto(`${p.node.url}/console/login`);
  await p.page.fill("#username", p.node.user);
  await p.page.fill("#password", p.node.password);
  if (code) await p.page.fill("#totp", code);
  await p.page.click('form[action="/console/login"] button[type=submit]');
}

// The first sign-in enrols an authenticator; returns its secret.
async function enrol(p) {
  await submitLogin(p);
  await p.page.waitForURL(/\/console\/enrol$/);
  await audit(p.page, "en", "enrol");
  p.secret = (await p.page.textContent("#totp-secret")).trim();
  p.lastStep = step();
  await p.page.fill("#code", totp(p.secret, p.lastStep * 30_000));
  await p.page.click('form[action="/console/enrol"] button[type=submit]');
  await p.page.waitForURL(/\/console\/$/);
  return p.secret;
}

async function signOut(p) {
  await p.page.click('form[action="/console/logout"] button');
  await p.page.waitForURL(/\/console\/login$/);
}

const shot = (p, name) => p.page.screenshot({ path: join(out, `${name}.png`), fullPage: true });

const title = `Ransomware campaign against ministries ${Date.now()}`;

// 1. Node A's analyst: enrol, sign out, sign in with password and TOTP.
const ana = await person(cfg.a);
await enrol(ana);
await signOut(ana);
// A code is good once: the enrolment spent this step's.
await submitLogin(ana, await freshCode(ana));
await ana.page.waitForURL(/\/console\/$/);

// B's duty officer keeps the dashboard open, and never reloads it.
const duty = await person(cfg.b);
await enrol(duty);
await duty.page.goto(`${cfg.b.url}/console/`);
await duty.page.waitForFunction(() => document.getElementById("live-status").textContent.length > 0);
await duty.page.evaluate(() => { window.notReloaded = true; });

await ana.page.goto(`${cfg.a.url}/console/compose`);
await ana.page.selectOption("#kind", "alert");
await ana.page.fill("#title", title);
await ana.page.fill("#description", "Encryption of file servers seen at two ministries.\n\nBlock the indicators and check backups.");
await ana.page.selectOption("#severity", "high");
await ana.page.check("#tlp-green");
await ana.page.click('button[value="preview"]');
await ana.page.waitForSelector("#recipients");
const preview = await ana.page.textContent("#recipients");
assert.match(preview, new RegExp(cfg.b.team_name), "the preview names node B's team");
await shot(ana, "compose-preview");
await audit(ana.page, "en", "compose with preview");
await ana.page.click('button[value="publish"]');
await ana.page.waitForURL(/\/console\/products\/report--/);
const productUrl = new URL(ana.page.url()).pathname;
await shot(ana, "product-sent");
await audit(ana.page, "en", "product, just sent");

// 2. It appears on B's dashboard by itself; B acknowledges it.
await duty.page.waitForSelector(`#live a:has-text("${title}")`, { timeout: 60_000 });
assert.equal(await duty.page.evaluate(() => window.notReloaded), true, "B's dashboard was not reloaded");
await shot(duty, "dashboard-live");
await audit(duty.page, "en", "dashboard, live");
await duty.page.click(`#live a:has-text("${title}")`);
await duty.page.waitForSelector(".banner.tlp-green");
assert.match(await duty.page.textContent(".banner"), /TLP:GREEN/);
assert.match(await duty.page.textContent("#signature"), /verified/);
await duty.page.click('button[value="acknowledged"]');
await duty.page.waitForFunction(() => /Acknowledged/.test(document.getElementById("own-state").textContent), null, { timeout: 60_000 });
await shot(duty, "product-acknowledged");
await audit(duty.page, "en", "product, acknowledged");

// 3. A sees B's acknowledgement.
let acknowledged = false;
for (let i = 0; i < 60 && !acknowledged; i++) {
  await ana.page.goto(`${cfg.a.url}${productUrl}`);
  acknowledged = await ana.page.evaluate((team) =>
    [...document.querySelectorAll('table[aria-labelledby="receipts"] tbody tr')]
      .some((tr) => tr.cells[0].textContent.includes(team) && tr.cells[3].textContent.trim() !== "—"),
    cfg.b.team_name);
  if (!acknowledged) await new Promise((r) => setTimeout(r, 500));
}
assert.ok(acknowledged, "A sees B's acknowledgement");
await shot(ana, "receipts");
await audit(ana.page, "en", "product with receipts");

// 4. C has no entitlement to the AMBER product sent to B: not by URL.
const carla = await person(cfg.c);
await enrol(carla);
const refused = await carla.page.goto(`${cfg.c.url}/console/products/${cfg.amber_id}`);
assert.equal(refused.status(), 404);
assert.ok(!(await carla.page.content()).includes(cfg.amber_title), "nothing of it is shown");
await audit(carla.page, "en", "error page (404)");
const seen = await duty.page.goto(`${cfg.b.url}/console/products/${cfg.amber_id}`);
assert.equal(seen.status(), 200, "B, its recipient, opens it");
await audit(duty.page, "en", "product (AMBER)");

// The same pages in each language: text from the message files, every
// form field labelled, no script errors; a screenshot of each.
const pages = [
  ["/console/", "dashboard"], ["/console/products", "inbox"], [productUrl, "product"],
  ["/console/compose", "compose"], ["/console/search?q=ransomware", "search"],
  ["/console/directory", "directory"], ["/console/census", "census"],
  ["/console/audit", "audit"], ["/console/admin", "admin"], ["/console/preferences", "preferences"],
  ["/console/network", "network"],
];
// Node A's administrator sees every page, admin ones included.
const adm = await person({ ...cfg.a, user: "admin", password: cfg.a.admin_password });
await enrol(adm);
for (const lang of ["en", "es", "pt", "fr"]) {
  const m = messages(lang);
  await adm.page.goto(`${cfg.a.url}/console/`);
  await adm.page.selectOption("#lang", lang);
  await adm.page.click('form[action="/console/language"] button');
  await adm.page.waitForURL(/\/console\/$/);
  for (const [path, name] of pages) {
    const response = await adm.page.goto(`${cfg.a.url}${path}`);
    assert.equal(response.status(), 200, `${lang} ${path}`);
    assert.equal(await adm.page.getAttribute("html", "lang"), lang);
    const nav = await adm.page.textContent("nav");
    assert.ok(nav.includes(m["nav.dashboard"]) && nav.includes(m["nav.directory"]), `${lang} ${path}: ${nav}`);
    const unlabelled = await adm.page.evaluate(() =>
      [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
        .filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label"))
        .map((e) => e.outerHTML));
    assert.deepEqual(unlabelled, [], `${lang} ${path}: fields without a label`);
    await shot(adm, `${lang}-${name}`);
    await audit(adm.page, lang, name);
  }
  // The sign-in page, before anyone signs in, in the browser's language.
  const guest = await browser.newContext({ locale: lang });
  const g = await guest.newPage();
  await g.goto(`${cfg.a.url}/console/login`);
  assert.equal(await g.getAttribute("html", "lang"), lang);
  assert.ok((await g.textContent("main")).includes(m["login.password"]));
  await g.screenshot({ path: join(out, `${lang}-login.png`) });
  await audit(g, lang, "sign-in");
  await guest.close();
}

// Keyboard only, in a new browser, as B's duty officer: sign in with Tab,
// typing and Enter; skip to the content; go through the main menu; follow
// it to search, search and open a product. Each stop shows its focus.
const kb = await person(cfg.b);
await kb.page.goto(`${cfg.b.url}/console/login`);
await tabNext(kb.page, 'a.skip[href="#content"]');
await tabTo(kb.page, "#username");
await kb.page.keyboard.type(cfg.b.user);
await tabNext(kb.page, "#password");
await kb.page.keyboard.type(cfg.b.password);
await tabNext(kb.page, "#totp");
await kb.page.keyboard.type(await freshCode(duty));
await tabNext(kb.page, 'form[action="/console/login"] button[type=submit]');
await kb.page.keyboard.press("Enter");
await kb.page.waitForURL(/\/console\/$/);
await tabNext(kb.page, 'a.skip[href="#content"]');
await kb.page.keyboard.press("Enter");
await kb.page.waitForURL(/\/console\/#content$/);
await kb.page.keyboard.press("Tab");
const afterSkip = await focused(kb.page);
assert.ok(afterSkip.inMain && afterSkip.shown, `after the skip link, Tab goes to the content: ${afterSkip.html}`);
await kb.page.reload();
const menu = await kb.page.$$eval("header nav a", (as) => as.map((a) => a.getAttribute("href")));
assert.ok(menu.includes("/console/search"), `the main menu: ${menu}`);
await tabNext(kb.page, "a.skip");
for (const href of menu) await tabNext(kb.page, `header nav a[href="${href}"]`);
await kb.page.reload();
await tabTo(kb.page, 'header nav a[href="/console/search"]');
await shot(kb, "keyboard-focus");
await kb.page.keyboard.press("Enter");
await kb.page.waitForURL(/\/console\/search$/);
await tabTo(kb.page, "#q");
await kb.page.keyboard.type("ransomware");
await kb.page.keyboard.press("Enter");
await kb.page.waitForURL(/\/console\/search\?q=ransomware$/);
await tabTo(kb.page, 'main a[href^="/console/products/"]');
await kb.page.keyboard.press("Enter");
await kb.page.waitForURL(/\/console\/products\/report--/);
assert.match(await kb.page.textContent(".banner"), /TLP:GREEN/);
await shot(kb, "keyboard-product");

const found = [...violations].map(([what, v]) => `- ${what} (${[...v.langs].join(", ")})${v.detail}`);
assert.ok(found.length === 0,
  `WCAG 2.2 AA (axe-core ${axeVersion}): ${found.length} violations in ${audited} page checks:\n${found.join("\n")}`);

for (const p of [ana, duty, carla, adm, kb]) {
  assert.deepEqual(p.errors, [], `no script errors for ${p.node.user}`);
}
await browser.close();
console.log(`e2e: 4 steps and ${pages.length + 1} pages in 4 languages passed, ${audited} WCAG 2.2 AA checks, keyboard only; screenshots in ${out}`);
