/* The handler table. Places in the pipeline (docs/config.md, "The
 * handler pipeline"): redirect 1, proxy 2, status 3, cgi 4, upload 5, delete 6,
 * static 7, autoindex 8. */
#include "handlers/handlers.h"

const struct cfg_handler *const handler_table[] = {
    &handler_redirect.desc, &handler_proxy.desc,  &handler_status.desc,
    &handler_cgi.desc,      &handler_upload.desc, &handler_delete.desc,
    &handler_static.desc,   &handler_autoindex.desc, NULL,
};

int handlers_start(const struct config *cfg, struct loop *loop, struct worker_stats *stats)
{
    for (size_t i = 0; handler_table[i]; i++) {
        const struct handler *h = handler_of(handler_table[i]);
        if (h->start && h->start(cfg, loop, stats) < 0)
            return -1;
    }
    return 0;
}

void handlers_destroy(void)
{
    for (size_t i = 0; handler_table[i]; i++) {
        const struct handler *h = handler_of(handler_table[i]);
        if (h->destroy)
            h->destroy();
    }
}
