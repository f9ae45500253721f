// Two real server processes share one SQLite file and Redis (the Socket.IO message
// queue): a client connected to process 2 gets, live, the notice that another
// student's REST call on process 1 caused, over WebSocket only and over polling only.
// Needs REDIS_URL; skipped with a message when it is unset, except under CI=true.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";

import { join, login, noticeText, organiser, publish, rename, unique } from "./support/api.mjs";
import { open } from "./support/inbox.mjs";
import { World } from "./support/server.mjs";

const REDIS_URL = process.env.REDIS_URL || "";
const CI = process.env.CI === "true";
if (!REDIS_URL && CI) throw new Error("CI=true: the two-process tests need REDIS_URL and may not skip");
const skip = REDIS_URL ? false : "needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/13)";

describe("two server processes sharing Redis", () => {
  let world;
  let first;
  let second;
  let owner;
  const clients = [];

  before(async () => {
    if (skip) return;
    world = new World({ redisUrl: REDIS_URL }).prepare();
    [first, second] = await Promise.all([world.server(), world.server()]);
    owner = await organiser(first);
  });

  after(async () => {
    for (const client of clients) client.close();
    await world?.close();
  });

  for (const transport of ["websocket", "polling"]) {
    test(`${transport} only: a REST call on process 1 reaches a client on process 2`, { skip }, async () => {
      const student = await login(second);
      const activity = await publish(first, owner);
      await join(first, student, activity);
      const client = open(io, second, student, { transports: [transport] });
      const watcher = open(io, first, await login(first), { transports: [transport] });
      clients.push(client, watcher);
      assert.deepEqual(await client.inbox.next("notifications"), []);
      assert.deepEqual(await watcher.inbox.next("notifications"), []);

      const name = unique("改名");
      await rename(first, owner, activity, name);
      const notice = await client.inbox.next("notification");
      assert.deepEqual([notice.type, notice.act, notice.content], [1, activity.id, noticeText(name)]);

      // Marked read on process 2, gone from process 1's list.
      assert.deepEqual(await client.markRead([notice.id]), { read: 1 });
      const elsewhere = open(io, first, student, { transports: [transport] });
      clients.push(elsewhere);
      assert.deepEqual(await elsewhere.inbox.next("notifications"), []);
      assert.deepEqual(watcher.inbox.all("notification"), []);
    });
  }
});
