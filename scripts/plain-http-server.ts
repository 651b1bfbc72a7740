// The baseline for the wasi:http benchmark: Node 24's own http server answering hello.
import { createServer } from 'node:http';

const [host = '127.0.0.1', port = '8090'] = process.argv.slice(2);
createServer({ keepAlive: true }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from plain node\n');
}).listen(Number(port), host);
