/* A per-worker cache of small files' contents.
 *
 * Serving a small file from memory turns open + fstat + sendfile + close
 * into one stat: every hit is checked against the file's current identity
 * (device, inode, size, modification and change times), so a file that
 * changed on disk is never served stale. Entries are direct-mapped by a
 * hash of (root, path); a response holds a reference on the entry it sends
 * so that replacing an entry never frees bytes still being written. */
#ifndef PORTICO_FILE_CACHE_H
#define PORTICO_FILE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "http/http_date.h"
#include "http/http_range.h"

#define FILE_CACHE_MAX_FILE (16 * 1024)

struct file_cache_entry {
    const char *root; /* the config's root string */
    char *rel;
    unsigned long hash;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    const char *content_type;
    char last_modified[HTTP_DATE_LEN + 1];
    char etag[HTTP_ETAG_MAX];
    unsigned refs;  /* responses sending it, plus one while in the table */
    uint64_t checked; /* the loop wake-up of the last stat */
    uint64_t checked_epoch; /* ... and the change epoch then */
    bool is_dir;    /* a directory: only its identity is kept (no data) */
    char *data;
};

/* The entry for rel under root if the file on disk is still the one
 * cached, with a reference taken; NULL otherwise (also when rel is a
 * cached directory). An entry is checked
 * against the disk once per loop wake-up (`wakeup`): requests answered in
 * the same batch of events share one stat, as h2o's file cache shares one
 * open. */
struct file_cache_entry *file_cache_get(const char *root, const char *rel, uint64_t wakeup);

/* Caches the regular file open as fd (its stat in st) and returns it with
 * a reference taken, or NULL when it is too large or cannot be read (the
 * caller then sends it from the fd). */
struct file_cache_entry *file_cache_put(const char *root, const char *rel, int fd,
                                        const struct stat *st, const char *content_type);

/* Directories are remembered as such, under the same freshness rule, so
 * that "/" resolves to its index without opening the directory each time:
 * file_cache_find is file_cache_get that also sets *is_dir when rel under
 * root is a cached directory still the same on disk (one lookup for
 * both); file_cache_put_dir notes the directory whose stat is st. */
struct file_cache_entry *file_cache_find(const char *root, const char *rel, uint64_t wakeup,
                                         bool *is_dir);
void file_cache_put_dir(const char *root, const char *rel, const struct stat *st);

/* Misses are remembered for the rest of a wake-up too: a burst of
 * requests for a missing path costs one failed open. file_cache_missing
 * returns the errno of a miss noted in this wake-up (and change epoch), or
 * 0 when none is known. */
int file_cache_missing(const char *root, const char *rel, uint64_t wakeup);
void file_cache_note_missing(const char *root, const char *rel, uint64_t wakeup, int err);

/* This worker changed files (an upload, a delete): entries are checked
 * against the disk again even within the current wake-up. */
void file_cache_files_changed(void);

/* Drops a reference taken by get or put. */
void file_cache_release(struct file_cache_entry *e);

/* Frees every entry (worker exit). */
void file_cache_clear(void);

#endif
