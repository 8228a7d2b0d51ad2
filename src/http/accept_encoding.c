/* Accept-Encoding: a byte-at-a-time state machine, so that any split of a
 * field value reads the same. */
#include "http/accept_encoding.h"

#include <stdbool.h>
#include <string.h>

#include "http/http_lex.h"
#include "lib/ascii.h"

/* Where the parser is within the current list element. */
enum {
    AE_BEFORE,       /* OWS and empty elements before one */
    AE_CODING,       /* the coding's name */
    AE_AFTER_CODING, /* OWS after it */
    AE_PARAM,        /* after a ';': OWS, more ';', or a parameter's name */
    AE_PARAM_NAME,   /* a parameter's name, up to its '=' */
    AE_VALUE_START,  /* right after the '=' */
    AE_VALUE,        /* a token value */
    AE_QUOTED,       /* a quoted-string value */
    AE_QUOTED_ESC,   /* ... right after a backslash in it */
    AE_AFTER_VALUE,  /* OWS after a value */
    AE_SKIP,         /* a broken element: ignored up to the next comma */
};

/* The value of a q parameter, read as it comes. */
enum {
    Q_NONE,  /* the parameter is not q */
    Q_START, /* nothing read yet */
    Q_INT0,  /* "0" */
    Q_INT1,  /* "1" */
    Q_FRAC0, /* "0." and up to 3 digits */
    Q_FRAC1, /* "1." and up to 3 zeros */
    Q_BAD,   /* no qvalue */
};

static const struct {
    const char *name;
    enum http_coding coding;
} known[] = {
    {"gzip", HTTP_CODING_GZIP},         {"x-gzip", HTTP_CODING_GZIP}, {"br", HTTP_CODING_BR},
    {"identity", HTTP_CODING_IDENTITY}, {"*", HTTP_CODING_ANY},
};

void accept_encoding_init(struct accept_encoding *ae)
{
    memset(ae, 0, sizeof(*ae));
    for (int i = 0; i < HTTP_CODING_COUNT; i++)
        ae->q[i] = ACCEPT_ENCODING_UNSET;
    ae->state = AE_BEFORE;
}

static bool is_tchar(unsigned char c)
{
    return HL_IS(c, HL_TCHAR);
}

static void name_byte(struct accept_encoding *ae, unsigned char c)
{
    if (ae->name_len < ACCEPT_ENCODING_NAME_MAX)
        ae->name[ae->name_len++] = (char)ascii_lower(c);
    else
        ae->name_len = ACCEPT_ENCODING_NAME_MAX + 1;
}

/* The element is complete and valid: its coding gets its q, unless an
 * earlier element named the coding already. */
static void commit(struct accept_encoding *ae)
{
    ae->state = AE_BEFORE;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t n = strlen(known[i].name);
        if (n == ae->name_len && memcmp(ae->name, known[i].name, n) == 0) {
            if (ae->q[known[i].coding] == ACCEPT_ENCODING_UNSET)
                ae->q[known[i].coding] = ae->elem_q;
            return;
        }
    }
}

/* A byte the grammar has no place for: the element is ignored (a comma
 * also ends it). */
static void broken(struct accept_encoding *ae, unsigned char c)
{
    ae->state = c == ',' ? AE_BEFORE : AE_SKIP;
}

/* One byte of a parameter's value: only a q's is looked at. */
static void value_byte(struct accept_encoding *ae, unsigned char c)
{
    static const int16_t weight[3] = {100, 10, 1};
    switch (ae->qstate) {
    case Q_START:
        ae->qstate = c == '0' ? Q_INT0 : c == '1' ? Q_INT1 : Q_BAD;
        ae->qvalue = c == '1' ? 1000 : 0;
        return;
    case Q_INT0:
    case Q_INT1:
        ae->qstate = c != '.' ? Q_BAD : ae->qstate == Q_INT0 ? Q_FRAC0 : Q_FRAC1;
        ae->qdigits = 0;
        return;
    case Q_FRAC0:
    case Q_FRAC1:
        if (ae->qdigits == 3 || !ascii_is_digit(c) || (ae->qstate == Q_FRAC1 && c != '0')) {
            ae->qstate = Q_BAD;
            return;
        }
        ae->qvalue = (int16_t)(ae->qvalue + (c - '0') * weight[ae->qdigits++]);
        return;
    default:
        return; /* not q, or already no qvalue */
    }
}

/* The parameter's value ended. Returns false when it was a q but no
 * qvalue; a q that is one becomes the element's. */
static bool value_end(struct accept_encoding *ae)
{
    if (ae->qstate == Q_NONE)
        return true;
    if (ae->qstate == Q_START || ae->qstate == Q_BAD)
        return false;
    ae->elem_q = ae->qvalue;
    return true;
}

/* After a token value, or the closing quote of a quoted one. */
static void value_done(struct accept_encoding *ae, unsigned char c, int next_state)
{
    if (!value_end(ae)) {
        broken(ae, c);
        return;
    }
    if (c == ',')
        commit(ae);
    else
        ae->state = (uint8_t)next_state;
}

/* The byte after "name" or after ';': a parameter or the element's end. */
static void param_byte(struct accept_encoding *ae, unsigned char c)
{
    if (ascii_is_blank(c) || c == ';') {
        return;
    } else if (c == ',') {
        commit(ae);
    } else if (is_tchar(c)) {
        ae->param_len = 1;
        ae->param_first = (char)ascii_lower(c);
        ae->state = AE_PARAM_NAME;
    } else {
        broken(ae, c);
    }
}

static void param_name_byte(struct accept_encoding *ae, unsigned char c)
{
    if (is_tchar(c)) {
        if (ae->param_len < 255)
            ae->param_len++;
    } else if (c == '=') {
        ae->qstate = ae->param_len == 1 && ae->param_first == 'q' ? Q_START : Q_NONE;
        ae->qvalue = 0;
        ae->qdigits = 0;
        ae->state = AE_VALUE_START;
    } else {
        broken(ae, c);
    }
}

static void value_start_byte(struct accept_encoding *ae, unsigned char c)
{
    if (c == '"') {
        if (ae->qstate != Q_NONE)
            ae->qstate = Q_BAD; /* a qvalue is never quoted */
        ae->state = AE_QUOTED;
    } else if (is_tchar(c)) {
        value_byte(ae, c);
        ae->state = AE_VALUE;
    } else {
        broken(ae, c);
    }
}

static void quoted_byte(struct accept_encoding *ae, unsigned char c)
{
    if (c == '"')
        value_done(ae, c, AE_AFTER_VALUE);
    else if (c == '\\')
        ae->state = AE_QUOTED_ESC;
    else if (!HL_IS(c, HL_VCHAR))
        broken(ae, c);
}

/* The bytes of the coding's name and the OWS after it. */
static void coding_byte(struct accept_encoding *ae, unsigned char c)
{
    if (ae->state == AE_CODING && is_tchar(c))
        name_byte(ae, c);
    else if (ascii_is_blank(c))
        ae->state = AE_AFTER_CODING;
    else if (c == ';')
        ae->state = AE_PARAM;
    else if (c == ',')
        commit(ae);
    else
        broken(ae, c);
}

static void before_byte(struct accept_encoding *ae, unsigned char c)
{
    if (ascii_is_blank(c) || c == ',')
        return;
    if (!is_tchar(c)) {
        broken(ae, c);
        return;
    }
    ae->name_len = 0;
    ae->elem_q = 1000;
    name_byte(ae, c);
    ae->state = AE_CODING;
}

static void step(struct accept_encoding *ae, unsigned char c)
{
    switch (ae->state) {
    case AE_BEFORE: before_byte(ae, c); return;
    case AE_CODING:
    case AE_AFTER_CODING: coding_byte(ae, c); return;
    case AE_PARAM: param_byte(ae, c); return;
    case AE_PARAM_NAME: param_name_byte(ae, c); return;
    case AE_VALUE_START: value_start_byte(ae, c); return;
    case AE_VALUE:
        if (is_tchar(c))
            value_byte(ae, c);
        else if (ascii_is_blank(c) || c == ';' || c == ',')
            value_done(ae, c, c == ';' ? AE_PARAM : AE_AFTER_VALUE);
        else
            broken(ae, c);
        return;
    case AE_QUOTED: quoted_byte(ae, c); return;
    case AE_QUOTED_ESC:
        ae->state = HL_IS(c, HL_VCHAR) ? AE_QUOTED : AE_SKIP;
        return;
    case AE_AFTER_VALUE: coding_byte(ae, c); return; /* OWS, ';' or ',' as after a name */
    default: /* AE_SKIP */
        if (c == ',')
            ae->state = AE_BEFORE;
        return;
    }
}

void accept_encoding_feed(struct accept_encoding *ae, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        step(ae, (unsigned char)s[i]);
}

void accept_encoding_end_field(struct accept_encoding *ae)
{
    /* The end of a field ends its last element as a comma would; an open
     * quoted-string (which would take the comma) is dropped with it. */
    step(ae, ',');
    ae->state = AE_BEFORE;
}

void accept_encoding_read(const struct http_request_head *h, struct accept_encoding *ae)
{
    accept_encoding_init(ae);
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct http_header *f = &h->headers[i];
        if (!STR_CASE_EQ(f->name, "accept-encoding"))
            continue;
        accept_encoding_feed(ae, f->value.p, f->value.len);
        accept_encoding_end_field(ae);
    }
}

unsigned accept_encoding_q(const struct accept_encoding *ae, enum http_coding c)
{
    if (ae->q[c] != ACCEPT_ENCODING_UNSET)
        return (unsigned)ae->q[c];
    if (ae->q[HTTP_CODING_ANY] != ACCEPT_ENCODING_UNSET)
        return (unsigned)ae->q[HTTP_CODING_ANY];
    return c == HTTP_CODING_IDENTITY ? 1000 : 0;
}
