import net from 'node:net';
import { startCluster } from '../helpers/cluster.js';
const c = await startCluster(3);
async function raw(port: number, data: string, wait = 300): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('connect', () => s.write(data));
    setTimeout(() => { s.destroy(); resolve(out); }, wait);
    s.on('close', () => resolve(out + '<closed>'));
  });
}
const cases = [
  'FOO a b c d e f g h i j k l m n o p q r s t\r\n',
  'PING a b\r\n',
  'ECHO\r\n',
  'SELECT x\r\n',
  'SELECT -1\r\n',
  'CLIENT SETNAME "a b"\r\n',
  'CLIENT FOO\r\n',
  'CLIENT\r\n',
  'HELLO 3\r\n',
  'HELLO x\r\n',
  'HELLO 2 FOO\r\n',
  'AUTH x\r\n',
  'AUTH default x\r\n',
  'CONFIG GET\r\n',
  'CONFIG GET save appendonly\r\n',
  'CONFIG SET save ""\r\n',
  'MSET a\r\n',
  'MSET a 1 b\r\n',
  'MGET\r\n',
  'SCAN\r\n',
  'SCAN -1\r\n',
  'SCAN 0 COUNT 0\r\n',
  'KEYS\r\n',
  'DBSIZE x\r\n',
  'RANDOMKEY x\r\n',
  'FLUSHDB FOO\r\n',
  'INFO a b c\r\n',
  'TIME x\r\n',
  'QUIT x\r\n',
  'GET\r\n',
  'get a b\r\n',
  'Client GetName\r\n',
  'SAVE\r\n',
  'DEL\r\n',
  'EXISTS\r\n',
  'SET k v\r\nGET k index=0\r\n',
  '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n',
  'ECHO "\\x41\\x4"\r\n',
  'ECHO \'a\\\'b\'\r\n',
  'ECHO "a"b\r\n',
  "RESET\r\n",
  'SET x "a b"\r\nGET x\r\n',
  '*1\r\n$4\r\nPING\r\n\r\n\r\n*0\r\n*-5\r\nPING\r\n',
  '*2\r\n$4\r\nPING\r\n$2\r\nabXX\r\nPING\r\n',
  'PING\n',
  '*1\r\n$-1\r\n',
  '*1\r\n$0\r\n\r\n',
  '*1\r\n$4\r\nPING',
  '$4\r\nPING\r\n',
  ':1\r\n',
  '*1\r\n*1\r\n',
  '*-1\r\nPING\r\n',
  '*1\r\n$+4\r\nPING\r\n',
  '*+1\r\n$4\r\nPING\r\n',
  '*01\r\n$04\r\nPING\r\n',
  '*1 \r\n$4\r\nPING\r\n',
  '*1\r\n$536870913\r\n',
  '*1\r\n$536870912\r\n',
  '*2147483648\r\n',
  '*1048577\r\n',
  '  PING   \r\n',
  'PING "" \r\n',
];
const real = c.nodes[0].port;
for (const cs of cases) {
  const [a, b] = await Promise.all([raw(real, cs), raw(c.port, cs)]);
  const same = a === b;
  console.log(same ? 'SAME' : 'DIFF', JSON.stringify(cs));
  if (!same) console.log('   redis:', JSON.stringify(a), '\n   proxy:', JSON.stringify(b));
}
await c.stop();
