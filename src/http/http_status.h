/* Status codes and reason phrases. */
#ifndef PORTICO_HTTP_STATUS_H
#define PORTICO_HTTP_STATUS_H

/* Reason phrase for a status code ("Not Found"); "Unknown" if not known. */
const char *http_status_reason(int status);

/* The status that answers a failed open, stat, write, link or unlink with
 * errno err: 404 missing (a name too long is missing too), 403 forbidden
 * or outside the root, 409 exists, 507 no space, 503 out of descriptors
 * or memory, else 500. The one errno mapping every handler uses. */
int http_status_for_errno(int err);

#endif
