// BLOB.PUT, BLOB.GET, BLOB.GETRANGE, BLOB.STAT, BLOB.DEL, BLOB.LIST: checked and copied out of the
// request here, answered by the BlobActor (chunking, spreading and reassembly inside jupiter).
import { notInteger, syntaxError } from '../../protocol/errors.js';
import type { BlobRequest, Shape } from '../dispatch.js';
import type { RequestView } from '../request.js';

const INTEGER = /^-?\d+$/;

function request(req: RequestView, name: string): BlobRequest | Buffer {
  const blob = req.argc > 1 ? req.argString(1) : '';
  switch (name) {
    case 'blob.put': {
      // The data outlives this request's bytes, so it is copied.
      const data = Buffer.from(req.argBuffer(2));
      if (req.argc === 3) return { op: 'put', name: blob, data };
      if (req.argc !== 5 || req.argString(3).toUpperCase() !== 'TTL') return syntaxError;
      const ttl = req.argString(4);
      if (!/^\d+$/.test(ttl) || Number(ttl) < 1) return notInteger;
      return { op: 'put', name: blob, data, ttlSeconds: Number(ttl) };
    }
    case 'blob.getrange': {
      const [start, end] = [req.argString(2), req.argString(3)];
      if (!INTEGER.test(start) || !INTEGER.test(end)) return notInteger;
      return { op: 'getrange', name: blob, start: Number(start), end: Number(end) };
    }
    case 'blob.list':
      if (req.argc > 2) return syntaxError;
      return { op: 'list', prefix: req.argc === 2 ? blob : '' };
    default:
      return { op: name.slice('blob.'.length) as 'get' | 'stat' | 'del', name: blob };
  }
}

export const blob: Shape = {
  connectionLocal: true,
  dispatch(req, spec, d) {
    const r = request(req, spec.name);
    if (Buffer.isBuffer(r)) return d.reply(r);
    d.askBlob(r);
  },
};
