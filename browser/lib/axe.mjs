// axe-core, injected into the page through the DevTools protocol (page.evaluate is not
// subject to the page's Content-Security-Policy, so the CSP stays as strict as in production).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** The WCAG 2.1 A and AA rules. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Run axe on the current document; returns its violations. */
export async function axeScan(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
      count: v.nodes.length,
    }));
  }, AXE_TAGS);
}

export function formatViolations(url, violations) {
  return violations
    .map(
      (v) =>
        `axe ${v.id} (${v.impact}) on ${url}: ${v.help} [${v.count} element(s)]\n` +
        v.nodes.map((n) => `      ${n.target}\n        ${(n.summary || "").replace(/\n/g, "\n        ")}`).join("\n"),
    )
    .join("\n");
}
