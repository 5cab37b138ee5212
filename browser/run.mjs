#!/usr/bin/env node
// Runs the browser journeys in browser/journeys/*.mjs, each against its own fresh server
// (the built binary with --demo on a temporary SQLite database and a free port), in
// Debian's Chromium driven by playwright-core (no browser download).
//
//   node browser/run.mjs --bin target/debug/meedoen [--only <part of file name>]
//
// A journey file exports `title` and a default async function receiving `t`:
//   t.visitor(label)  a new keyboard-only visitor (own browser context), see lib/journey.mjs
//   t.base            the server's address
// See docs/testing.md.
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { axeScan } from "./lib/axe.mjs";
import { Visitor } from "./lib/journey.mjs";
import { startServer } from "./lib/server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");

function parseArgs(argv) {
  const args = { bin: join(root, "target/debug/meedoen"), only: [], timeoutS: 240 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--bin") args.bin = resolve(argv[++i]);
    else if (a === "--only") args.only.push(argv[++i]);
    else if (a === "--timeout") args.timeoutS = Number(argv[++i]);
    else if (a === "-h" || a === "--help") {
      console.log("usage: node browser/run.mjs [--bin target/debug/meedoen] [--only name] [--timeout seconds]");
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const executablePath = process.env.MEEDOEN_CHROMIUM || "/usr/bin/chromium";
const artifacts = join(here, "artifacts");

const files = readdirSync(join(here, "journeys"))
  .filter((f) => f.endsWith(".mjs"))
  .filter((f) => args.only.length === 0 || args.only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  console.error("no journeys found");
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
console.log(`browser: ${executablePath} ${browser.version()}; server: ${args.bin}`);

// The scanner must find a known violation, or a broken injection would pass everything.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent('<html><head><title>x</title></head><body><main><img src="data:,"><a href="#"></a></main></body></html>');
  const ids = (await axeScan(page)).map((v) => v.id);
  await context.close();
  if (!ids.includes("image-alt") || !ids.includes("html-has-lang")) {
    console.error(`axe self-check failed: expected image-alt and html-has-lang, got ${JSON.stringify(ids)}`);
    process.exit(1);
  }
}

let passed = 0;
let failed = 0;
const started = Date.now();

for (const file of files) {
  const mod = await import(pathToFileURL(join(here, "journeys", file)).href);
  const title = mod.title || file;
  const t0 = Date.now();
  const record = { problems: [], pages: [] };
  const visitors = [];
  let server = null;
  let error = null;
  try {
    server = await startServer(args.bin);
    const t = {
      base: server.base,
      async visitor(label = "visitor") {
        const context = await browser.newContext({
          locale: "nl-NL",
          viewport: { width: 1280, height: 900 },
          reducedMotion: "reduce",
        });
        const page = await context.newPage();
        const v = new Visitor(context, page, server.base, {
          problems: record.problems,
          pages: record.pages,
          label,
        });
        visitors.push(v);
        return v;
      },
    };
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`journey took longer than ${args.timeoutS} s`)), args.timeoutS * 1000);
    });
    await Promise.race([mod.default(t), timeout]).finally(() => clearTimeout(timer));
  } catch (e) {
    error = e;
  }
  if (error) {
    mkdirSync(artifacts, { recursive: true });
    for (const [i, v] of visitors.entries()) {
      const shot = join(artifacts, `${file.replace(/\.mjs$/, "")}-${i}-${v.record.label}.png`);
      await v.page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    }
  }
  for (const v of visitors) await v.context.close().catch(() => {});
  if (server) await server.stop().catch(() => {});
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const uniquePages = new Set(record.pages).size;
  if (!error && record.problems.length === 0) {
    passed += 1;
    console.log(`ok   ${file}: ${title} (${record.pages.length} pages scanned, ${uniquePages} distinct, ${secs} s)`);
  } else {
    failed += 1;
    console.log(`FAIL ${file}: ${title} (${secs} s)`);
    if (error) console.log(`  error: ${error.stack || error}`);
    for (const p of record.problems) console.log(`  ${p.replace(/\n/g, "\n  ")}`);
    if (server && error) console.log(`  server log (last lines):\n    ${server.logs.slice(-15).join("\n    ")}`);
    if (error) console.log(`  screenshots in ${artifacts}`);
  }
}

await browser.close();
console.log(`\nbrowser journeys finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
