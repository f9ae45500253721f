// What one client received through connectNotices, with bounded waits.
import { connectNotices } from "../client.mjs";

export const WAIT_MS = 10_000;

export class Inbox {
  constructor() {
    this.events = [];
    this.waiters = [];
  }

  add(name, payload) {
    this.events.push({ name, payload });
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Events named `name` (and matching `predicate`) received so far. */
  all(name, predicate = () => true) {
    return this.events.filter((event) => event.name === name && predicate(event.payload)).map((e) => e.payload);
  }

  /** Wait until the `count`-th matching event arrived; resolves with its payload. */
  next(name, { predicate = () => true, count = 1, timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.all(name, predicate);
        if (found.length >= count) {
          done();
          resolve(found[count - 1]);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${count}. "${name}" within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
      };
      if (!check()) this.waiters.push(check);
    });
  }
}

/** connectNotices with every callback recorded in an Inbox. */
export function open(io, server, student, options) {
  const inbox = new Inbox();
  const handlers = {
    onList: (list) => inbox.add("notifications", list),
    onNotice: (notice) => inbox.add("notification", notice),
    onRefused: (message) => inbox.add("refused", message),
  };
  const getToken = () => {
    inbox.tokensAsked = (inbox.tokensAsked ?? 0) + 1;
    return typeof student === "string" ? student : student?.token;
  };
  const client = connectNotices(io, server.url, getToken, handlers, options);
  client.socket.on("connect", () => inbox.add("connect", client.socket.id));
  client.socket.on("disconnect", (reason) => inbox.add("disconnect", reason));
  client.inbox = inbox;
  return client;
}
