/* SPDX-License-Identifier: MIT */
/* Stanzas as XML text, for sending. libstrophe's xmpp_stanza_to_text() formats each tag and
 * attribute with snprintf() and allocates a copy of every escaped value; this writes the very
 * same text (tests/test-stanza.c compares the two) into one growing buffer, at a fraction of
 * the cost. Same rules: text and attribute values escape & < > ", attributes in double quotes,
 * plus one: control characters XML cannot carry become U+FFFD,
 * an xmlns equal to the parent's (or jabber:client on the top element) left out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stanza.h"

struct text {
        char *buf;
        size_t len, size;
        bool oom;
};

static void text_put(struct text *t, const char *s, size_t n)
{
        char *b;
        size_t size;

        if (t->oom || n == 0)
                return;
        if (t->len + n >= t->size) {
                size = t->size ? t->size : 256;
                while (t->len + n >= size)
                        size *= 2;
                b = realloc(t->buf, size);
                if (!b) {
                        t->oom = true;
                        return;
                }
                t->buf = b;
                t->size = size;
        }
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = 0;
}

static void text_puts(struct text *t, const char *s)
{
        text_put(t, s, strlen(s));
}

static void text_put_escaped(struct text *t, const char *s)
{
        const char *run = s;

        for (; *s; s++) {
                const char *e;

                switch (*s) {
                case '<':
                        e = "&lt;";
                        break;
                case '>':
                        e = "&gt;";
                        break;
                case '&':
                        e = "&amp;";
                        break;
                case '"':
                        e = "&quot;";
                        break;
                case '\t':
                case '\n':
                case '\r':
                        continue;
                default:
                        /* XML 1.0 has no other control characters: one that slipped through
                         * would make the server close the stream. */
                        if ((unsigned char)*s >= 0x20)
                                continue;
                        e = "\xef\xbf\xbd"; /* U+FFFD */
                        break;
                }
                text_put(t, run, s - run);
                text_puts(t, e);
                run = s + 1;
        }
        text_put(t, run, s - run);
}

static int render(struct text *t, xmpp_stanza_t *st, const char *parent_xmlns, bool top);

int stanza_attributes(xmpp_stanza_t *st, const char **stack, const char ***heap, const char ***ret)
{
        int n = xmpp_stanza_get_attribute_count(st);

        *ret = stack;
        if (n > STANZA_ATTRS_ON_STACK) {
                *heap = calloc(2 * (size_t)n, sizeof(**heap));
                if (!*heap)
                        return -ENOMEM;
                *ret = *heap;
        }
        return n > 0 ? xmpp_stanza_get_attributes(st, *ret, 2 * n) / 2 : 0;
}

static int render_attributes(struct text *t, xmpp_stanza_t *st, const char *parent_xmlns, bool top,
                             const char **ret_xmlns)
{
        const char *stack[2 * STANZA_ATTRS_ON_STACK];
        _cleanup_free_ const char **heap = NULL;
        const char **attrs;
        int n = stanza_attributes(st, stack, &heap, &attrs);

        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                const char *k = attrs[2 * i], *v = attrs[2 * i + 1];

                if (streq(k, "xmlns")) {
                        *ret_xmlns = v;
                        if (top ? streq(v, "jabber:client") : streq_ptr(v, parent_xmlns))
                                continue;
                }
                text_put(t, " ", 1);
                text_puts(t, k);
                text_put(t, "=\"", 2);
                text_put_escaped(t, v);
                text_put(t, "\"", 1);
        }
        return 0;
}

static int render(struct text *t, xmpp_stanza_t *st, const char *parent_xmlns, bool top)
{
        const char *name, *xmlns = NULL;
        xmpp_stanza_t *c;
        int r;

        if (xmpp_stanza_is_text(st)) {
                const char *s = xmpp_stanza_get_text_ptr(st);
                if (!s)
                        return -EINVAL;
                text_put_escaped(t, s);
                return 0;
        }
        name = xmpp_stanza_get_name(st);
        if (!xmpp_stanza_is_tag(st) || !name)
                return -EINVAL;
        text_put(t, "<", 1);
        text_puts(t, name);
        r = render_attributes(t, st, parent_xmlns, top, &xmlns);
        if (r < 0)
                return r;
        c = xmpp_stanza_get_children(st);
        if (!c) {
                text_put(t, "/>", 2);
                return 0;
        }
        text_put(t, ">", 1);
        for (; c; c = xmpp_stanza_get_next(c)) {
                r = render(t, c, xmlns, false);
                if (r < 0)
                        return r;
        }
        text_put(t, "</", 2);
        text_puts(t, name);
        text_put(t, ">", 1);
        return 0;
}

int stanza_to_text(xmpp_stanza_t *st, char **ret, size_t *ret_len)
{
        struct text t = {};
        int r = render(&t, st, NULL, true);

        if (r >= 0 && t.oom)
                r = -ENOMEM;
        if (r >= 0 && !t.buf)
                r = -EINVAL;
        if (r < 0) {
                free(t.buf);
                return r;
        }
        *ret = t.buf;
        *ret_len = t.len;
        return 0;
}
