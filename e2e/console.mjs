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

import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

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

// RFC 6238: HMAC-SHA1, 30-second steps, six digits.
function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, "0");
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
  const secret = (await p.page.textContent("#totp-secret")).trim();
  await p.page.fill("#code", totp(secret));
  await p.page.click('form[action="/console/enrol"] button[type=submit]');
  await p.page.waitForURL(/\/console\/$/);
  return secret;
}

async function signOut(p) {
  await p.page.click('form[action="/console/logout"] button');
  await p.page.waitForURL(/\/console\/login$/);
}

const shot = (p, name) => p.page.screenshot({ path: join(out, `${name}.png`), fullPage: true });

const title = `Ransomware campaign against ministries ${Date.now()}`;

// 1. Node A's analyst: enrol, sign out, sign in with password and TOTP.
const ana = await person(cfg.a);
const anaSecret = await enrol(ana);
await signOut(ana);
await submitLogin(ana, totp(anaSecret));
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
await ana.page.click('button[value="publish"]');
await ana.page.waitForURL(/\/console\/products\/report--/);
const productUrl = new URL(ana.page.url()).pathname;
await shot(ana, "product-sent");

// 2. It appears on B's dashboard by itself; B acknowledges it.
await duty.page.waitForSelector(`#live a:has-text("${title}")`, { timeout: 60_000 });
assert.equal(await duty.page.evaluate(() => window.notReloaded), true, "B's dashboard was not reloaded");
await shot(duty, "dashboard-live");
await duty.page.click(`#live a:has-text("${title}")`);
await duty.page.waitForSelector(".banner.tlp-green");
assert.match(await duty.page.textContent(".banner"), /TLP:GREEN/);
assert.match(await duty.page.textContent("#signature"), /verified/);
await duty.page.click('button[value="acknowledged"]');
await duty.page.waitForFunction(() => /Acknowledged/.test(document.getElementById("own-state").textContent));
await shot(duty, "product-acknowledged");

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

// 4. C has no entitlement to the AMBER product sent to B: not by URL.
const carla = await person(cfg.c);
await enrol(carla);
const refused = await carla.page.goto(`${cfg.c.url}/console/products/${cfg.amber_id}`);
assert.equal(refused.status(), 404);
assert.ok(!(await carla.page.content()).includes(cfg.amber_title), "nothing of it is shown");
const seen = await duty.page.goto(`${cfg.b.url}/console/products/${cfg.amber_id}`);
assert.equal(seen.status(), 200, "B, its recipient, opens it");

// The same pages in each language: text from the message files, every
// form field labelled, no script errors; a screenshot of each.
const pages = [
  ["/console/", "dashboard"], ["/console/products", "inbox"], [productUrl, "product"],
  ["/console/compose", "compose"], ["/console/search?q=ransomware", "search"],
  ["/console/directory", "directory"], ["/console/census", "census"],
  ["/console/audit", "audit"], ["/console/admin", "admin"], ["/console/preferences", "preferences"],
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
  }
  // The sign-in page, before anyone signs in, in the browser's language.
  const guest = await browser.newContext({ locale: lang });
  const g = await guest.newPage();
  await g.goto(`${cfg.a.url}/console/login`);
  assert.equal(await g.getAttribute("html", "lang"), lang);
  assert.ok((await g.textContent("main")).includes(m["login.password"]));
  await g.screenshot({ path: join(out, `${lang}-login.png`) });
  await guest.close();
}

for (const p of [ana, duty, carla, adm]) {
  assert.deepEqual(p.errors, [], `no script errors for ${p.node.user}`);
}
await browser.close();
console.log(`e2e: 4 steps and ${pages.length + 1} pages in 4 languages passed; screenshots in ${out}`);
