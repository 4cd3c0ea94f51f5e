/* SPDX-License-Identifier: MIT */
#include "jid.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <strings.h>

#define JID_PART_MAX 1023

/* A parsed JID that points into the input: lets the checks and comparisons run without
 * allocating. The domain span excludes a trailing dot. */
struct jid_view {
        const char *local, *domain, *resource;
        size_t local_len, domain_len, resource_len;
};

/* Controls beyond what utf8_is_clean() rejects: TAB and the C1 range (UTF-8 C2 80..C2 9F). */
static bool has_extra_controls(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '\t')
                        return true;
                if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                        return true;
        }
        return false;
}

static bool local_is_valid(const char *p, size_t n)
{
        if (n == 0 || n > JID_PART_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strchr(" \"&'/:<>@", p[i]))
                        return false;
        return true;
}

static bool ip_literal_is_valid(const char *p, size_t n)
{
        char buf[INET6_ADDRSTRLEN];
        struct in6_addr a;

        if (n < 3 || p[n - 1] != ']' || n - 2 >= sizeof(buf))
                return false;
        memcpy(buf, p + 1, n - 2);
        buf[n - 2] = 0;
        return inet_pton(AF_INET6, buf, &a) == 1;
}

/* Dot-separated labels of letters, digits, '-', '_' or non-ASCII (IDN U-labels). */
static bool domain_is_valid(const char *p, size_t n)
{
        size_t label = 0;
        bool ascii = true;

        if (n == 0 || n > JID_PART_MAX)
                return false;
        if (p[0] == '[')
                return ip_literal_is_valid(p, n);
        for (size_t i = 0; i <= n; i++) {
                unsigned char c = i < n ? (unsigned char)p[i] : '.';

                if (c == '.') {
                        if (label == 0 || (ascii && label > 63))
                                return false;
                        label = 0;
                        ascii = true;
                        continue;
                }
                if (c >= 0x80)
                        ascii = false;
                else if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
                         !(c >= '0' && c <= '9') && c != '-' && c != '_')
                        return false;
                label++;
        }
        return true;
}

static int jid_split(const char *s, struct jid_view *ret)
{
        struct jid_view v = {};
        const char *slash, *at, *bare_end;

        if (!s || !utf8_is_clean(s, false) || has_extra_controls(s))
                return -EINVAL;

        slash = strchr(s, '/');
        bare_end = slash ? slash : s + strlen(s);
        at = memchr(s, '@', (size_t)(bare_end - s));
        if (at) {
                v.local = s;
                v.local_len = (size_t)(at - s);
                if (!local_is_valid(v.local, v.local_len))
                        return -EINVAL;
                v.domain = at + 1;
        } else
                v.domain = s;
        v.domain_len = (size_t)(bare_end - v.domain);
        if (v.domain_len > 1 && v.domain[v.domain_len - 1] == '.')
                v.domain_len--;
        if (!domain_is_valid(v.domain, v.domain_len))
                return -EINVAL;
        if (slash) {
                v.resource = slash + 1;
                v.resource_len = strlen(v.resource);
                if (v.resource_len == 0 || v.resource_len > JID_PART_MAX)
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static char *domain_lower(const char *p, size_t n)
{
        char *d = strndup(p, n);

        for (char *c = d; c && *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                        *c = (char)(*c - 'A' + 'a');
        return d;
}

int jid_parse(const char *s, struct jid *ret)
{
        _cleanup_free_ char *local = NULL, *domain = NULL, *resource = NULL;
        struct jid_view v;
        int r;

        r = jid_split(s, &v);
        if (r < 0)
                return r;
        if (v.local) {
                local = strndup(v.local, v.local_len);
                if (!local)
                        return -ENOMEM;
        }
        domain = domain_lower(v.domain, v.domain_len);
        if (!domain)
                return -ENOMEM;
        if (v.resource) {
                resource = strndup(v.resource, v.resource_len);
                if (!resource)
                        return -ENOMEM;
        }
        *ret = (struct jid){
            .local = TAKE_PTR(local),
            .domain = TAKE_PTR(domain),
            .resource = TAKE_PTR(resource),
        };
        return 0;
}

void jid_done(struct jid *j)
{
        if (!j)
                return;
        free(j->local);
        free(j->domain);
        free(j->resource);
        *j = (struct jid){};
}

bool jid_is_valid(const char *s)
{
        struct jid_view v;

        return jid_split(s, &v) >= 0;
}

/* local@domain/resource with the domain in lower case; by hand, as it runs for every stanza
 * handled. */
static char *jid_format(const struct jid_view *v, bool with_resource)
{
        bool local = v->local, resource = with_resource && v->resource;
        size_t n =
            (local ? v->local_len + 1 : 0) + v->domain_len + (resource ? 1 + v->resource_len : 0);
        char *s = malloc(n + 1), *p = s;

        if (!s)
                return NULL;
        if (local) {
                p = mempcpy(p, v->local, v->local_len);
                *p++ = '@';
        }
        for (size_t i = 0; i < v->domain_len; i++) {
                char c = v->domain[i];
                *p++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        if (resource) {
                *p++ = '/';
                p = mempcpy(p, v->resource, v->resource_len);
        }
        *p = 0;
        return s;
}

char *jid_bare(const char *s)
{
        struct jid_view v;

        if (jid_split(s, &v) < 0)
                return NULL;
        return jid_format(&v, false);
}

char *jid_normalize(const char *s)
{
        struct jid_view v;

        if (jid_split(s, &v) < 0)
                return NULL;
        return jid_format(&v, true);
}

char *jid_domain(const char *s)
{
        struct jid_view v;

        if (jid_split(s, &v) < 0)
                return NULL;
        return domain_lower(v.domain, v.domain_len);
}

static bool span_case_equal(const char *a, size_t na, const char *b, size_t nb)
{
        return na == nb && strncasecmp(a, b, na) == 0;
}

static bool view_bare_equal(const struct jid_view *a, const struct jid_view *b)
{
        if (!a->local != !b->local)
                return false;
        if (a->local && !span_case_equal(a->local, a->local_len, b->local, b->local_len))
                return false;
        return span_case_equal(a->domain, a->domain_len, b->domain, b->domain_len);
}

bool jid_bare_equal(const char *a, const char *b)
{
        struct jid_view va, vb;

        if (jid_split(a, &va) < 0 || jid_split(b, &vb) < 0)
                return false;
        return view_bare_equal(&va, &vb);
}

/* Splits a pattern; *ret_wildcard says whether it is "*@domain". */
static int pattern_split(const char *pattern, struct jid_view *ret, bool *ret_wildcard)
{
        struct jid_view v;
        bool wildcard = false;

        if (!pattern)
                return -EINVAL;
        if (pattern[0] == '*' && pattern[1] == '@') {
                wildcard = true;
                pattern += 2;
        }
        if (jid_split(pattern, &v) < 0 || v.resource || (wildcard && v.local))
                return -EINVAL;
        *ret = v;
        *ret_wildcard = wildcard;
        return 0;
}

bool jid_match(const char *pattern, const char *bare)
{
        struct jid_view p, b;
        bool wildcard;

        if (pattern_split(pattern, &p, &wildcard) < 0 || jid_split(bare, &b) < 0)
                return false;
        if (!wildcard)
                return view_bare_equal(&p, &b);
        return b.local && span_case_equal(p.domain, p.domain_len, b.domain, b.domain_len);
}

bool jid_pattern_is_valid(const char *pattern)
{
        struct jid_view v;
        bool wildcard;

        return pattern_split(pattern, &v, &wildcard) >= 0;
}
