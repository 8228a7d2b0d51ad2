/* Status codes and reason phrases (RFC 9110 section 15, plus 428, 429,
 * 431 and 511 from RFC 6585 and 451 from RFC 7725), and the status a
 * failed file operation answers. */
#include "http/http_status.h"

#include <errno.h>
#include <stddef.h>

/* Indexed by status: one load on the hot path of every response head. */
static const char *const reasons[600] = {
    [100] = "Continue",
    [101] = "Switching Protocols",
    [103] = "Early Hints",
    [200] = "OK",
    [201] = "Created",
    [202] = "Accepted",
    [203] = "Non-Authoritative Information",
    [204] = "No Content",
    [205] = "Reset Content",
    [206] = "Partial Content",
    [300] = "Multiple Choices",
    [301] = "Moved Permanently",
    [302] = "Found",
    [303] = "See Other",
    [304] = "Not Modified",
    [305] = "Use Proxy",
    [306] = "(Unused)",
    [307] = "Temporary Redirect",
    [308] = "Permanent Redirect",
    [400] = "Bad Request",
    [401] = "Unauthorized",
    [402] = "Payment Required",
    [403] = "Forbidden",
    [404] = "Not Found",
    [405] = "Method Not Allowed",
    [406] = "Not Acceptable",
    [407] = "Proxy Authentication Required",
    [408] = "Request Timeout",
    [409] = "Conflict",
    [410] = "Gone",
    [411] = "Length Required",
    [412] = "Precondition Failed",
    [413] = "Content Too Large",
    [414] = "URI Too Long",
    [415] = "Unsupported Media Type",
    [416] = "Range Not Satisfiable",
    [417] = "Expectation Failed",
    [418] = "I'm a teapot",
    [421] = "Misdirected Request",
    [422] = "Unprocessable Content",
    [426] = "Upgrade Required",
    [428] = "Precondition Required",
    [429] = "Too Many Requests",
    [431] = "Request Header Fields Too Large",
    [451] = "Unavailable For Legal Reasons",
    [500] = "Internal Server Error",
    [501] = "Not Implemented",
    [502] = "Bad Gateway",
    [503] = "Service Unavailable",
    [504] = "Gateway Timeout",
    [505] = "HTTP Version Not Supported",
    [511] = "Network Authentication Required",
};

const char *http_status_reason(int status)
{
    if (status < 0 || status >= 600 || !reasons[status])
        return "Unknown";
    return reasons[status];
}

int http_status_for_errno(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG: /* longer than the file system allows: not there */
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV: /* outside the root */
    case ELOOP:
    case EISDIR:
    case EROFS:
    case EBUSY:
        return 403;
    case EEXIST:
    case ENOTEMPTY:
        return 409;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return 507;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
        return 503; /* out of descriptors or memory for now */
    default:
        return 500;
    }
}
