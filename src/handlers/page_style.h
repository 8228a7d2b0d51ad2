/* The frame of the HTML pages portico writes itself: directory listings
 * and the upload result. Their look is built in, since they must look
 * right on any site, with or without a stylesheet of its own; it is close
 * to the demo sites' (sites/default/css/style.css): the same palette,
 * light and dark, system fonts, the table as a card. */
#ifndef PORTICO_PAGE_STYLE_H
#define PORTICO_PAGE_STYLE_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Appends the page's head and the opening of its body. The title and the
 * h1 are `label` (trusted, not escaped) followed by name[0..len) (escaped
 * for HTML; name may be NULL when len is 0). */
void page_open(struct strbuf *b, const char *label, const char *name, size_t len);

/* Appends the footer ("portico") and closes the body and the page. */
void page_close(struct strbuf *b);

#endif
