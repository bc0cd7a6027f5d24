// Handing a file to a job thread without copying it. A copy of a 52 MB upload (a million rows)
// stays in RSS as long as the job runs, and an import passed its file on twice (main thread ->
// import thread -> check thread).

/**
 * `file`'s bytes as a Uint8Array whose whole buffer may be listed in postMessage's transfer list:
 * the file's own buffer when it spans all of it (an upload or a file read into its own buffer;
 * moving it leaves `file` empty), otherwise a copy of exactly its bytes (a small Buffer may be a
 * view of Node's shared pool, which cannot move).
 */
export function movableBytes(file: Uint8Array): Uint8Array {
  const buffer = file.buffer;
  const whole = buffer instanceof ArrayBuffer && file.byteOffset === 0 && file.byteLength === buffer.byteLength && file.byteLength > 4096;
  return whole ? new Uint8Array(buffer, 0, file.byteLength) : new Uint8Array(file);
}
