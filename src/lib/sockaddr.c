#include "lib/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

unsigned sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return 0;
}

void sockaddr_set_port(struct sockaddr_storage *ss, unsigned port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static int unknown(char *out, size_t cap)
{
    if (cap >= 2)
        memcpy(out, "-", 2);
    else if (cap == 1)
        out[0] = '\0';
    return -1;
}

int sockaddr_ip_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    const void *a;
    if (ss->ss_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    else if (ss->ss_family == AF_INET)
        a = &((const struct sockaddr_in *)ss)->sin_addr;
    else
        return unknown(out, cap);
    if (!inet_ntop(ss->ss_family, a, out, (socklen_t)cap))
        return unknown(out, cap);
    return 0;
}

int sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (sockaddr_ip_text(ss, ip, sizeof(ip)) < 0)
        return unknown(out, cap);
    unsigned port = sockaddr_port(ss);
    int n = ss->ss_family == AF_INET6 ? snprintf(out, cap, "[%s]:%u", ip, port)
                                      : snprintf(out, cap, "%s:%u", ip, port);
    if (n < 0 || (size_t)n >= cap)
        return unknown(out, cap);
    return 0;
}

bool sockaddr_equal(const struct sockaddr_storage *a, socklen_t alen,
                    const struct sockaddr_storage *b, socklen_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

bool sockaddr_is_any(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (ss->ss_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
    return false;
}

bool sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family || sockaddr_port(a) != sockaddr_port(b))
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}
