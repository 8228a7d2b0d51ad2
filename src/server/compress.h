/* gzip on the fly (CONFIG.md, "compress"): which responses are gzipped,
 * the headers that says, the deflate filter, and the server's own feeding
 * of a memory or file body through it. For server/ only.
 *
 * A response of a type the location lists gets Vary: Accept-Encoding. It is
 * gzipped when it also has a body (not HEAD, 1xx, 204, 304 nor 206), no
 * Content-Encoding, no known length below min_size, the request has no
 * Range and is HTTP/1.1 (an HTTP/1.0 client gets identity, as nginx's
 * gzip_http_version 1.1 does: its connection can stay open), and the
 * client's Accept-Encoding takes gzip. Then Content-Encoding: gzip, no
 * Content-Length (chunked), a strong ETag made weak, no Accept-Ranges, and
 * one deflate stream (zlib level of the location) per response, from a
 * per-worker pool.
 *
 * A handler's stream (CGI, proxy, a big listing) passes through the filter
 * piece by piece at the handler's pace, each piece flushed (Z_SYNC_FLUSH)
 * so that a slow source is seen as it comes. A memory or file body
 * (static files, small listings, error pages) is fed by the server itself,
 * COMPRESS_PIECE bytes after each drain of the queue (a file read with
 * pread into the stream's buffer, never all of it at once), and after
 * COMPRESS_TURN bytes in one go the loop gets its turn before the next. */
#ifndef PORTICO_COMPRESS_H
#define PORTICO_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

struct compress;
struct request;

/* Idle deflate streams of a worker, reset and ready. */
struct compress_pool {
    struct compress *free;
    size_t n_free;
};

void compress_pool_init(struct compress_pool *p);
/* Frees the idle streams (those in use must have been given back). */
void compress_pool_free(struct compress_pool *p);

/* Right before the response head is queued (status, headers, length and
 * type set): adds Vary for a listed type and, when the body is to be
 * gzipped, edits the headers and puts r->gz (with its filter) in place.
 * Returns true then. */
bool compress_prepare(struct request *r);

/* Sends a response whose memory or file body compress_prepare took: the
 * head, then the body fed through the filter. */
void compress_send(struct request *r);

/* The queue drained: true when the server feeds this body (compress_send)
 * and took the event, false when it is the handler's. */
bool compress_on_drained(struct request *r);

/* The request ends: its stream goes back to the pool (at once, or when a
 * feed under way returns). */
void compress_release(struct request *r);

#endif
