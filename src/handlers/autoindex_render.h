/* A directory listing's text, in pieces: the head, one entry at a time,
 * the tail; HTML, or JSON in the shape of nginx's autoindex_format json.
 * The pieces may be written in one body or streamed. */
#ifndef PORTICO_AUTOINDEX_RENDER_H
#define PORTICO_AUTOINDEX_RENDER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "lib/strbuf.h"

enum entry_type { ENTRY_FILE, ENTRY_DIR, ENTRY_OTHER };

struct entry {
    char *name;
    enum entry_type type;
    off_t size;
    time_t mtime;
};

/* path is the folder's URL path (decoded). */
void render_head(struct strbuf *b, bool json, const char *path, size_t path_len);
/* first: no entry was rendered before this one (JSON separators). */
void render_entry(struct strbuf *b, bool json, const struct entry *e, bool first);
/* sorted: say so when it is not (a folder too big to sort). */
void render_tail(struct strbuf *b, bool json, bool sorted);

#endif
