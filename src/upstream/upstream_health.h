/* Active health checks of a group (upstream_health.c): started by
 * upstream_group_init when the group has a health_check path. */
#ifndef PORTICO_UPSTREAM_HEALTH_H
#define PORTICO_UPSTREAM_HEALTH_H

#include "upstream/upstream.h"

/* Checks every server now and then every health_interval_ms. 0 or -1. */
int upstream_health_start(struct upstream_group *g);
/* Closes the checks' connections and frees them, without the loop (it
 * may be gone: worker exit). */
void upstream_health_free(struct upstream_group *g);

#endif
