/* A CGI script's stderr, logged line by line in the error log's format at
 * warn ("cgi /path/script.py: the line"), never copied raw: the script's
 * fd 2 is a pipe the worker reads in its loop. A line longer than
 * CGI_STDERR_LINE is logged in pieces; control bytes are escaped. */
#ifndef PORTICO_CGI_STDERR_H
#define PORTICO_CGI_STDERR_H

#include <stddef.h>

#include "core/loop.h"

#define CGI_STDERR_LINE 1024

struct cgi_stderr {
    struct io_watcher io; /* first: the loop hands back this pointer */
    struct loop *loop;
    const char *script;   /* named in each line; outlives the reader */
    size_t len;           /* bytes of an unfinished line in `line` */
    char line[CGI_STDERR_LINE];
};

/* Makes the pipe and watches its read end. Returns the write end for the
 * child's fd 2 (the caller closes it once the child has it), or -1. */
int cgi_stderr_open(struct cgi_stderr *e, struct loop *loop, const char *script);

/* Logs what is left (an unfinished last line too) and closes the pipe.
 * Harmless when it is not open. */
void cgi_stderr_close(struct cgi_stderr *e);

#endif
