/* Whether an Accept header value (RFC 9110 12.5.1) names a media type,
 * optionally with one parameter:
 *
 *     Accept: application/openmetrics-text;version=1.0.0;q=0.5,
 *             text/plain;version=0.0.4;q=0.3, application/json;q=0.1
 *
 * names text/plain with version=0.0.4. The value is a list of elements
 * separated by commas (those inside a quoted-string do not count); each is
 * a media range with its parameters (http_param.h). Reads the caller's
 * bytes in place, allocates nothing, never looks past their end. */
#ifndef PORTICO_HTTP_ACCEPT_TYPE_H
#define PORTICO_HTTP_ACCEPT_TYPE_H

#include <stdbool.h>

#include "lib/str.h"

/* True when an element of accept is the media type `type` (compared ASCII
 * case-insensitively; a wildcard range is not a name) and, when param is
 * not NULL, carries the parameter param (its name case-insensitively) with
 * exactly the value `value` (a quoted-string unquoted first). An element
 * with q=0 refuses, and one whose parameters do not parse counts for
 * nothing. type and param are lower-case. */
bool http_accept_names(struct str accept, const char *type, const char *param,
                       const char *value);

#endif
