// A mini-program page keeping its notice list live (docs/realtime-client.md).
import io from "weapp.socket.io";

import { connectNotices } from "./client.mjs";

export function startNotices(page, origin = "https://www.reedsailing.xyz") {
  const notices = connectNotices(io, origin, () => wx.getStorageSync("token"), {
    onList: (list) => page.setData({ notices: list }),
    onNotice: (notice) => page.setData({ notices: [notice, ...page.data.notices] }),
    onRefused: () => wx.reLaunch({ url: "/pages/login/login" }),
  });
  page.readAll = () => notices.markRead(page.data.notices.map((notice) => notice.id));
  return notices; // notices.close() in the page's onUnload
}
