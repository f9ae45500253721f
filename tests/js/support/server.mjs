// Real `python wsgi.py` processes for the JavaScript tests: a fresh SQLite file in a temp
// dir, migrated and seeded with manage.py, served on free loopback ports. Every process
// started here is killed when the test process exits, whatever happened.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const PYTHON = process.env.PYTHON || join(ROOT, ".venv", "bin", "python");

const running = new Set();
function killAll() {
  for (const child of running) child.kill("SIGKILL");
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * An AbortSignal that fires after `ms`. Not AbortSignal.timeout(): its timer keeps Node
 * alive until it fires, so every request would hold the test process open for seconds.
 */
export function timeoutSignal(ms) {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms).unref();
  return controller.signal;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** A database, a secret and settings that several server processes can share. */
export class World {
  constructor({ redisUrl } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "reedsailing-js-"));
    this.env = {
      ...process.env,
      DATABASE_URL: `sqlite:///${join(this.dir, "db.sqlite")}`,
      SECRET_KEY: randomBytes(24).toString("hex"),
      UPLOAD_FOLDER: join(this.dir, "uploads"),
      WECHAT_APPID: "", // development login: the code is the openid
      MAIL_SERVER: "", // verification mails are logged (see verifyEmail in api.mjs)
      LEGACY_WS_ENABLED: "false",
      RATELIMIT_ENABLED: "false",
      LOG_LEVEL: "WARNING",
      REDIS_URL: redisUrl || "",
      // Redis pub/sub ignores the database number: a channel of this run only.
      SOCKETIO_CHANNEL: `reedsailing-js-${randomBytes(8).toString("hex")}`,
    };
    this.servers = [];
  }

  /** `python manage.py db upgrade` and `seed`, as `make run` does. */
  prepare() {
    for (const args of [["db", "upgrade"], ["seed"]]) {
      const result = spawnSync(PYTHON, ["manage.py", ...args], {
        cwd: ROOT,
        env: { ...this.env, SOCKETIO_ASYNC_MODE: "threading" },
        encoding: "utf8",
        timeout: 60_000,
      });
      if (result.status !== 0) {
        throw new Error(`manage.py ${args.join(" ")} failed (${result.status}): ${result.stderr}${result.error ?? ""}`);
      }
    }
    return this;
  }

  async server() {
    const server = new ServerProcess(this.env, await freePort());
    this.servers.push(server);
    return server.start();
  }

  async close() {
    await Promise.all(this.servers.map((server) => server.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class ServerProcess {
  constructor(env, port) {
    this.env = { ...env, HOST: "127.0.0.1", PORT: String(port), SOCKETIO_ASYNC_MODE: "eventlet" };
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.log = "";
    this.child = null;
  }

  async start(timeoutMs = 30_000) {
    const child = spawn(PYTHON, ["wsgi.py"], { cwd: ROOT, env: this.env, stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    running.add(child);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text) => {
      this.log += text;
    });
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
    exited.then(() => running.delete(child));
    this.exited = exited;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${this.log.slice(-2000)}`);
      try {
        const response = await fetch(`${this.url}/api/health/`, { signal: timeoutSignal(1000) });
        if (response.status === 200) return this;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`server did not become healthy in time: ${this.log.slice(-2000)}`);
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    let timer;
    const grace = new Promise((resolveGrace) => {
      timer = setTimeout(() => resolveGrace(false), 10_000);
    });
    const stopped = await Promise.race([this.exited.then(() => true), grace]);
    clearTimeout(timer);
    if (!stopped) {
      child.kill("SIGKILL");
      await this.exited;
    }
  }

  /** Stop and start again on the same port (what a deployment's restart does). */
  async restart() {
    await this.stop();
    return this.start();
  }

  /** Wait until the server's stderr matches `pattern`; returns the match. */
  async waitForLog(pattern, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.log.match(pattern);
      if (match) return match;
      await sleep(50);
    }
    throw new Error(`no log line matching ${pattern}: ${this.log.slice(-2000)}`);
  }
}
