/* SPDX-License-Identifier: MIT */
/*
 * XEP-0122 datatypes: lexical checks (XML Schema 1.1 lexical spaces) and exact comparison.
 * Numbers are compared on their decimal digits, never through a double, so that integers of
 * any length and decimals compare exactly. Nothing here allocates.
 */
#include "form.h"

#include <stdint.h>

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static size_t count_digits(const char *s)
{
        size_t n = 0;

        while (is_digit(s[n]))
                n++;
        return n;
}

/* A number as 0.DIGITS x 10^exp, where DIGITS start at sig and run (skipping one '.') to end. */
struct number {
        bool neg, inf, nan, zero;
        const char *sig, *end;
        int64_t exp;
};

enum number_syntax {
        NUMBER_INTEGER, /* [+-]?[0-9]+ */
        NUMBER_DECIMAL, /* [+-]?([0-9]+(.[0-9]*)?|.[0-9]+) */
        NUMBER_DOUBLE,  /* decimal, then ([eE][+-]?[0-9]+)?; or [+-]?INF or NaN */
};

/* Parses an exponent, clamping it far beyond any mantissa a form may carry. */
static bool parse_exponent(const char *s, int64_t *ret)
{
        bool neg = false;
        int64_t e = 0;
        size_t n;

        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        n = count_digits(s);
        if (n == 0 || s[n])
                return false;
        for (size_t i = 0; i < n; i++)
                e = e < 1000000000 ? e * 10 + (s[i] - '0') : e;
        *ret = neg ? -e : e;
        return true;
}

static bool parse_special(const char *s, struct number *ret)
{
        if (streq(s, "NaN")) {
                *ret = (struct number){.nan = true};
                return true;
        }
        if (streq(s, "INF") || streq(s, "+INF") || streq(s, "-INF")) {
                *ret = (struct number){.inf = true, .neg = s[0] == '-'};
                return true;
        }
        return false;
}

static bool parse_number(const char *s, enum number_syntax syntax, struct number *ret)
{
        struct number v = {};
        size_t n_int, n_frac = 0;
        const char *p = s, *frac = NULL;
        int64_t e = 0;

        if (syntax == NUMBER_DOUBLE && parse_special(s, ret))
                return true;
        if (*p == '+' || *p == '-')
                v.neg = *p++ == '-';
        n_int = count_digits(p);
        v.end = p + n_int;
        if (syntax != NUMBER_INTEGER && *v.end == '.') {
                frac = v.end + 1;
                n_frac = count_digits(frac);
                v.end = frac + n_frac;
        }
        if (n_int + n_frac == 0)
                return false;
        if (syntax == NUMBER_DOUBLE && (*v.end == 'e' || *v.end == 'E')) {
                if (!parse_exponent(v.end + 1, &e))
                        return false;
        } else if (*v.end)
                return false;

        /* Locate the first significant digit and derive the decimal exponent from it. */
        v.sig = p;
        while (v.sig < p + n_int && *v.sig == '0')
                v.sig++;
        if (v.sig < p + n_int)
                v.exp = (int64_t)(p + n_int - v.sig) + e;
        else {
                size_t z = 0;

                while (z < n_frac && frac[z] == '0')
                        z++;
                if (z == n_frac) {
                        *ret = (struct number){.zero = true};
                        return true;
                }
                v.sig = frac + z;
                v.exp = -(int64_t)z + e;
        }
        *ret = v;
        return true;
}

/* Next significant digit at *p (skipping the point), or '0' past the end. */
static char next_digit(const char **p, const char *end)
{
        if (*p < end && **p == '.')
                (*p)++;
        if (*p >= end)
                return '0';
        return *(*p)++;
}

static int magnitude_compare(const struct number *a, const struct number *b)
{
        const char *pa = a->sig, *pb = b->sig;

        if (a->exp != b->exp)
                return a->exp < b->exp ? -1 : 1;
        while (pa < a->end || pb < b->end) {
                char da = next_digit(&pa, a->end), db = next_digit(&pb, b->end);

                if (da != db)
                        return da < db ? -1 : 1;
        }
        return 0;
}

/* Orders -INF < negatives < zero < positives < INF; NaN is handled by the caller. */
static int number_compare(const struct number *a, const struct number *b)
{
        int sa = a->zero ? 0 : a->neg ? -1 : 1, sb = b->zero ? 0 : b->neg ? -1 : 1, m;

        if (sa != sb)
                return sa < sb ? -1 : 1;
        if (sa == 0)
                return 0;
        if (a->inf || b->inf)
                m = a->inf == b->inf ? 0 : a->inf ? 1 : -1;
        else
                m = magnitude_compare(a, b);
        return sa < 0 ? -m : m;
}

static int integer_compare_str(const char *a, const char *b)
{
        struct number na, nb;

        /* Only called on strings known to be integers. */
        if (!parse_number(a, NUMBER_INTEGER, &na) || !parse_number(b, NUMBER_INTEGER, &nb))
                return 0;
        return number_compare(&na, &nb);
}

/* Value bounds of the bounded integer types; NULL when open. */
static void integer_bounds(enum form_datatype dt, const char **ret_min, const char **ret_max)
{
        const char *min = NULL, *max = NULL;

        switch (dt) {
        case FORM_DT_INT:
                min = "-2147483648", max = "2147483647";
                break;
        case FORM_DT_LONG:
                min = "-9223372036854775808", max = "9223372036854775807";
                break;
        case FORM_DT_SHORT:
                min = "-32768", max = "32767";
                break;
        case FORM_DT_BYTE:
                min = "-128", max = "127";
                break;
        case FORM_DT_UNSIGNED_INT:
                min = "0", max = "4294967295";
                break;
        case FORM_DT_NON_NEGATIVE_INTEGER:
                min = "0";
                break;
        case FORM_DT_POSITIVE_INTEGER:
                min = "1";
                break;
        case FORM_DT_STRING:
        case FORM_DT_INTEGER:
        case FORM_DT_DECIMAL:
        case FORM_DT_DOUBLE:
        case FORM_DT_BOOLEAN:
        case FORM_DT_DATE:
        case FORM_DT_DATETIME:
        case FORM_DT_TIME:
        case FORM_DT_ANYURI:
        case FORM_DT_LANGUAGE:
        case _FORM_DT_MAX:
                break;
        }
        *ret_min = min;
        *ret_max = max;
}

static bool integer_check(enum form_datatype dt, const char *s)
{
        const char *min, *max;
        struct number n;

        if (!parse_number(s, NUMBER_INTEGER, &n))
                return false;
        integer_bounds(dt, &min, &max);
        if (min && integer_compare_str(s, min) < 0)
                return false;
        return !max || integer_compare_str(s, max) <= 0;
}

/* Exactly n digits as a number. */
static bool fixed_digits(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return true;
}

/* A broken-down date, time or dateTime. Years have 4 to 9 digits. */
struct moment {
        int64_t year;
        unsigned month, day, hour, minute, second;
        const char *frac; /* digits after the point, or NULL */
        size_t frac_len;
        bool has_tz;
        int tz_minutes;
};

static bool is_leap(int64_t y)
{
        return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
        static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* -?YYYY-MM-DD; years over four digits may not start with 0. */
static const char *parse_date_part(const char *s, struct moment *m)
{
        bool neg = *s == '-';
        size_t n;

        if (neg)
                s++;
        n = count_digits(s);
        if (n < 4 || n > 9 || (n > 4 && s[0] == '0'))
                return NULL;
        m->year = 0;
        for (size_t i = 0; i < n; i++)
                m->year = m->year * 10 + (s[i] - '0');
        if (neg)
                m->year = -m->year;
        s += n;
        if (s[0] != '-' || !fixed_digits(s + 1, 2, &m->month) || s[3] != '-' ||
            !fixed_digits(s + 4, 2, &m->day))
                return NULL;
        if (m->month < 1 || m->month > 12 || m->day < 1 ||
            m->day > days_in_month(m->year, m->month))
                return NULL;
        return s + 6;
}

/* hh:mm:ss(.s+)?, with 24:00:00 allowed for the end of a day. */
static const char *parse_time_part(const char *s, struct moment *m)
{
        if (!fixed_digits(s, 2, &m->hour) || s[2] != ':' || !fixed_digits(s + 3, 2, &m->minute) ||
            s[5] != ':' || !fixed_digits(s + 6, 2, &m->second))
                return NULL;
        s += 8;
        if (*s == '.') {
                m->frac = s + 1;
                m->frac_len = count_digits(m->frac);
                if (m->frac_len == 0)
                        return NULL;
                s = m->frac + m->frac_len;
        }
        if (m->minute > 59 || m->second > 59 || m->hour > 24)
                return NULL;
        if (m->hour == 24) {
                if (m->minute || m->second)
                        return NULL;
                for (size_t i = 0; i < m->frac_len; i++)
                        if (m->frac[i] != '0')
                                return NULL;
        }
        return s;
}

/* (Z|[+-]hh:mm)? up to the end of the string, hh <= 14. */
static bool parse_tz(const char *s, struct moment *m)
{
        unsigned h, mi;

        if (!*s)
                return true;
        m->has_tz = true;
        if (streq(s, "Z"))
                return true;
        if ((s[0] != '+' && s[0] != '-') || !fixed_digits(s + 1, 2, &h) || s[3] != ':' ||
            !fixed_digits(s + 4, 2, &mi) || s[6])
                return false;
        if (h > 14 || mi > 59 || (h == 14 && mi > 0))
                return false;
        m->tz_minutes = (s[0] == '-' ? -1 : 1) * (int)(h * 60 + mi);
        return true;
}

static bool parse_moment(enum form_datatype dt, const char *s, struct moment *ret)
{
        struct moment m = {.year = 2000, .month = 1, .day = 1};

        if (dt == FORM_DT_DATE || dt == FORM_DT_DATETIME) {
                s = parse_date_part(s, &m);
                if (!s)
                        return false;
        }
        if (dt == FORM_DT_DATETIME) {
                if (*s++ != 'T')
                        return false;
        }
        if (dt == FORM_DT_TIME || dt == FORM_DT_DATETIME) {
                s = parse_time_part(s, &m);
                if (!s)
                        return false;
        }
        if (!parse_tz(s, &m))
                return false;
        *ret = m;
        return true;
}

/* Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* Seconds on a common (UTC) axis; a value without a timezone is taken as UTC. */
static int64_t moment_seconds(const struct moment *m)
{
        int64_t s = days_from_civil(m->year, m->month, m->day) * 86400;

        s += (int64_t)m->hour * 3600 + m->minute * 60 + m->second;
        return s - (int64_t)m->tz_minutes * 60;
}

static int moment_compare(const struct moment *a, const struct moment *b)
{
        int64_t sa = moment_seconds(a), sb = moment_seconds(b);
        size_t n = a->frac_len > b->frac_len ? a->frac_len : b->frac_len;

        if (sa != sb)
                return sa < sb ? -1 : 1;
        for (size_t i = 0; i < n; i++) {
                char da = i < a->frac_len ? a->frac[i] : '0',
                     db = i < b->frac_len ? b->frac[i] : '0';

                if (da != db)
                        return da < db ? -1 : 1;
        }
        return 0;
}

static bool is_scheme_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' ||
               c == '-' || c == '.';
}

static bool is_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* An absolute or relative URI reference (IRI characters allowed): no spaces or controls, no
 * characters that URIs never carry, well-formed %-escapes, and a valid scheme when there is
 * one. */
static bool anyuri_check(const char *s)
{
        size_t scheme = strcspn(s, ":/?#");

        if (!utf8_is_clean(s, false))
                return false;
        for (const char *p = s; *p; p++) {
                if (strchr(" \t<>\"{}|\\^`", *p))
                        return false;
                if (*p == '%' && (!is_hex(p[1]) || !is_hex(p[2])))
                        return false;
        }
        if (s[scheme] != ':')
                return true;
        if (scheme == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        for (size_t i = 1; i < scheme; i++)
                if (!is_scheme_char(s[i]))
                        return false;
        return true;
}

bool form_datatype_check(enum form_datatype dt, const char *value)
{
        struct number n;
        struct moment m;

        if (!value)
                return false;
        switch (dt) {
        case FORM_DT_STRING:
                return true;
        case FORM_DT_INTEGER:
        case FORM_DT_INT:
        case FORM_DT_LONG:
        case FORM_DT_SHORT:
        case FORM_DT_BYTE:
        case FORM_DT_UNSIGNED_INT:
        case FORM_DT_NON_NEGATIVE_INTEGER:
        case FORM_DT_POSITIVE_INTEGER:
                return integer_check(dt, value);
        case FORM_DT_DECIMAL:
                return parse_number(value, NUMBER_DECIMAL, &n);
        case FORM_DT_DOUBLE:
                return parse_number(value, NUMBER_DOUBLE, &n);
        case FORM_DT_BOOLEAN:
                return streq(value, "true") || streq(value, "false") || streq(value, "1") ||
                       streq(value, "0");
        case FORM_DT_DATE:
        case FORM_DT_DATETIME:
        case FORM_DT_TIME:
                return parse_moment(dt, value, &m);
        case FORM_DT_ANYURI:
                return anyuri_check(value);
        case FORM_DT_LANGUAGE:
                return lang_tag_is_valid(value);
        case _FORM_DT_MAX:
                break;
        }
        return false;
}

bool form_datatype_is_ordered(enum form_datatype dt)
{
        switch (dt) {
        case FORM_DT_INTEGER:
        case FORM_DT_INT:
        case FORM_DT_LONG:
        case FORM_DT_SHORT:
        case FORM_DT_BYTE:
        case FORM_DT_UNSIGNED_INT:
        case FORM_DT_NON_NEGATIVE_INTEGER:
        case FORM_DT_POSITIVE_INTEGER:
        case FORM_DT_DECIMAL:
        case FORM_DT_DOUBLE:
        case FORM_DT_DATE:
        case FORM_DT_DATETIME:
        case FORM_DT_TIME:
                return true;
        case FORM_DT_STRING:
        case FORM_DT_BOOLEAN:
        case FORM_DT_ANYURI:
        case FORM_DT_LANGUAGE:
        case _FORM_DT_MAX:
                break;
        }
        return false;
}

int form_datatype_compare(enum form_datatype dt, const char *a, const char *b, int *ret)
{
        struct number na, nb;
        struct moment ma, mb;

        if (!form_datatype_is_ordered(dt) || !form_datatype_check(dt, a) ||
            !form_datatype_check(dt, b))
                return -EINVAL;
        if (dt == FORM_DT_DATE || dt == FORM_DT_DATETIME || dt == FORM_DT_TIME) {
                parse_moment(dt, a, &ma);
                parse_moment(dt, b, &mb);
                *ret = moment_compare(&ma, &mb);
                return 0;
        }
        /* Every integer and decimal is also a valid double, so one parser serves all. */
        parse_number(a, NUMBER_DOUBLE, &na);
        parse_number(b, NUMBER_DOUBLE, &nb);
        if (na.nan || nb.nan)
                return -EDOM;
        *ret = number_compare(&na, &nb);
        return 0;
}
