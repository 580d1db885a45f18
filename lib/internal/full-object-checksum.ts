/** A checksum the store computed over the whole object. */
export interface FullObjectChecksum { algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME', type: 'FULL_OBJECT', value: string }

/** The checksum fields of a PutObject or CompleteMultipartUpload answer. */
export interface ChecksumFields { ChecksumType?: string, ChecksumCRC32?: string, ChecksumCRC32C?: string, ChecksumCRC64NVME?: string }

/** Multipart objects usually get a checksum of the part checksums (COMPOSITE), which says nothing about the bytes as a whole: only FULL_OBJECT counts. */
export function fullObjectChecksum (result: ChecksumFields): FullObjectChecksum | undefined {
  if (result.ChecksumType !== 'FULL_OBJECT') return undefined
  if (result.ChecksumCRC64NVME !== undefined) return { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', value: result.ChecksumCRC64NVME }
  if (result.ChecksumCRC32C !== undefined) return { algorithm: 'CRC32C', type: 'FULL_OBJECT', value: result.ChecksumCRC32C }
  if (result.ChecksumCRC32 !== undefined) return { algorithm: 'CRC32', type: 'FULL_OBJECT', value: result.ChecksumCRC32 }
  return undefined
}
