/* Escaping names for the bodies portico generates. */
#ifndef PORTICO_ESCAPE_H
#define PORTICO_ESCAPE_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Appends s as the inside of a JSON string: '"', '\\', control bytes and
 * DEL escaped (\u001f, lower-case hex as nginx's autoindex writes it);
 * other bytes (UTF-8) passed through. */
void escape_json(struct strbuf *b, const char *s, size_t len);

/* Appends s with & < > " ' as HTML character references. */
void escape_html(struct strbuf *b, const char *s, size_t len);

/* Appends s percent-encoded for a URL path (unreserved bytes and '/'
 * kept). */
void escape_url_path(struct strbuf *b, const char *s, size_t len);

/* The same, keeping every byte RFC 3986 allows in a path as it is (also
 * the sub-delims, ':' and '@'): for a path sent on to a server. */
void escape_url_pchar(struct strbuf *b, const char *s, size_t len);

#endif
