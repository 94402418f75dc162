// A minimal HTTP service for proving the cluster: it answers with its color, so a client can
// count how requests were split. It drains on SIGTERM so a rolling update loses no request.
"use strict";
const http = require("http");
const color = process.env.COLOR || "unknown";
const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  const body = req.url === "/healthz" ? JSON.stringify({ status: "ok", color }) : color + "\n";
  res.writeHead(200, { "content-type": req.url === "/healthz" ? "application/json" : "text/plain", "x-color": color });
  res.end(body);
});
server.listen(port, () => console.log(`${color} listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
