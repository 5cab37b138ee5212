// Start the built meedoen binary on a fresh SQLite database with the demo, on a free port.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start `bin serve --demo` on a temporary SQLite database. Returns { base, stop, logs }.
 * The server is stopped (SIGTERM) and its database removed by stop().
 */
export async function startServer(bin, { timeoutMs = 90_000 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "meedoen-browser-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs = [];
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" };
  for (const k of Object.keys(env)) {
    if (k === "DATABASE_URL" || k.startsWith("MEEDOEN_")) delete env[k];
  }
  const child = spawn(
    bin,
    [
      "serve",
      "--demo",
      "--bind",
      `127.0.0.1:${port}`,
      "--database-url",
      `sqlite://${join(dir, "meedoen.db")}`,
      "--public-url",
      base,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) logs.push(line);
    if (logs.length > 500) logs.splice(0, logs.length - 500);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );

  const started = Date.now();
  for (;;) {
    if (exited) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`meedoen exited (${JSON.stringify(exited)}) before it answered:\n${logs.join("\n")}`);
    }
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`meedoen did not answer on ${base}/health within ${timeoutMs} ms:\n${logs.join("\n")}`);
    }
    await sleep(100);
  }

  async function stop() {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
  return { base, stop, logs, startupMs: Date.now() - started };
}
