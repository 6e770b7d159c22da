#!/usr/bin/env python3
"""Reads, with boto3 (a client nobody here wrote), two entries cachedata wrote to the shared store
on the local servers (DynamoDB Local, s3rver), and checks them against docs/FORMAT.md, "Shared
store": a small entry whose body is inline in its item, and a large one whose body is the S3
object cache/<id_hash>. Driven by tests/aws_boto3_interop_test.cpp, which says what to expect.

Exit status: 0 when every check passes, 1 when one fails (each failure is printed), 2 for bad
arguments, 77 when boto3 cannot be imported (the driver skips, or fails under CI=true).
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (any value: neither server checks
a signature).
"""

import argparse
import hashlib
import re
import sys

try:
    import boto3
    from botocore.config import Config
except ImportError as e:  # the driver decides whether a missing boto3 is a skip or a failure
    print(f"boto3 is not available: {e} (Debian: apt-get install python3-boto3)")
    sys.exit(77)

HEX64 = re.compile(r"[0-9a-f]{64}")
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)
    return condition


def number(item, name, what):
    """The attribute as an int when it is of type N holding an integer, else None."""
    value = item.get(name, {})
    if not check(set(value) == {"N"}, f"{name} is of type N: {value!r}"):
        return None
    if not check(re.fullmatch(r"-?[0-9]+", value["N"]) is not None,
                 f"{name} is {what}: {value['N']!r}"):
        return None
    return int(value["N"])


def check_common(item, want_id, args):
    """The attributes every entry has: id_hash, expires, purge_ts, head."""
    id_hash = item.get("id_hash", {})
    check(set(id_hash) == {"S"}, f"id_hash is of type S: {id_hash!r}")
    got = id_hash.get("S", "")
    check(HEX64.fullmatch(got) is not None, f"id_hash is 64 lower-case hex characters: {got!r}")
    check(got == want_id, f"id_hash equals the id cachedata reports ({want_id})")
    expires = number(item, "expires", "whole epoch seconds")
    purge = number(item, "purge_ts", "whole epoch seconds")
    if expires is not None:
        low, high = args.written_after + args.ttl, args.written_before + args.ttl
        check(low <= expires <= high,
              f"expires {expires} is now + TTL ({args.ttl} s) as of the write: in [{low}, {high}]")
    if expires is not None and purge is not None:
        check(purge == expires + args.purge_window,
              f"purge_ts {purge} = expires + purge window ({args.purge_window} s)")
    head = item.get("head", {})
    check(set(head) == {"B"} and isinstance(head.get("B"), bytes) and len(head["B"]) > 0,
          f"head is present, of type B, not empty ({len(head.get('B', b''))} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("dynamodb-endpoint", "s3-endpoint", "table", "bucket", "small-id", "large-id"):
        parser.add_argument("--" + name, required=True)
    for name in ("ttl", "purge-window", "written-after", "written-before"):
        parser.add_argument("--" + name, required=True, type=int)
    args = parser.parse_args()

    session = boto3.session.Session(region_name="us-east-1")
    # Only what an operator's tooling would set: path-style for s3rver, and, on a botocore new
    # enough to send S3's default CRC checksums (1.36+), checksums only when an operation
    # requires one, as s3rver predates them. Debian 12's botocore 1.29 has neither option.
    options = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 2}}
    try:
        config = Config(request_checksum_calculation="when_required",
                        response_checksum_validation="when_required", **options)
    except TypeError:
        config = Config(**options)
    dynamodb = session.client("dynamodb", endpoint_url=args.dynamodb_endpoint, config=config)
    s3 = session.client("s3", endpoint_url=args.s3_endpoint, config=config)

    def item_of(id_hash):
        got = dynamodb.get_item(TableName=args.table, Key={"id_hash": {"S": id_hash}},
                                ConsistentRead=True)
        check("Item" in got, f"GetItem finds the item {id_hash[:12]}…")
        return got.get("Item", {})

    print(f"small entry {args.small_id}")
    small = item_of(args.small_id)
    check_common(small, args.small_id, args)
    body = small.get("body", {})
    check(set(body) == {"B"} and len(body.get("B", b"")) > 0, "body is inline, of type B")
    for name in ("s3_key", "body_size", "body_sha256"):
        check(name not in small, f"no {name}: the body is not in S3")

    print(f"large entry {args.large_id}")
    large = item_of(args.large_id)
    check_common(large, args.large_id, args)
    check("body" not in large, "no inline body: it is in S3")
    s3_key = large.get("s3_key", {}).get("S")
    check(s3_key == "cache/" + args.large_id, f"s3_key is cache/<id_hash>: {s3_key!r}")
    body_size = number(large, "body_size", "a whole number of bytes")
    sha = large.get("body_sha256", {}).get("S", "")
    check(HEX64.fullmatch(sha) is not None, f"body_sha256 is 64 lower-case hex: {sha!r}")
    if s3_key:
        obj = s3.get_object(Bucket=args.bucket, Key=s3_key)
        data = obj["Body"].read()
        check(len(data) == body_size, f"the object's size {len(data)} equals body_size {body_size}")
        check(obj["ContentLength"] == len(data), "Content-Length is the size read")
        digest = hashlib.sha256(data).hexdigest()
        check(digest == sha, f"the object's SHA-256 {digest} equals body_sha256")
    listed = s3.list_objects_v2(Bucket=args.bucket, Prefix="cache/")
    keys = sorted(o["Key"] for o in listed.get("Contents", []))
    check(keys == ["cache/" + args.large_id], f"the bucket holds only the large body: {keys}")

    print(f"{len(failures)} failed check(s)" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
