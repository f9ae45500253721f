// socket.io-client 4.x against one real `python wsgi.py` (eventlet, SQLite), for each
// transport a client may be limited to: WebSocket only (the mini-program) and
// long-polling only (the other extreme). The notices are caused by another student's
// REST call: the organiser edits an activity, its participants get notice 1.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";

import { join, login, noticeText, organiser, publish, rename, unique, unreadOverRest } from "./support/api.mjs";
import { open } from "./support/inbox.mjs";
import { World } from "./support/server.mjs";

const world = new World();
let server;
let owner;
const clients = [];

before(async () => {
  world.prepare();
  server = await world.server();
  owner = await organiser(server);
});

after(async () => {
  for (const client of clients) client.close();
  await world.close();
});

function connect(student, options) {
  const client = open(io, server, student, options);
  clients.push(client);
  return client;
}

/** A student who joined a fresh activity of the organiser, and that activity. */
async function participant() {
  const student = await login(server);
  const activity = await publish(server, owner);
  await join(server, student, activity);
  return { student, activity };
}

/** The organiser renames the activity; resolves with the new name. */
async function edit(activity) {
  const name = unique("新名字");
  const answer = await rename(server, owner, activity, name);
  assert.ok(answer.__receivers__.length > 0);
  return name;
}

for (const transport of ["websocket", "polling"]) {
  const transports = [transport];

  describe(`${transport} only`, () => {
    test("connects with auth.token and gets its (empty) unread list", async () => {
      const student = await login(server);
      const client = connect(student, { transports });
      assert.deepEqual(await client.inbox.next("notifications"), []);
      // The server emits the list inside its connect handler, before it confirms the
      // connection: socket.io-client 4.x holds it back and delivers it just BEFORE
      // `connect` (3.x, in the adapter, just after; docs/realtime-client.md).
      assert.deepEqual(client.inbox.events.map((event) => event.name), ["notifications", "connect"]);
      assert.equal(client.socket.connected, true);
      assert.equal(client.socket.io.engine.transport.name, transport);
      client.close();
    });

    test("the handshake sets no cookie: the token is the only credential", async () => {
      const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /^0\{"sid":/);
      assert.equal(response.headers.get("set-cookie"), null);
    });

    test("connects with ?token= and gets its unread list", async () => {
      const { student, activity } = await participant();
      const name = await edit(activity);
      const client = connect(student, { transports, tokenInQuery: true });
      const list = await client.inbox.next("notifications");
      assert.deepEqual(
        list.map((notice) => [notice.type, notice.act, notice.content]),
        [[1, activity.id, noticeText(name)]],
      );
      assert.equal(client.socket.io.engine.transport.name, transport);
      client.close();
    });

    test("is refused without a token, with a forged one and with ?token=forged; no retry", async () => {
      const cases = [
        [{}, "缺少token。"],
        [{ auth: {} }, "缺少token。"],
        [{ auth: { token: "forged" } }, "非法token"],
        [{ query: { token: "forged" } }, "非法token"],
      ];
      for (const [options, message] of cases) {
        const socket = io(server.url, { transports, reconnectionDelay: 100, ...options });
        const error = await new Promise((resolve) => socket.once("connect_error", resolve));
        assert.equal(error.message, message);
        assert.equal(socket.active, false, "a refused socket must not reconnect by itself");
        assert.equal(socket.connected, false);
        socket.disconnect();
      }
      const refused = connect("forged", { transports });
      assert.equal(await refused.inbox.next("refused"), "非法token");
      refused.close();
    });

    test("the unread list on connect: newest first, as REST lists it", async () => {
      const { student, activity } = await participant();
      const first = await edit(activity);
      const second = await edit(activity);
      const client = connect(student, { transports });
      const list = await client.inbox.next("notifications");
      assert.deepEqual(
        list.map((notice) => notice.content),
        [noticeText(second), noticeText(first)],
      );
      for (const notice of list) {
        assert.deepEqual(Object.keys(notice).sort(), ["act", "content", "id", "org", "time", "type"]);
        assert.match(notice.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      }
      const rest = await unreadOverRest(server, student);
      assert.deepEqual(list.map((n) => n.id), rest.map((n) => n.id));
      client.close();
    });

    test("a live notice caused by another student's REST call; a bystander gets nothing", async () => {
      const { student, activity } = await participant();
      const bystander = await login(server);
      const client = connect(student, { transports });
      const watcher = connect(bystander, { transports });
      assert.deepEqual(await client.inbox.next("notifications"), []);
      assert.deepEqual(await watcher.inbox.next("notifications"), []);
      const name = await edit(activity);
      const notice = await client.inbox.next("notification");
      assert.equal(notice.type, 1);
      assert.equal(notice.act, activity.id);
      assert.equal(notice.org, null);
      assert.equal(notice.content, noticeText(name));
      assert.deepEqual(watcher.inbox.all("notification"), []);
      client.close();
      watcher.close();
    });

    test("read is acknowledged, is idempotent, ignores other students' ids and rejects bad payloads", async () => {
      const { student, activity } = await participant();
      const other = await participant();
      await edit(activity);
      const otherName = await edit(other.activity);
      const client = connect(student, { transports });
      const [notice] = await client.inbox.next("notifications");
      const [othersNotice] = await unreadOverRest(server, other.student);
      assert.deepEqual(await client.markRead([notice.id, othersNotice.id]), { read: 1 });
      assert.deepEqual(await client.markRead([notice.id]), { read: 0 });
      assert.deepEqual(await client.markRead([]), { read: 0 });
      const bad = await client.markRead(["1"]);
      assert.equal(typeof bad.error, "string");
      assert.deepEqual(await unreadOverRest(server, student), []);
      assert.deepEqual(
        (await unreadOverRest(server, other.student)).map((n) => n.content),
        [noticeText(otherName)],
      );
      client.close();
    });

    test("sync re-sends the unread list without what was read", async () => {
      const { student, activity } = await participant();
      const first = await edit(activity);
      const client = connect(student, { transports });
      assert.equal((await client.inbox.next("notifications")).length, 1);
      const second = await edit(activity);
      const live = await client.inbox.next("notification");
      assert.equal(live.content, noticeText(second));
      client.sync();
      const synced = await client.inbox.next("notifications", { count: 2 });
      assert.deepEqual(synced.map((n) => n.content), [noticeText(second), noticeText(first)]);
      assert.deepEqual(await client.markRead([live.id]), { read: 1 });
      client.sync();
      const afterRead = await client.inbox.next("notifications", { count: 3 });
      assert.deepEqual(afterRead.map((n) => n.content), [noticeText(first)]);
      client.close();
    });
  });
}

describe("after a server restart", () => {
  for (const transport of ["websocket", "polling"]) {
    test(`${transport} only: the client reconnects by itself, unread list intact`, async () => {
      const { student, activity } = await participant();
      const kept = await edit(activity);
      const read = await edit(activity);
      const client = connect(student, { transports: [transport] });
      const list = await client.inbox.next("notifications");
      assert.deepEqual(list.map((n) => n.content), [noticeText(read), noticeText(kept)]);
      assert.deepEqual(await client.markRead([list[0].id]), { read: 1 });

      await server.restart();
      await client.inbox.next("disconnect");
      const again = await client.inbox.next("notifications", { count: 2, timeoutMs: 30_000 });
      assert.deepEqual(again.map((n) => n.content), [noticeText(kept)]);
      assert.equal(client.inbox.all("connect").length, 2);
      // The token is asked for again on reconnect (a refreshed one would be used).
      assert.equal(client.inbox.tokensAsked, 2);
      assert.equal(client.socket.io.engine.transport.name, transport);

      // Live pushes reach the reconnected socket.
      const later = await edit(activity);
      assert.equal((await client.inbox.next("notification")).content, noticeText(later));
      client.close();
    });
  }
});
