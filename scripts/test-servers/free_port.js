// Prints a TCP port free on 127.0.0.1 at this moment (the OS picks it); scripts/test-servers.sh
// gives it to DynamoDB Local, and retries on another if someone takes it before the bind.
const server = require("net").createServer();
server.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
  server.close();
});
