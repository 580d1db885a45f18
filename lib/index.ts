/**
 * s3-stream-sink: composable Node.js streams that deliver records into
 * Amazon S3 and S3-compatible stores.
 *
 * @packageDocumentation
 */
export { filterApis, type FilterApisOptions, type FilterApisStream, type DroppedRecord, type DropReason } from './stages/filter-apis.js'
export { serialize, type SerializeOptions } from './stages/serialize.js'
export { minuteWindow, type MinuteWindowOptions, type MinuteWindowStream } from './stages/minute-window.js'
export type { PartitionBy } from './internal/record-slots.js'
export { gzip, type GzipOptions } from './stages/gzip.js'
export { compress, type CompressOptions, type Compression } from './stages/compress.js'
export { compressionExtension } from './internal/compression-extension.js'
export { keyRotate, type KeyRotateOptions } from './stages/key-rotate.js'
export { route, type RouteOptions, type RouteOutput } from './stages/route.js'
export { s3Writable } from './sinks/s3-writable.js'
export type { S3WritableOptions } from './sinks/s3-writable-options.js'
export type { ManifestOptions } from './sinks/manifest-options.js'
export type { ObjectWritten } from './sinks/object-written.js'
export type { UploadParams } from './sinks/upload-params.js'
export type { UploadRetry } from './internal/retry-events.js'
export { createS3Sink, runKey, type RunWritten } from './sinks/create-s3-sink.js'
export type { ObjectAbandoned, AbandonedOutcome } from './sinks/object-abandoned.js'
export type { RoutedObjectWritten } from './sinks/routed-object.js'
export type { S3SinkConfig, BatchOptions, SinkRoute } from './sinks/sink-config.js'
export { createS3Destination } from './sinks/create-s3-destination.js'
export { S3Destination, DestinationClosedError, type S3DestinationOptions, type S3DestinationEvent, type S3DestinationStats } from './sinks/s3-destination.js'
export { abortIncompleteUploads, ListUploadsError, type AbortIncompleteUploadsOptions, type AbortIncompleteUploadsResult, type AbortedUpload, type FailedAbort } from './admin/abort-incomplete-uploads.js'
export { doctor, type DoctorOptions } from './admin/doctor.js'
export type { DoctorProbe, DoctorReport } from './admin/doctor-report.js'
export { keyTemplate, isKeyTemplate, type KeyTemplate, type KeyTemplateOptions, type KeyTemplateValues } from './key-template.js'
export { STORE_PROFILES, STORE_NAMES, type StoreName, type StoreProfile, type ChecksumMode } from './store-profiles.js'
export { isBatch, type Batch, type BatchStats } from './batch.js'
export { systemClock, type Clock } from './clock.js'
export { onDurable, type DurableCallback, type DurableRecord } from './durable.js'
export { sourcePosition, type Position } from './source-position.js'
export { BatchAcks } from './batch-acks.js'
export { createCheckpoint, Checkpoint, type CheckpointOptions } from './checkpoint.js'
export { redisStreamSource, RedisStreamSource, type RedisStreamSourceOptions, type LogSourceStats } from './sources/redis-stream-source.js'
export type { RedisClientLike } from './sources/redis-stream-options.js'
export type { NatsConnectionLike } from './sources/nats-jetstream-options.js'
export { natsJetStreamSource, NatsJetStreamSource, type NatsJetStreamSourceOptions } from './sources/nats-jetstream-source.js'
export { InvalidPayload, type Decode, type SourceOnInvalid } from './sources/payload.js'
export type { S3ConnectionOptions } from './internal/s3-client.js'
export type { Stringify } from './internal/ndjson-line.js'
export {
  S3SinkError,
  InvalidOptionError,
  SerializationError,
  LineParseError,
  WindowOverflowError,
  InvalidBatchError,
  BatchAbortedError,
  CallbackError,
  S3UploadError,
  ConfigError,
  KeyTemplateError,
  EventTimeError,
  LateRecordError,
  MissingPositionError,
  SourceConnectionError,
  SourceAuthError,
  SourceServerError,
  SourcePayloadError,
  CompressionFailedError,
  type ConfigIssue,
  type OptionIssue
} from './errors.js'
