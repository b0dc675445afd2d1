// The ways a blob read can fail, each a typed error with the wording the RESP commands use too.

export class BlobError extends Error {
  constructor(
    message: string,
    readonly blob: string,
  ) {
    super(message);
    this.name = 'BlobError';
  }
}

/** No blob of that name (a stream asked for one that does not exist). */
export class BlobNotFoundError extends BlobError {
  constructor(blob: string) {
    super(`no blob '${blob}'`, blob);
    this.name = 'BlobNotFoundError';
  }
}

/** A chunk the manifest lists is gone (evicted, expired, or deleted by a rewrite that won). */
export class BlobIncompleteError extends BlobError {
  constructor(
    blob: string,
    readonly chunk: number,
    readonly chunks: number,
  ) {
    super(`incomplete blob '${blob}': chunk ${chunk} of ${chunks} missing`, blob);
    this.name = 'BlobIncompleteError';
  }
}

/** A chunk's bytes (or the whole blob's) do not match the checksum in the manifest. */
export class BlobChecksumError extends BlobError {
  constructor(
    blob: string,
    /** The chunk index, or -1 for the whole blob. */
    readonly chunk: number,
  ) {
    super(chunk < 0 ? `blob '${blob}': checksum mismatch` : `blob '${blob}': checksum mismatch in chunk ${chunk}`, blob);
    this.name = 'BlobChecksumError';
  }
}
