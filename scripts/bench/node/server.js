// The reference: a bare Node socket.io server. Every client joins room "bench"; a
// "bench_trigger" {round} from the controller is broadcast to the room as "bench".
//   node server.js PORT
"use strict";
const { Server } = require("socket.io");

const io = new Server(Number(process.argv[2]), { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.join("bench");
  socket.on("bench_trigger", (data) => io.to("bench").emit("bench", data));
});
process.on("SIGTERM", () => io.close(() => process.exit(0)));
console.log("listening");
