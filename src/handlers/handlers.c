/* The handler table. Places in the pipeline (docs/config.md, "The
 * handler pipeline"): redirect 1, proxy 2, status 3, cgi 4, upload 5, delete 6,
 * static 7, autoindex 8. */
#include "handlers/handlers.h"

const struct cfg_handler *const handler_table[] = {
    &handler_redirect.desc, &handler_proxy.desc,  &handler_status.desc,
    &handler_cgi.desc,      &handler_upload.desc, &handler_delete.desc,
    &handler_static.desc,   &handler_autoindex.desc, NULL,
};

void handlers_destroy(void)
{
    for (size_t i = 0; handler_table[i]; i++) {
        const struct handler *h = handler_of(handler_table[i]);
        if (h->destroy)
            h->destroy();
    }
}
