/* ASCII byte classes and hex digits, independent of the C locale: protocol
 * bytes are never letters of another alphabet. */
#ifndef PORTICO_ASCII_H
#define PORTICO_ASCII_H

#include <stdbool.h>
#include <stddef.h>

/* c with 'A'..'Z' mapped to 'a'..'z'; every other byte unchanged. */
static inline unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* c with 'a'..'z' mapped to 'A'..'Z'; every other byte unchanged. */
static inline unsigned char ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : c;
}

/* SP or HTAB: C's isblank, HTTP's OWS bytes. */
static inline bool ascii_is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* '0'..'9'. */
static inline bool ascii_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* '0'..'9', 'A'..'Z', 'a'..'z'. */
static inline bool ascii_is_alnum(unsigned char c)
{
    unsigned char l = ascii_lower(c);
    return ascii_is_digit(c) || (l >= 'a' && l <= 'z');
}

/* A tchar, a byte of an HTTP token (RFC 9110 5.6.2): a letter, a digit or
 * one of !#$%&'*+-.^_`|~. */
static inline bool ascii_is_tchar(unsigned char c)
{
    static const char marks[] = "!#$%&'*+-.^_`|~";
    if (ascii_is_alnum(c))
        return true;
    for (size_t i = 0; i < sizeof marks - 1; i++)
        if (c == (unsigned char)marks[i])
            return true;
    return false;
}

/* The value 0..15 of a hex digit of either case, or -1 for any other byte. */
static inline int ascii_hex_value(unsigned char c)
{
    if (ascii_is_digit(c))
        return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The upper-case hex digit of the low four bits of n ("0".."F"). */
static inline char ascii_hex_upper(unsigned n)
{
    return "0123456789ABCDEF"[n & 15];
}

/* The lower-case hex digit of the low four bits of n ("0".."f"). */
static inline char ascii_hex_lower(unsigned n)
{
    return "0123456789abcdef"[n & 15];
}

/* a[0..n) and b[0..n) are equal once both are lower-cased. */
static inline bool ascii_case_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

#endif
