/* Status codes and reason phrases. */
#ifndef PORTICO_HTTP_STATUS_H
#define PORTICO_HTTP_STATUS_H

/* Reason phrase for a status code ("Not Found"); "Unknown" if not known. */
const char *http_status_reason(int status);

#endif
