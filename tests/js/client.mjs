// How a client connects to ReedSailing's realtime notices (docs/realtime-client.md shows
// this file verbatim; tests/js runs it against real servers).
//
// `io` is the `io` function of socket.io-client 4.x on the web and in Node, or of the
// WeChat adapter in the mini-program (`const io = require("weapp.socket.io")`).
// `getToken` returns the current REST token; it is asked again before every reconnect.
export function connectNotices(io, origin, getToken, handlers, options = {}) {
  const { tokenInQuery = false, transports = ["websocket"] } = options;
  const socket = io(origin, {
    path: "/socket.io/",
    transports, // a mini-program has WebSocket only; ["polling"] is the other extreme
    withCredentials: false, // the token is the only credential: no cookies
    ...(tokenInQuery
      ? { query: { token: getToken() } } // for a client that cannot send `auth`
      : { auth: (send) => send({ token: getToken() }) }),
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
  });
  // The whole unread list, newest first: after every (re)connect and after sync().
  socket.on("notifications", (list) => handlers.onList(list));
  // One notice, the moment it is committed.
  socket.on("notification", (notice) => handlers.onNotice(notice));
  socket.on("connect_error", (error) => {
    // A network failure is retried by socket.io. A refusal by the server (no, forged or
    // expired token) carries `data` (socket.io-client 3.x and 4.x alike) and is final:
    // stop (3.x would otherwise wait forever), log in again (wx.login + POST
    // /api/userLogin/) and call connectNotices again.
    if (!socket.active || "data" in error) {
      socket.disconnect();
      handlers.onRefused(error.message);
    }
  });
  return {
    socket,
    // Resolves with the ack: {read: <how many were marked>} or {error: "..."}.
    markRead(ids, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("read: no ack")), timeoutMs);
        socket.emit("read", { ids }, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
      });
    },
    sync() {
      socket.emit("sync");
    },
    close() {
      socket.disconnect();
    },
  };
}
