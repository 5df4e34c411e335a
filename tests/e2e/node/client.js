// A mini-program-like client with the official socket.io-client (websocket transport only),
// driven by tests/e2e/test_realtime.py: it prints one JSON line per step and waits for a
// line on stdin where the test has something to do (a push, changes made while away).
//   node client.js URL TOKEN CASE_ID
"use strict";
const readline = require("readline");
const { io } = require("socket.io-client");

const [url, token, caseId] = process.argv.slice(2);
const say = (step, data) => process.stdout.write(JSON.stringify({ step, data }) + "\n");
const stdin = readline.createInterface({ input: process.stdin });
const pending = [];
const waiting = [];
stdin.on("line", (line) => (waiting.length ? waiting.shift()(line) : pending.push(line)));
const nextLine = () => new Promise((resolve) => (pending.length ? resolve(pending.shift()) : waiting.push(resolve)));

function connect(auth) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], auth, reconnection: false, forceNew: true });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

async function main() {
  try {
    await connect({ token: "forged-token-that-was-never-issued" });
    say("unexpectedly_connected");
  } catch (err) {
    say("refused", { message: err.message, data: err.data });
  }

  const socket = await connect({ token });
  say("connected", { id: socket.id });
  const pushed = new Promise((resolve) => socket.once("case", resolve));
  say("subscribed", await socket.timeout(10000).emitWithAck("subscribe", { case_id: Number(caseId) }));
  const push = await pushed;
  say("case", push);

  socket.disconnect(); // the app went to the background
  say("disconnected");
  await nextLine(); // the test changes the case meanwhile

  const again = await connect({ token });
  const entries = [];
  again.on("case_log", (entry) => entries.push(entry));
  const answer = await again.timeout(10000).emitWithAck("resync", { [caseId]: push.seq });
  say("resynced", { answer, entries });
  again.disconnect();
  stdin.close();
}

main().catch((err) => {
  say("error", { message: String(err && err.message), data: err && err.data });
  process.exit(1);
});
