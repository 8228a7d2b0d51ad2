/* The handler of each pipeline kind, and the kinds whose handlers have not
 * landed yet: they answer 501 when a request reaches them. */
#include "handlers/file_cache.h"
#include "handlers/handler.h"
#include "server/request.h"

static enum handler_result not_implemented(struct request *r)
{
    return request_error(r, 501);
}

const struct handler handler_proxy = {.name = "proxy", .on_request = not_implemented};

static const struct handler *const by_kind[HANDLER_KIND_COUNT] = {
    [HANDLER_REDIRECT] = &handler_redirect, [HANDLER_PROXY] = &handler_proxy,
    [HANDLER_STATUS] = &handler_status,     [HANDLER_CGI] = &handler_cgi,
    [HANDLER_UPLOAD] = &handler_upload,     [HANDLER_DELETE] = &handler_delete,
    [HANDLER_STATIC] = &handler_static,     [HANDLER_AUTOINDEX] = &handler_autoindex,
};

const struct handler *handler_get(enum handler_kind kind)
{
    return by_kind[kind];
}

void handlers_destroy(void)
{
    for (int k = 0; k < HANDLER_KIND_COUNT; k++)
        if (by_kind[k]->destroy)
            by_kind[k]->destroy();
    file_cache_clear();
}
