// What a read gets, with eject.onDown miss, when its node is down: the reply Redis gives for a key
// that does not exist (nil for GET, 0 for EXISTS, an empty list for LRANGE, -2 for TTL...), so a
// cache read misses instead of failing. Only reads whose answer for a missing key is known here;
// any other command, and every write, still gets the error.
import type { CommandSpec } from '../protocol/commands.js';
import { array, bulk, integer, nil, status } from '../protocol/encode.js';

const NIL = new Set(['get', 'hget', 'lindex', 'zscore', 'zrank', 'zrevrank', 'lpos', 'dump', 'srandmember', 'hrandfield']);
const ZERO = new Set(['exists', 'touch', 'strlen', 'hlen', 'llen', 'scard', 'zcard', 'sismember', 'hexists', 'zcount', 'zlexcount', 'bitcount', 'getbit', 'hstrlen', 'pfcount', 'xlen']);
const NO_TTL = new Set(['ttl', 'pttl', 'expiretime', 'pexpiretime']);
const EMPTY_LIST = new Set(['lrange', 'hkeys', 'hvals', 'zrange', 'zrangebyscore', 'zrevrange', 'zrevrangebyscore', 'zrangebylex', 'zrevrangebylex', 'xrange', 'xrevrange']);

const EMPTY_STRING = bulk('');
const NONE = status('none');
const EMPTY_ARRAY = array([]);
const EMPTY_SET3 = Buffer.from('~0\r\n');
const EMPTY_MAP3 = Buffer.from('%0\r\n');

/** The miss of a read, or undefined when it has none here (a write, or a read not in the table). */
export function missOf(spec: CommandSpec, resp3: boolean, keys = 1): Uint8Array | undefined {
  if (!spec.readonly) return undefined;
  const name = spec.name;
  if (NIL.has(name)) return nil(resp3);
  if (ZERO.has(name)) return ZERO_REPLY;
  if (NO_TTL.has(name)) return MINUS_TWO;
  if (EMPTY_LIST.has(name)) return EMPTY_ARRAY;
  switch (name) {
    case 'mget':
      return array(Array.from({ length: keys }, () => nil(resp3)));
    case 'smembers':
      return resp3 ? EMPTY_SET3 : EMPTY_ARRAY;
    case 'hgetall':
      return resp3 ? EMPTY_MAP3 : EMPTY_ARRAY;
    case 'getrange':
    case 'substr':
      return EMPTY_STRING;
    case 'type':
      return NONE;
    default:
      return undefined;
  }
}

const ZERO_REPLY = integer(0);
const MINUS_TWO = integer(-2);
