// The load generator: N official socket.io-client sockets (websocket only) plus a controller.
// It connects the controller ("warm"), waits for a line on stdin, connects the N sockets
// ("connected"), waits for another line (the harness samples the server's memory before and
// after), then runs ROUNDS broadcasts: the controller emits "bench_trigger" {round} and
// notes the time; each socket notes when its "case"/"bench" event of that round arrives.
// Latency = arrival - trigger, on this process's clock. Prints one JSON line of results.
//   node load.js URL N ROUNDS TOKEN(or "-")
"use strict";
const readline = require("readline");
const { performance } = require("perf_hooks");
const { io } = require("socket.io-client");

const [url, nText, roundsText, token] = process.argv.slice(2);
const N = Number(nText);
const ROUNDS = Number(roundsText);
const BATCH = 100;
const ROUND_TIMEOUT_MS = 5000;
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const auth = token === "-" ? {} : { token };

let round = -1;
let triggeredAt = 0;
let received = 0;
let onRoundDone = null;
const latencies = [];

function open() {
  return new Promise((resolve) => {
    const socket = io(url, { transports: ["websocket"], auth, reconnection: false, forceNew: true, timeout: 60000 });
    const heard = (data) => {
      if (data && data.round === round) {
        latencies.push(performance.now() - triggeredAt);
        received += 1;
        if (received === N && onRoundDone) onRoundDone();
      }
    };
    socket.on("bench", heard);
    socket.on("case", heard);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", () => resolve(null));
  });
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  const early = [];
  const waiting = [];
  lines.on("line", (line) => (waiting.length ? waiting.shift()(line) : early.push(line)));
  const nextLine = () => new Promise((resolve) => (early.length ? resolve(early.shift()) : waiting.push(resolve)));
  // The controller first, so the harness measures memory from a server already warmed up.
  const controller = await open(); // a client of its own, like the relay's trigger: not counted
  controller.off("bench");
  controller.off("case");
  say({ step: "warm" });
  await nextLine();
  const started = performance.now();
  const sockets = [];
  for (let i = 0; i < N; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, N - i) }, open));
    sockets.push(...batch);
  }
  const connected = sockets.filter((s) => s && s.connected).length;
  say({ step: "connected", connected, seconds: (performance.now() - started) / 1000 });
  await nextLine();

  const perRound = [];
  for (round = 0; round < ROUNDS; round += 1) {
    received = 0;
    const done = new Promise((resolve) => {
      onRoundDone = resolve;
      setTimeout(resolve, ROUND_TIMEOUT_MS);
    });
    triggeredAt = performance.now();
    controller.emit("bench_trigger", { round });
    await done;
    perRound.push(received);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let stragglers of this round land
  }
  latencies.sort((a, b) => a - b);
  const pick = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
  say({ step: "results", connected, rounds: ROUNDS, delivered: latencies.length, expected: N * ROUNDS,
        p50: pick(0.5), p99: pick(0.99), max: latencies.length ? latencies[latencies.length - 1] : null, perRound });
  for (const socket of sockets) if (socket) socket.close();
  controller.close();
  setTimeout(() => process.exit(0), 500);
}

main().catch((err) => {
  say({ step: "error", message: String(err && err.message) });
  process.exit(1);
});
