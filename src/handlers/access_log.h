/* The access log line of a finished request, in the combined format plus
 * the request time in milliseconds. */
#ifndef PORTICO_ACCESS_LOG_H
#define PORTICO_ACCESS_LOG_H

struct request;

/* Formats and buffers the line (no I/O; core writes the buffer out). */
void access_log_write(const struct request *r);

#endif
