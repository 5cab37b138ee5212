// Not a journey but a sweep: every page reachable by links, for five kinds of visitor,
// opened and scanned with axe-core, so that pages no journey visits yet are checked too.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "axe-core scan of every page reachable by links, per kind of visitor";

const SKIP = [/^\/assets\//, /^\/taal\//, /^\/api\//, /^\/uitloggen/, /\.(pdf|json|css|csv|svg|png|pb)$/, /\/bestanden\//, /^\/metrics/, /^\/health/];
const PER_SHAPE = 2;
const LIMIT = 60;

function shape(path) {
  return path.split("?")[0].replace(/\/\d+(?=\/|$)/g, "/N");
}

async function sweep(v, starts) {
  const queue = [...starts];
  const seen = new Set();
  const shapes = new Map();
  let visited = 0;
  while (queue.length && visited < LIMIT) {
    const path = queue.shift();
    if (seen.has(path) || SKIP.some((re) => re.test(path.split("?")[0]))) continue;
    seen.add(path);
    const s = shape(path);
    if ((shapes.get(s) || 0) >= PER_SHAPE) continue;
    shapes.set(s, (shapes.get(s) || 0) + 1);
    const resp = await v.open(path);
    visited += 1;
    if (resp && resp.status() >= 400) v.problem(`broken link: ${path} answers ${resp.status()}`);
    const links = await v.page.evaluate(() =>
      [...document.querySelectorAll("a[href]")]
        .map((a) => a.getAttribute("href"))
        .filter((h) => h.startsWith("/") && !h.startsWith("//"))
        .map((h) => h.split("#")[0]),
    );
    for (const l of links) if (!seen.has(l)) queue.push(l);
  }
  return visited;
}

export default async function (t) {
  const visitors = [
    [null, ["/", "/haarlem", "/haarlem/inloggen", "/inloggen", "/over/toegankelijkheid"]],
    ["inwoner@haarlem.demo", ["/haarlem", "/account", "/haarlem/mijn-reacties"]],
    ["procesbegeleider@haarlem.demo", ["/haarlem/beheer/trajecten"]],
    ["beheerder@haarlem.demo", ["/haarlem/beheer"]],
    ["platform@meedoen.demo", ["/platform"]],
  ];
  for (const [email, starts] of visitors) {
    const v = await t.visitor(email || "anonymous");
    if (email) await loginWithPassword(v, email);
    const n = await sweep(v, starts);
    if (n < starts.length) throw new Error(`sweep as ${email} visited only ${n} pages`);
  }
}
