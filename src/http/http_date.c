/* IMF-fixdate formatting and parsing (RFC 9110 5.6.7), locale-free. */
#include "http/http_date.h"

#include <stdbool.h>
#include <string.h>

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The range whose year fits the format's four digits. */
#define DATE_MIN ((time_t)-62167219200LL) /* 0000-01-01 00:00:00 */
#define DATE_MAX ((time_t)253402300799LL) /* 9999-12-31 23:59:59 */

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* Times outside years 0000..9999 are clamped to that range, so the output
 * is always exactly HTTP_DATE_LEN bytes. */
void http_date_format(time_t t, char *out)
{
    struct tm tm;

    if (sizeof(time_t) > 4) {
        if (t < DATE_MIN)
            t = DATE_MIN;
        else if (t > DATE_MAX)
            t = DATE_MAX;
    }
    if (gmtime_r(&t, &tm) == NULL) {
        /* cannot happen within the clamped range; the epoch then */
        memset(&tm, 0, sizeof tm);
        tm.tm_year = 70;
        tm.tm_mday = 1;
        tm.tm_wday = 4;
    }

    int year = tm.tm_year + 1900;
    memcpy(out, day_names[tm.tm_wday], 3);
    out[3] = ',';
    out[4] = ' ';
    put2(out + 5, tm.tm_mday);
    out[7] = ' ';
    memcpy(out + 8, month_names[tm.tm_mon], 3);
    out[11] = ' ';
    put2(out + 12, year / 100);
    put2(out + 14, year % 100);
    out[16] = ' ';
    put2(out + 17, tm.tm_hour);
    out[19] = ':';
    put2(out + 20, tm.tm_min);
    out[22] = ':';
    put2(out + 23, tm.tm_sec);
    memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* Reads exactly n digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int month_index(const char *s)
{
    for (int i = 0; i < 12; i++)
        if (memcmp(s, month_names[i], 3) == 0)
            return i;
    return -1;
}

static bool is_day_name(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (memcmp(s, day_names[i], 3) == 0)
            return true;
    return false;
}

/* "08:49:37" into tm. */
static bool parse_time_of_day(const char *s, struct tm *tm)
{
    if (s[2] != ':' || s[5] != ':')
        return false;
    tm->tm_hour = digits(s, 2);
    tm->tm_min = digits(s + 3, 2);
    tm->tm_sec = digits(s + 6, 2);
    /* 60 is a leap second (RFC 5322); timegm carries it into the minute */
    return tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_sec >= 0 && tm->tm_sec <= 60;
}

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static time_t finish(struct tm *tm, int year)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (tm->tm_mon < 0 || year < 0 || tm->tm_mday < 1)
        return (time_t)-1;
    int max = mdays[tm->tm_mon] + (tm->tm_mon == 1 && is_leap(year));
    if (tm->tm_mday > max)
        return (time_t)-1;
    tm->tm_year = year - 1900;
    tm->tm_isdst = 0;
    time_t t = timegm(tm);
    /* a leap second on 9999-12-31 23:59 would carry into year 10000 */
    if (sizeof(time_t) > 4 && t > DATE_MAX)
        return (time_t)-1;
    return t;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static time_t parse_imf_fixdate(const char *s)
{
    struct tm tm = {0};
    if (!is_day_name(s) || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
        return (time_t)-1;
    tm.tm_mday = digits(s + 5, 2);
    tm.tm_mon = month_index(s + 8);
    int year = digits(s + 12, 4);
    if (!parse_time_of_day(s + 17, &tm))
        return (time_t)-1;
    return finish(&tm, year);
}

/* "Sun Nov  6 08:49:37 1994" (the day may also be "06") */
static time_t parse_asctime(const char *s)
{
    struct tm tm = {0};
    if (!is_day_name(s) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
        return (time_t)-1;
    tm.tm_mon = month_index(s + 4);
    tm.tm_mday = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
    int year = digits(s + 20, 4);
    if (!parse_time_of_day(s + 11, &tm))
        return (time_t)-1;
    return finish(&tm, year);
}

/* A two-digit year that would be more than 50 years in the future is taken
 * as the most recent past year with those digits (RFC 9110 5.6.7). */
static int full_year(int yy)
{
    struct tm now;
    time_t t = time(NULL);
    int cur = gmtime_r(&t, &now) ? now.tm_year + 1900 : 2000;
    int year = cur - cur % 100 + yy;
    if (year > cur + 50)
        year -= 100;
    return year;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static time_t parse_rfc850(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && s[n] != ',')
        n++;
    if (len != n + 24)
        return (time_t)-1;
    bool day_ok = false;
    for (int i = 0; i < 7; i++)
        if (strlen(long_day_names[i]) == n && memcmp(s, long_day_names[i], n) == 0)
            day_ok = true;
    if (!day_ok)
        return (time_t)-1;

    const char *p = s + n + 1; /* " 06-Nov-94 08:49:37 GMT" */
    struct tm tm = {0};
    if (p[0] != ' ' || p[3] != '-' || p[7] != '-' || p[10] != ' ' ||
        memcmp(p + 19, " GMT", 4) != 0)
        return (time_t)-1;
    tm.tm_mday = digits(p + 1, 2);
    tm.tm_mon = month_index(p + 4);
    int yy = digits(p + 8, 2);
    if (yy < 0 || !parse_time_of_day(p + 11, &tm))
        return (time_t)-1;
    return finish(&tm, full_year(yy));
}

/* Only the exact forms are accepted: names are case-sensitive, no extra
 * whitespace. The day name is checked to be one, not to match the date. */
time_t http_date_parse(const char *s, size_t len)
{
    if (s == NULL || len < 24)
        return (time_t)-1;
    if (len == HTTP_DATE_LEN && s[3] == ',')
        return parse_imf_fixdate(s);
    if (len == 24 && s[3] == ' ')
        return parse_asctime(s);
    return parse_rfc850(s, len);
}
