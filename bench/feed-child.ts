// Writes about <bytes> of Run-shaped NDJSON to stdout, for the CLI memory
// run (`feed-child | s3-sink ...`): the feed's cost stays out of the process
// measured. Usage: node feed-child.js <bytes>
import { generatedStream, meanRecordBytes } from './feed.js'

const records = Math.ceil(Number(process.argv[2] ?? '200000000') / meanRecordBytes())
let text = ''
for await (const record of generatedStream(records)) {
  text += JSON.stringify(record) + '\n'
  if (text.length >= 64 * 1024) {
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve))
    text = ''
  }
}
process.stdout.end(text)
process.stderr.write(`${records}\n`)
