/* Escaping names for the bodies portico generates. */
#ifndef PORTICO_ESCAPE_H
#define PORTICO_ESCAPE_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Appends s as the inside of a JSON string: '"', '\\', control bytes and
 * DEL escaped (\u001f, lower-case hex as nginx's autoindex writes it);
 * other bytes (UTF-8) passed through. */
void escape_json(struct strbuf *b, const char *s, size_t len);

/* The same for bytes from anywhere (what a client sent): the result is
 * always valid UTF-8 and valid JSON. Well-formed UTF-8 passes through;
 * every byte that is not part of a well-formed sequence (stray
 * continuation, truncated, overlong, surrogate, above U+10FFFF, C0, C1,
 * F5..FF) is escaped as \u00XX of its value, so that the line keeps the
 * byte: in the raw text \u0080..\u00ff only ever stands for such a byte.
 * Appends at most max bytes, never cutting an escape or a sequence;
 * returns how many bytes of s went in (len unless cut). */
size_t escape_json_utf8(struct strbuf *b, const char *s, size_t len, size_t max);

/* Appends s with & < > " ' as HTML character references. */
void escape_html(struct strbuf *b, const char *s, size_t len);

/* Appends s percent-encoded for a URL path (unreserved bytes and '/'
 * kept). */
void escape_url_path(struct strbuf *b, const char *s, size_t len);

/* The same, keeping every byte RFC 3986 allows in a path as it is (also
 * the sub-delims, ':' and '@'): for a path sent on to a server. */
void escape_url_pchar(struct strbuf *b, const char *s, size_t len);

#endif
