/* SPDX-License-Identifier: MIT */
/* Audit lines are written for every command, so they are built by hand in a buffer on the
 * stack (the heap only for a line longer than that) rather than through stdio streams. */
#include "audit.h"

#include <stdio.h>

#include "log.h"

#define AUDIT_LINE_STACK 512

/* A line being built in buf: len counts what the whole line takes even past size, so that one
 * pass tells whether it fit; buf always holds a NUL-terminated prefix. */
struct line {
        char *buf;
        size_t size, len;
};

static void line_put(struct line *l, const char *s, size_t n)
{
        if (l->len < l->size) {
                size_t room = l->size - 1 - l->len, k = n < room ? n : room;
                memcpy(l->buf + l->len, s, k);
                l->buf[l->len + k] = 0;
        }
        l->len += n;
}

static void line_puts(struct line *l, const char *s)
{
        line_put(l, s, strlen(s));
}

/* The one escaping rule of audit lines and argv: v in double quotes, quotes and backslashes
 * with a backslash, control characters as \xNN. Plain runs go to put() in one piece. */
static void quote(const char *v, void (*put)(void *sink, const char *s, size_t n), void *sink)
{
        static const char hex[] = "0123456789abcdef";
        const char *p = strempty(v), *run = p;

        put(sink, "\"", 1);
        for (; *p; p++) {
                unsigned char c = (unsigned char)*p;
                char q[4] = {'\\', (char)c};
                size_t n = 2;

                if (c >= ' ' && c != 0x7f && c != '"' && c != '\\')
                        continue;
                if (c != '"' && c != '\\') {
                        q[1] = 'x';
                        q[2] = hex[c >> 4];
                        q[3] = hex[c & 0xf];
                        n = 4;
                }
                put(sink, run, p - run);
                put(sink, q, n);
                run = p + 1;
        }
        put(sink, run, p - run);
        put(sink, "\"", 1);
}

static void file_put(void *sink, const char *s, size_t n)
{
        fwrite(s, 1, n, sink);
}

void audit_quote(FILE *f, const char *v)
{
        quote(v, file_put, f);
}

static void line_put_sink(void *sink, const char *s, size_t n)
{
        line_put(sink, s, n);
}

/* Writes v so that a log reader can split fields on spaces: quoted when it holds anything but
 * plain characters, with control characters escaped so one event stays one line. */
static void line_field(struct line *l, const char *key, const char *v)
{
        bool plain = !isempty(v);

        for (const char *p = strempty(v); *p && plain; p++)
                if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == '=')
                        plain = false;
        line_put(l, " ", 1);
        line_puts(l, key);
        line_put(l, "=", 1);
        if (plain)
                line_puts(l, v);
        else
                quote(v, line_put_sink, l);
}

/* Decimal digits of v, at least min_digits of them (zero-padded). */
static void line_uint(struct line *l, unsigned long long v, size_t min_digits)
{
        char d[24];
        size_t n = 0;

        do {
                d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v > 0 || n < min_digits);
        line_put(l, d + sizeof(d) - n, n);
}

static void audit_render(struct line *l, const struct audit_event *e)
{
        line_puts(l, "audit:");
        line_field(l, "from", e->requester);
        line_field(l, "node", e->node);
        line_field(l, "stage", e->stage);
        line_field(l, "outcome", e->outcome);
        line_puts(l, " duration=");
        line_uint(l, e->duration / 1000, 1);
        line_put(l, ".", 1);
        line_uint(l, e->duration % 1000, 3);
        line_puts(l, "ms");
        if (e->detail)
                line_field(l, "detail", e->detail);
}

/* Renders e into buf if it fits, else into a heap buffer returned in *ret_heap. Returns the
 * line, or NULL when out of memory. */
static const char *audit_render_in(const struct audit_event *e, char *buf, size_t size,
                                   char **ret_heap)
{
        struct line l = {.buf = buf, .size = size};
        char *heap;

        *ret_heap = NULL;
        audit_render(&l, e);
        if (l.len < size)
                return buf;
        heap = malloc(l.len + 1);
        if (!heap)
                return NULL;
        l = (struct line){.buf = heap, .size = l.len + 1};
        audit_render(&l, e);
        *ret_heap = heap;
        return heap;
}

char *audit_format(const struct audit_event *e)
{
        char *heap;
        const char *s = audit_render_in(e, NULL, 0, &heap);

        return s ? heap : NULL;
}

void audit_log(const struct audit_event *e)
{
        char buf[AUDIT_LINE_STACK];
        _cleanup_free_ char *heap = NULL;
        const char *line = audit_render_in(e, buf, sizeof(buf), &heap);

        if (line)
                log_info("%s", line);
        else
                log_error("audit: out of memory formatting an audit event for %s",
                          strempty(e->node));
}
