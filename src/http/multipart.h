/* Incremental multipart/form-data parser (RFC 7578, RFC 2046 5.1).
 *
 * Fed any split of the body, it reports parts through callbacks: the part's
 * headers once they are complete, its data in slices as they arrive, and
 * its end. It allocates nothing: part headers are bounded by
 * MULTIPART_MAX_HEADER and kept inside struct multipart; the few bytes that
 * might begin a boundary are held back until the next call tells. */
#ifndef PORTICO_MULTIPART_H
#define PORTICO_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MULTIPART_MAX_BOUNDARY 70 /* RFC 2046 */
#define MULTIPART_MAX_HEADER 8192 /* all header lines of one part */
#define MULTIPART_MAX_NAME 512    /* name / filename after unquoting */

struct multipart_part {
    char name[MULTIPART_MAX_NAME];     /* form field name, "" if none */
    char filename[MULTIPART_MAX_NAME]; /* as sent (not sanitised), "" if none */
    bool has_filename;                 /* a filename parameter was present (even empty) */
    char content_type[256];            /* "" if none */
};

struct multipart_callbacks {
    /* Each returns 0 to go on, or -1 to stop parsing (multipart_feed then
     * returns -1 and the parser stays failed). */
    int (*on_part_begin)(void *ctx, const struct multipart_part *part);
    int (*on_part_data)(void *ctx, const char *data, size_t len);
    int (*on_part_end)(void *ctx);
};

struct multipart {
    /* private */
    int state;
    char boundary[MULTIPART_MAX_BOUNDARY + 4]; /* "\r\n--" + boundary */
    size_t boundary_len;
    size_t match;          /* bytes of the delimiter matched so far */
    char held[MULTIPART_MAX_BOUNDARY + 8];
    size_t held_len;
    char header[MULTIPART_MAX_HEADER];
    size_t header_len;
    struct multipart_part part;
    bool done;
    const char *error; /* a short reason once failed */
};

/* Reads the boundary from a Content-Type value
 * ("multipart/form-data; boundary=xyz", quoted or not, case-insensitive
 * type and parameter name). Returns 0, or -1 when the type is not
 * multipart/form-data or the boundary is missing, empty or too long. */
int multipart_init(struct multipart *m, const char *content_type, size_t len);

/* Parses data[0..len). Returns 0 when all of it was taken, or -1 on
 * malformed input or a callback's -1 (m->error says why). Bytes after the
 * closing delimiter are ignored (the epilogue). */
int multipart_feed(struct multipart *m, const char *data, size_t len,
                   const struct multipart_callbacks *cb, void *ctx);

/* True once the closing delimiter ("--boundary--") was seen. A body that
 * ends before it is incomplete and must not be stored. */
static inline bool multipart_done(const struct multipart *m) { return m->done; }

#endif
