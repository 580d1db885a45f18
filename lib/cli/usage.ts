/**
 * The text `s3-sink --help` prints.
 *
 * @example
 * ```ts
 * process.stdout.write(USAGE)
 * ```
 */
export const USAGE = `Usage: s3-sink [options] [file ...]
       s3-sink doctor --bucket NAME [--endpoint URL] [--store NAME] [connection flags]
       s3-sink abort-uploads --bucket NAME --older-than DURATION [--prefix P] [--dry-run] [connection flags]

Reads NDJSON (one JSON record per line) from the files, or from standard input
when no file (or "-") is given, and delivers it to S3: batched per minute into
compressed NDJSON objects, or one .json object per Run with --per-record.

Destination (one of):
  --bucket NAME             S3 bucket (alias: --bucket-name)
  --out-dir DIR             write the same objects, under the same keys, to DIR
                            instead (no S3 options needed)

Log source (instead of files; workers sharing a group share the stream):
  --source URL              redis://[:PASSWORD@]HOST:PORT/STREAM or nats://[USER:PASS@]HOST:PORT/STREAM:
                            read the entries' JSON (Redis: the "record" field) through a
                            consumer group; each is acknowledged once its object is stored
  --group G                 Redis consumer group (created when missing, from the start)
  --consumer C              this worker's name in the group (default HOSTNAME-PID)
  --claim-idle-ms MS        take over entries pending this long in the group (a dead
                            worker's; live ones renew theirs every MS/3) (default 120000;
                            keep it above 1.5 x --reconnect-timeout-ms + 10 s)
  --start-id ID             where a group created here starts: 0 (default), $ (new entries only)
                            or an entry id
  --field NAME              the entry field holding the record's JSON (default record)
  --count N                 entries asked for per read, and the source's buffer (default 100)
  --block-ms MS             longest wait of one read; bounds how late a stop is seen (default 1000);
                            a read unanswered MS + 10 s later counts as a lost connection
  --durable D               JetStream durable consumer (created when missing)
  --ack-wait-ms MS          redeliver messages unacknowledged this long (default 30000;
                            records waiting in a window are kept alive meanwhile; an
                            outage over ~20 s then duplicates: above 1.5 x
                            --reconnect-timeout-ms none does)
  --deliver-policy P        where a consumer created here starts: all (default) or new
  --pull-batch N            messages per pull, and the source's buffer (default 100)
  --expires-ms MS           longest wait of one pull, at least 1000 (default 1000)
  --max-ack-pending N       most messages unacknowledged across all workers (default 20000)
  --connection-name NAME    the NATS connection's name (default HOSTNAME-PID)
  --reconnect-timeout-ms MS longest outage of the log's server ridden out (default 60000),
                            counted from when the loss is noticed

S3 connection (flags win over the AWS_* environment variables):
  --region REGION           AWS_REGION, AWS_DEFAULT_REGION, then the AWS profile's region
                            (AWS_PROFILE in AWS_CONFIG_FILE or ~/.aws/config)
  --endpoint URL            S3-compatible endpoint; AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
  --force-path-style        path-style URLs (endpoint/bucket/key), for most S3-compatible stores
  --store NAME              aws (default), r2, minio, gcs, b2, ceph or custom: path style,
                            region and checksum settings the store needs (see s3-sink doctor)
  --access-key-id ID        AWS_ACCESS_KEY_ID
  --secret-access-key KEY   AWS_SECRET_ACCESS_KEY (prefer the variable: flags show up in ps)
  --session-token TOKEN     AWS_SESSION_TOKEN (likewise)
                            Credentials come whole from the flags or whole from the
                            variables; with neither, the SDK's default chain applies.
  --max-attempts N          attempts per request, retries included (default: no
                            limit, see --retry-for)
  --request-timeout MS      fail and retry a request slower than this (default 120000)
  --socket-timeout MS       fail and retry a request silent this long (default 30000)
  --connection-timeout MS   (default 10000)

What to send:
  --prefix PREFIX           key prefix, e.g. runs/
  --apis-to-send A,B        only Runs of these APIs (repeatable)
  --skip-on-fail            leave failed Runs out
  --per-record              one object per Run: PREFIX/API/RUNID.json
  --on-invalid POLICY       a line that is not a JSON object: error (default: exit
                            naming FILE:LINE), skip (count it), or dead-letter (a line
                            with its error in PREFIX/dead-letter/...; not --per-record)

Batches (not with --per-record):
  --window DURATION         window length: 500ms, 90s, 5m, 1h, 1d, or a number of ms (default 1m)
  --window-ms MS            the same in milliseconds (default 60000)
  --max-bytes SIZE          close a batch before this much NDJSON (default 1GiB)
  --max-records N           close a batch at this many records
  --no-close-on-time        cut batches only by --max-records/--max-bytes and the end
                            of input, never on the window's timer
  --stable-keys             name objects after their first record's position in the
                            source (FILE:LINE for files), so re-running the same input
                            rewrites the same keys; implies --no-close-on-time
  --compression ALG         gzip (default, .gz), zstd (.zst; Node >= 22.15) or none (.ndjson)
  --compression-level N     gzip 0-9 (default 6), zstd 1-19 (default 3)
  --gzip-level 0-9          the same, for gzip
  --gzip-threads N          blocks gzipped at once into one gzip member (default 1:
                            one zlib stream); more where compression is the bound
  --block-size SIZE         input bytes per compressed block, 64KiB-16MiB: zstd (default 1MiB),
                            gzip with --gzip-threads above 1 (default 512KiB)
  --gzip-chunk-size SIZE    output chunks of one gzip stream, at least 64 (default 64KiB)
  --chunk-size SIZE         NDJSON is coalesced into body chunks of about this size (default 64KiB)
  --no-gzip                 plain .ndjson objects (--compression none)
  --no-content-encoding     store .gz/.zst as application/gzip or application/zstd
                            without Content-Encoding (for clients that would unpack them)

Layout (batches unless noted):
  --key-template T          object keys by template, e.g. 'runs/api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{id}{ext}':
                            date parts, {id} (required), {seq}, {ext}, {prefix}, record fields;
                            fields partition the batches (also with --per-record)
  --time-zone ZONE          IANA zone of the date parts of --key-template and of the
                            manifests' keys (default UTC)
  --time-field PATH         window by the event time in this field (epoch ms or ISO-8601)
  --allowed-lateness-ms MS  how late a record may be and still join its window (default 0);
                            later records go to late/
  --on-late POLICY          a record later than that: partition (default: under late/),
                            drop (counted, not stored) or error (exit 1, ERR_LATE_RECORD)
  --idle-timeout-ms MS      close an event-time batch no record joined for this long, so a
                            quiet feed still delivers (default window + lateness)
  --max-open-partitions N   partitions open at once (default 16)
  --manifests               a manifest per window and partition once its objects are stored (S3 only)
  --manifest-template T     the manifests' keys, as --key-template ({id} optional but with a
                            --time-zone that has daylight saving; default
                            '{prefix}_manifests/{YYYY}/{MM}/{DD}/{HH}/{YYYY}-{MM}-{DD}-{HH}-{mm}-{ss}-{id}.json')

Routing (each record to the first route that takes it; one upload pool for all):
  --route NAME[:SETTING,...]  repeatable; settings, comma-separated (values without commas):
                            when=PATH=VALUE or when=PATH!=VALUE (repeatable, all must hold;
                            compared as text; only the last route may have none),
                            prefix=P (after --prefix), key-template=T, per-record (one
                            .json object per Run), compression=ALG, compression-level=N,
                            window=DURATION (as --window) or window-ms=MS, max-records=N,
                            max-bytes=SIZE (the batch flags are the defaults). Not with
                            --per-record, --manifests or --on-invalid dead-letter. E.g.
                            --route 'errors:when=apiInfo.result.status=failed,per-record,prefix=errors/'
                            --route 'runs:prefix=runs/,compression=zstd'
  --unmatched POLICY        a record no route takes: error (default: exit 1) or drop (left out,
                            counted in the summary)

Uploads:
  --concurrency N           objects written at once (default 2; 8 with --per-record);
                            fewer for a while when the store throttles
  --retry-for MS            retry failed requests of an object (5xx, throttling,
                            timeouts, resets) for this long (default 900000, 15 min)
  --if-none-match           conditional writes: never replace an object; one already
                            at the key counts as delivered
  --storage-class CLASS     e.g. STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR
  --sse ALG                 server-side encryption: AES256, aws:kms or aws:kms:dsse
  --sse-kms-key-id ID       the KMS key of --sse aws:kms
  --tag KEY=VALUE           object tag (repeatable)
  --metadata KEY=VALUE      x-amz-meta-KEY (repeatable)
  --content-type TYPE       instead of application/x-ndjson (application/json with --per-record)
Batch uploads (not with --per-record):
  --part-size SIZE          multipart part size, at least 5MiB (default 5MiB)
  --queue-size N            parts of one object uploaded at once (default 4)
  --abort-timeout MS        after a failure, wait this long for parts in flight (default 10000)

Shutdown:
  --shutdown-timeout MS     after SIGTERM or SIGINT, stop reading and deliver what was
                            read within this long (default 30000); past it, abort the
                            uploads and exit 124. A second signal aborts them at once
                            (exit 130/143); a third exits without any cleanup.

Doctor: "s3-sink doctor" probes the bucket (HeadBucket, PutObject with and without
checksum headers, a 2-part multipart upload, a conditional PutObject,
ListMultipartUploads, AbortMultipartUpload), deletes what it wrote, prints what works
and which --store profiles fit; exit 1 when the chosen --store would fail.

Abort uploads: "s3-sink abort-uploads" aborts the multipart uploads under --prefix
started more than --older-than ago (1d, 12h, ...; 0: every upload started until now),
left behind by a killed process or a failed abort: their parts stay stored, and
billed, until then. Prints each upload aborted and a summary; --dry-run only lists
them; --concurrency N aborts at once (default 4). Exit 1 when an abort or the
listing failed. Uploads still in progress are aborted too if they are older: use
more than your longest upload.

  -h, --help                this text
  --version                 the version

SIZE is a byte count or a number with K/KiB, M/MiB or G/GiB (powers of 1024).
A progress line goes to stderr when it is a terminal, and a summary line at the end.
Exit status: 0 delivered (also after a SIGTERM/SIGINT stop), 1 delivery failed or
bad input line, 2 usage error, 124 shutdown deadline passed, 130/143 aborted by a
second SIGINT/SIGTERM.
`
