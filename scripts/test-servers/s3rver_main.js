// s3rver's own bin/s3rver.js, run after two changes to the pinned s3rver 3.7.1. Started by
// scripts/test-servers.sh as `node s3rver_main.js <s3rver's directory> <its options>...`:
//   - any access key id is accepted (stock s3rver knows only S3RVER and answers InvalidAccessKeyId);
//   - a bucket's lifecycle and encryption configurations (PUT/GET/DELETE ?lifecycle, ?encryption),
//     which stock s3rver answers with 501 NotImplemented, are kept as sent, in memory, and returned
//     as sent; none of them is applied (no object ever expires here).
const [root, ...args] = process.argv.slice(2);
const lib = (name) => require(`${root}/lib/${name}`);

const AWSAccount = lib("models/account");
const accounts = AWSAccount.registry;
const knownAccount = accounts.get.bind(accounts);
accounts.get = (id) => knownAccount(id) || AWSAccount.DUMMY_ACCOUNT;
const secrets = AWSAccount.DUMMY_ACCOUNT.accessKeys;
const knownSecret = secrets.get.bind(secrets);
secrets.get = (id) => knownSecret(id) || "S3RVER";

const router = lib("routes");
const S3Error = lib("models/error");
const { bucketExists } = lib("controllers/bucket");
const missing = {
  lifecycle: ["NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"],
  encryption: ["ServerSideEncryptionConfigurationNotFoundError",
               "The server side encryption configuration was not found"],
};
const kept = new Map(); // "bucket?subresource" -> the XML body as sent
router.all("/:bucket", async (ctx, next) => {
  const sub = Object.keys(missing).find((name) => name in ctx.query);
  if (!sub) {
    await next();
    if (ctx.method === "DELETE") {
      for (const name in missing) kept.delete(`${ctx.params.bucket}?${name}`);
    }
    return;
  }
  await bucketExists(ctx);
  const key = `${ctx.params.bucket}?${sub}`;
  switch (ctx.method) {
    case "PUT": {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      kept.set(key, Buffer.concat(chunks));
      ctx.body = "";
      return;
    }
    case "GET":
      if (!kept.has(key)) {
        const [code, message] = missing[sub];
        throw Object.assign(new S3Error(code, message, { BucketName: ctx.params.bucket }),
                            { status: 404, expose: true });
      }
      ctx.type = "application/xml";
      ctx.body = kept.get(key);
      return;
    case "DELETE":
      kept.delete(key);
      ctx.status = 204;
      return;
    default:
      return next();
  }
});
// Before s3rver's own "/:bucket" routes, after its authentication and query checks.
const layer = router.stack.pop();
const at = router.stack.findIndex((l) => l.path === "/:bucket" && l.methods.length > 0);
if (at < 0) throw new Error("s3rver's routes are not those of 3.7.1");
router.stack.splice(at, 0, layer);

process.argv = [process.argv[0], `${root}/bin/s3rver.js`, ...args];
require(`${root}/bin/s3rver.js`);
