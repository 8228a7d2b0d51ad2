#include "handlers/file_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/fs.h"

#define SLOTS 1024 /* at most SLOTS * FILE_CACHE_MAX_FILE bytes: 16 MiB */

static struct file_cache_entry *slots[SLOTS];
static uint64_t change_epoch;

#define MISS_SLOTS 256
#define MISS_MAX_REL 200 /* longer paths are not remembered */

static struct miss {
    unsigned long hash;
    const char *root;
    uint64_t wakeup, epoch;
    int err;
    char rel[MISS_MAX_REL];
} misses[MISS_SLOTS];

void file_cache_files_changed(void)
{
    change_epoch++;
}

static unsigned long hash_key(const char *root, const char *rel)
{
    unsigned long h = 1469598103934665603UL ^ (unsigned long)(uintptr_t)root;
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++)
        h = (h ^ *p) * 1099511628211UL;
    return h;
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool same_file(const struct file_cache_entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           same_time(e->mtime, st->st_mtim) && same_time(e->ctime, st->st_ctim);
}

void file_cache_release(struct file_cache_entry *e)
{
    if (e && --e->refs == 0) {
        free(e->data);
        free(e->rel);
        free(e);
    }
}

static void evict(size_t slot)
{
    struct file_cache_entry *e = slots[slot];
    slots[slot] = NULL;
    file_cache_release(e);
}

/* The entry for (root, rel), checked against the disk once per wake-up
 * (and change epoch), or NULL (a stale one is evicted). No reference is
 * taken. */
static struct file_cache_entry *lookup(const char *root, const char *rel, uint64_t wakeup)
{
    unsigned long h = hash_key(root, rel);
    size_t slot = h % SLOTS;
    struct file_cache_entry *e = slots[slot];
    if (!e || e->hash != h || e->root != root || strcmp(e->rel, rel) != 0)
        return NULL;
    if (e->checked == wakeup && e->checked_epoch == change_epoch)
        return e;
    /* The stat may resolve through a symlink swapped since the entry was
     * made: then the identity differs and the caller takes the checked
     * open path again. */
    struct stat st;
    int dir = fs_root_fd(root);
    if (dir < 0 || fstatat(dir, *rel ? rel : ".", &st, 0) < 0 || !same_file(e, &st)) {
        evict(slot);
        return NULL;
    }
    e->checked = wakeup;
    e->checked_epoch = change_epoch;
    return e;
}

struct file_cache_entry *file_cache_find(const char *root, const char *rel, uint64_t wakeup,
                                         bool *is_dir)
{
    struct file_cache_entry *e = lookup(root, rel, wakeup);
    *is_dir = e && e->is_dir;
    if (!e || e->is_dir)
        return NULL;
    e->refs++;
    return e;
}

struct file_cache_entry *file_cache_get(const char *root, const char *rel, uint64_t wakeup)
{
    bool is_dir;
    return file_cache_find(root, rel, wakeup, &is_dir);
}

static int read_all(int fd, char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* A new entry for (root, rel) with st's identity, not yet in the table. */
static struct file_cache_entry *entry_new(const char *root, const char *rel,
                                          const struct stat *st)
{
    struct file_cache_entry *e = calloc(1, sizeof(*e));
    if (!e || !(e->rel = strdup(rel))) {
        free(e);
        return NULL;
    }
    e->root = root;
    e->hash = hash_key(root, rel);
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = st->st_size;
    e->mtime = st->st_mtim;
    e->ctime = st->st_ctim;
    return e;
}

/* Puts e in its slot (replacing what was there) with refs references. */
static void entry_insert(struct file_cache_entry *e, unsigned refs)
{
    size_t slot = e->hash % SLOTS;
    evict(slot);
    e->refs = refs;
    slots[slot] = e;
}

struct file_cache_entry *file_cache_put(const char *root, const char *rel, int fd,
                                        const struct stat *st, const char *content_type)
{
    if (st->st_size > FILE_CACHE_MAX_FILE)
        return NULL;
    struct file_cache_entry *e = entry_new(root, rel, st);
    if (!e)
        return NULL;
    e->data = malloc(st->st_size ? (size_t)st->st_size : 1);
    if (!e->data || read_all(fd, e->data, (size_t)st->st_size) < 0) {
        e->refs = 1;
        file_cache_release(e);
        return NULL;
    }
    e->content_type = content_type;
    http_date_format(st->st_mtime, e->last_modified);
    http_etag_make(e->etag, st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (uint64_t)st->st_size);
    entry_insert(e, 2); /* the table's and the caller's */
    return e;
}

void file_cache_put_dir(const char *root, const char *rel, const struct stat *st)
{
    struct file_cache_entry *e = entry_new(root, rel, st);
    if (!e)
        return;
    e->is_dir = true;
    entry_insert(e, 1); /* the table's */
}

int file_cache_missing(const char *root, const char *rel, uint64_t wakeup)
{
    unsigned long h = hash_key(root, rel);
    const struct miss *m = &misses[h % MISS_SLOTS];
    if (m->err && m->hash == h && m->root == root && m->wakeup == wakeup &&
        m->epoch == change_epoch && strcmp(m->rel, rel) == 0)
        return m->err;
    return 0;
}

void file_cache_note_missing(const char *root, const char *rel, uint64_t wakeup, int err)
{
    size_t len = strlen(rel);
    if (len >= MISS_MAX_REL)
        return;
    unsigned long h = hash_key(root, rel);
    struct miss *m = &misses[h % MISS_SLOTS];
    m->hash = h;
    m->root = root;
    m->wakeup = wakeup;
    m->epoch = change_epoch;
    m->err = err;
    memcpy(m->rel, rel, len + 1);
}

void file_cache_clear(void)
{
    for (size_t i = 0; i < SLOTS; i++)
        evict(i);
}
