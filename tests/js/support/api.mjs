// Students doing what the mini-program does over REST: log in, verify a university
// address, publish, join and edit activities. Every call is a real HTTP request.

import { timeoutSignal } from "./server.mjs";

let counter = 0;

/** A name no other test of this run uses. */
export function unique(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

async function call(server, method, path, { token, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: timeoutSignal(10_000),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return data;
}

/** `POST /api/userLogin/` in development login mode: the code is the openid. */
export async function login(server, code = unique("student")) {
  const { id, token } = await call(server, "POST", "/api/userLogin/", { body: { code } });
  return { id, token, code };
}

/**
 * Bind a university address: `POST /api/sendVerify/`, then the code from the mail, which
 * a server without MAIL_SERVER writes to its log, then `POST /api/verify/`.
 */
export async function verifyEmail(server, student) {
  const email = `${student.code}@buaa.edu.cn`.toLowerCase();
  await call(server, "POST", "/api/sendVerify/", { token: student.token, body: { email } });
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const [, code] = await server.waitForLog(new RegExp(`mail to ${escaped} not sent: .*?您的验证码是 (\\S{6})，`));
  await call(server, "POST", "/api/verify/", { token: student.token, body: { email, verifyCode: code } });
  return { ...student, email };
}

/** A verified student who publishes activities (block 5, 个人) at an address of their own. */
export async function organiser(server) {
  const student = await verifyEmail(server, await login(server, unique("organiser")));
  const address = await call(server, "POST", "/api/activities/addresses/", {
    token: student.token,
    body: { name: unique("新主楼"), longitude: "116.347256", latitude: "39.981891" },
  });
  return { ...student, address: address.id };
}

function localTime(daysAhead, hours = 0) {
  // Naive Beijing time, as the mini-program sends it.
  const moment = new Date(Date.now() + (daysAhead * 24 + hours + 8) * 3600_000);
  return moment.toISOString().slice(0, 16);
}

function activityBody(owner, name) {
  return {
    name,
    begin_time: localTime(3),
    end_time: localTime(3, 2),
    contain: 30,
    description: "一起来打羽毛球，新手友好",
    owner: owner.id,
    location: owner.address,
    block: 5,
  };
}

export async function publish(server, owner, name = unique("羽毛球")) {
  const activity = await call(server, "POST", "/api/activities/", { token: owner.token, body: activityBody(owner, name) });
  return { id: activity.id, name };
}

export async function join(server, student, activity) {
  return call(server, "POST", "/api/activities/participants/", {
    token: student.token,
    body: { person: student.id, act: activity.id },
  });
}

/** The owner renames the activity: every participant gets notice 1. Returns the answer. */
export async function rename(server, owner, activity, name) {
  return call(server, "PUT", `/api/activities/${activity.id}/`, { token: owner.token, body: activityBody(owner, name) });
}

/** `GET /api/notifications/?unread=1`: what REST says is unread. */
export async function unreadOverRest(server, student) {
  return call(server, "GET", "/api/notifications/?unread=1", { token: student.token });
}

export function noticeText(name) {
  return `您参与的活动'${name}'内容发生了改变，请及时查看\n`;
}
