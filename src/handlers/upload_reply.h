/* The 201 answer of an upload: Location of the first file and a JSON or
 * HTML body listing what was stored. */
#ifndef PORTICO_UPLOAD_REPLY_H
#define PORTICO_UPLOAD_REPLY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct request;

struct upload_file {
    int fd;
    char name[NAME_MAX + 1];
    char tmpname[64]; /* a named temp file's name, "" for an O_TMPFILE */
    uint64_t size;
};

/* Sets status, Location and body. For a multipart upload the files lie in
 * the folder the request path names; otherwise the request path is the
 * file itself. */
void upload_reply(struct request *r, int status, const struct upload_file *files, size_t n);

#endif
