/* IMF-fixdate formatting and parsing (RFC 9110 5.6.7). */
#ifndef PORTICO_HTTP_DATE_H
#define PORTICO_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Writes the IMF-fixdate of t into out (at least HTTP_DATE_LEN + 1 bytes,
 * NUL-terminated). */
void http_date_format(time_t t, char *out);

/* Parses an IMF-fixdate (and the obsolete RFC 850 and asctime forms);
 * returns (time_t)-1 when s is none of them. */
time_t http_date_parse(const char *s, size_t len);

#endif
