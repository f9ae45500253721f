// A fake of WeChat's wx.connectSocket (the one API the mini-program adapter uses), over
// the `ws` package, with the mini-program's rules: ws:// or wss:// only, no cookies.
import assert from "node:assert/strict";
import WebSocket from "ws";

export const opened = [];
/** Errors thrown by the adapter inside wx callbacks (a mini-program reports them to App.onError). */
export const callbackErrors = [];

function guarded(callback) {
  return (...args) => {
    try {
      callback(...args);
    } catch (error) {
      callbackErrors.push(error);
    }
  };
}

export const fakeWx = {
  connectSocket({ url, header, protocols }) {
    if (!/^wss?:\/\//.test(url)) throw new Error(`wx.connectSocket: not a ws(s) URL: ${url}`);
    assert.equal(Object.keys(header || {}).some((name) => name.toLowerCase() === "cookie"), false);
    opened.push(url);
    const socket = new WebSocket(url, Array.isArray(protocols) ? protocols : [], { headers: header || {} });
    return {
      onOpen: (callback) => socket.on("open", guarded(() => callback({ header: {} }))),
      onClose: (callback) =>
        socket.on("close", guarded((code, reason) => callback({ code, reason: reason.toString() }))),
      onError: (callback) => socket.on("error", guarded((error) => callback({ errMsg: error.message }))),
      onMessage: (callback) =>
        socket.on(
          "message",
          guarded((data, isBinary) => callback({ data: isBinary ? new Uint8Array(data).buffer : data.toString() })),
        ),
      send({ data, success, fail }) {
        socket.send(data, (error) => (error ? fail?.({ errMsg: error.message }) : success?.({ errMsg: "sendSocketMessage:ok" })));
      },
      close({ code, reason, success } = {}) {
        socket.close(code ?? 1000, reason);
        success?.({ errMsg: "closeSocket:ok" });
      },
    };
  },
};

/** What the adapter needs from a mini-program's global scope. */
export function installFakeWx() {
  // The mini-program's logic layer has a global `window`, which the adapter's module
  // wrapper reads at load time (its maintainers: it runs in a mini-program, not in Node).
  globalThis.window ??= globalThis;
  globalThis.wx = fakeWx;
}
