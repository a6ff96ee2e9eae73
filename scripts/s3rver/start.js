// Starts the local S3 server (@20minutes/s3rver, which verifies SigV4) on
// 127.0.0.1 at a free port chosen by the kernel, with one bucket, and prints
// "PORT <n>" once it listens. Glue for scripts/s3rver.sh; stops on SIGTERM.
// usage: node start.js DATA_DIR BUCKET [BUCKET...]
'use strict';
const S3rver = require('@20minutes/s3rver');

const [dir, ...buckets] = process.argv.slice(2);
if (!dir || buckets.length === 0) {
  console.error('usage: node start.js DATA_DIR BUCKET [BUCKET...]');
  process.exit(2);
}
// A second key pair ("ACCESS_KEY_ID:SECRET") for tests that must tell the
// secret apart from everything else (tests/host/e2e_secrets.sh).
if (process.env.S3RVER_EXTRA_KEY) {
  const extra = process.env.S3RVER_EXTRA_KEY;
  const i = extra.indexOf(':');
  require('@20minutes/s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(
    extra.slice(0, i), extra.slice(i + 1));
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (addr) => console.log(`PORT ${addr.port}`),
  (err) => {
    console.error(`s3rver: ${err.message}`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
process.on('SIGINT', () => server.close().then(() => process.exit(0)));
