/* SPDX-License-Identifier: MIT */
/*
 * Access lists and the allow/deny of commands:
 *
 *   access:
 *     remote_domains: [partner.example]
 *     admins: {groups: [Admins], jids: [alice@example.org, "*@ops.example.org"]}
 *   commands:
 *     - {node: x, allow: admins, deny: {jids: [mallory@example.org]}, ...}
 *     - {node: y, allow: {access: [admins], groups: [Operators]}, ...}
 */
#include <stdio.h>

#include "jid.h"
#include "policy-internal.h"

static const char *const access_keys[] = {"groups", "jids", NULL};
static const char *const allow_keys[] = {"groups", "jids", "access", NULL};

void access_done(struct access *a)
{
        a->groups = strv_free(a->groups);
        a->jids = strv_free(a->jids);
}

char *policy_where(const struct ynode *n)
{
        char *s;

        if (asprintf(&s, "%s:%u:%u", n->file, n->line, n->col) < 0)
                return NULL;
        return s;
}

/* The domain of a JID or pattern, normalised; NULL if invalid or on OOM. */
static char *pattern_domain(const char *pattern)
{
        if (pattern[0] == '*' && pattern[1] == '@')
                pattern += 2;
        return jid_domain(pattern);
}

bool policy_domain_is_served(const struct policy *p, const char *jid)
{
        _cleanup_free_ char *dom = NULL, *own = NULL;

        dom = pattern_domain(jid);
        own = jid_domain(p->account.jid);
        if (!dom || !own)
                return false;
        return streq(dom, own) || strv_contains(p->remote_domains, dom);
}

bool access_matches(const struct access *a, const struct requester *r)
{
        if (!a || !r || isempty(r->bare))
                return false;
        STRV_FOREACH (j, a->jids)
                if (jid_match(*j, r->bare))
                        return true;
        STRV_FOREACH (g, a->groups)
                if (strv_contains(r->groups, *g))
                        return true;
        return false;
}

static bool is_domain(const char *s)
{
        return jid_is_valid(s) && !strpbrk(s, "@/");
}

static int check_pattern(struct policy_ctx *ctx, const struct ynode *n, bool allow_domain)
{
        const char *s = n->scalar;

        if (!jid_pattern_is_valid(s))
                return ynode_error(n, ctx->d,
                                   "invalid JID pattern '%s' (expected user@domain or *@domain%s)",
                                   s, allow_domain ? " or domain" : "");
        /* In access lists a domain alone would only match the server itself: surely a mistake. */
        if (!allow_domain && is_domain(s))
                return ynode_error(n, ctx->d, "'%s' is a domain: write '*@%s' for all its users", s,
                                   s);
        /* Without a valid account there is no own domain to compare with. */
        if (jid_is_valid(ctx->p->account.jid) && !policy_domain_is_served(ctx->p, s))
                return ynode_warning(n, ctx->d,
                                     "'%s' is outside the account's domain and remote_domains: "
                                     "it never matches",
                                     s);
        return 0;
}

static int parse_pattern_list(struct policy_ctx *ctx, const struct ynode *n, bool allow_domain,
                              char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = ynode_strv(n, &l, ctx->d);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                const struct ynode *item = n->type == YNODE_SEQ ? n->items[i] : n;
                int k = check_pattern(ctx, item, allow_domain);
                r = diag_merge_error(r, k);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int policy_parse_patterns(struct policy_ctx *ctx, const struct ynode *n, char ***ret)
{
        return parse_pattern_list(ctx, n, true, ret);
}

static int parse_groups(struct policy_ctx *ctx, const struct ynode *n, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = ynode_strv(n, &l, ctx->d);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++)
                if (!utf8_is_clean(l[i], false))
                        r = ynode_error(n->type == YNODE_SEQ ? n->items[i] : n, ctx->d,
                                        "invalid group name '%s'", l[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int strv_extend_all(char ***dst, char *const *src)
{
        STRV_FOREACH (s, (char **)src)
                if (strv_extend(dst, *s) < 0)
                        return -ENOMEM;
        return 0;
}

static int access_merge(struct access *dst, const struct access *src)
{
        if (strv_extend_all(&dst->groups, src->groups) < 0 ||
            strv_extend_all(&dst->jids, src->jids) < 0)
                return -ENOMEM;
        return 0;
}

/* {groups, jids}: the body of a named access list and part of an inline allow/deny. */
static int parse_access_body(struct policy_ctx *ctx, const struct ynode *n, struct access *a)
{
        _cleanup_strv_free_ char **groups = NULL, **jids = NULL;
        const struct ynode *v;
        int r = 0;

        v = ynode_get(n, "groups");
        if (v)
                r = diag_merge_error(r, parse_groups(ctx, v, &groups));
        v = ynode_get(n, "jids");
        if (v)
                r = diag_merge_error(r, parse_pattern_list(ctx, v, false, &jids));
        if (r < 0)
                return r;
        if (strv_extend_all(&a->groups, groups) < 0 || strv_extend_all(&a->jids, jids) < 0)
                return -ENOMEM;
        return 0;
}

static const struct named_access *find_access(const struct policy_ctx *ctx, const char *name,
                                              size_t *ret_idx)
{
        size_t i;

        if (!name_index_get(&ctx->access_by_name, name, &i))
                return NULL;
        if (ret_idx)
                *ret_idx = i;
        return &ctx->p->access_lists[i];
}

static int add_named_access(struct policy_ctx *ctx, const struct ynode *key, struct access *a)
{
        struct policy *p = ctx->p;
        const struct ynode **where;
        struct named_access *na;
        char *name;

        where = reallocarray(ctx->access_where, p->n_access_lists + 1, sizeof(*where));
        if (!where)
                return -ENOMEM;
        ctx->access_where = where;
        name = strdup(key->scalar);
        if (!name)
                return -ENOMEM;
        na = array_grow((void **)&p->access_lists, &p->n_access_lists, sizeof(*na));
        if (!na) {
                free(name);
                return -ENOMEM;
        }
        na->name = name;
        na->access = *a;
        *a = (struct access){0};
        where[p->n_access_lists - 1] = key;
        return name_index_put(&ctx->access_by_name, name, p->n_access_lists - 1);
}

static int parse_named_access(struct policy_ctx *ctx, const struct ynode *key,
                              const struct ynode *value)
{
        struct access a = {0};
        size_t first;
        int r;

        if (find_access(ctx, key->scalar, &first)) {
                _cleanup_free_ char *at = policy_where(ctx->access_where[first]);
                if (!at)
                        return -ENOMEM;
                return ynode_error(key, ctx->d, "duplicate access list '%s' (first defined at %s)",
                                   key->scalar, at);
        }
        if (ynode_check_keys(value, access_keys, ctx->d) < 0)
                return -EINVAL;
        r = parse_access_body(ctx, value, &a);
        if (r >= 0)
                r = add_named_access(ctx, key, &a);
        access_done(&a);
        return r;
}

static int parse_remote_domains(struct policy_ctx *ctx, const struct ynode *n, bool main_file)
{
        _cleanup_strv_free_ char **l = NULL, **norm = NULL;
        int r;

        if (!main_file)
                return ynode_error(n, ctx->d, "remote_domains may only be set in the main file");
        r = ynode_strv(n, &l, ctx->d);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                const struct ynode *item = n->type == YNODE_SEQ ? n->items[i] : n;
                if (!is_domain(l[i])) {
                        r = ynode_error(item, ctx->d, "invalid domain '%s' in remote_domains",
                                        l[i]);
                        continue;
                }
                /* Stored normalised: requesters' domains are compared with streq(). */
                if (strv_consume(&norm, jid_domain(l[i])) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        strv_free(ctx->p->remote_domains);
        ctx->p->remote_domains = TAKE_PTR(norm);
        return 0;
}

int policy_parse_access(struct policy_ctx *ctx, const struct ynode *n, bool main_file)
{
        const struct ynode *rd;
        int r = 0;

        if (ynode_expect(n, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        /* First, so that the lists' patterns can be checked against the served domains. */
        rd = ynode_get(n, "remote_domains");
        if (rd)
                r = parse_remote_domains(ctx, rd, main_file);
        for (size_t i = 0; i < n->n; i++) {
                if (streq(n->keys[i]->scalar, "remote_domains"))
                        continue;
                r = diag_merge_error(r, parse_named_access(ctx, n->keys[i], n->items[i]));
        }
        return r;
}

static int merge_named(struct policy_ctx *ctx, const struct ynode *n, struct access *a)
{
        const struct named_access *na;

        if (n->type != YNODE_SCALAR || ynode_is_null(n))
                return ynode_error(n, ctx->d, "expected the name of an access list");
        na = find_access(ctx, n->scalar, NULL);
        if (!na)
                return ynode_error(n, ctx->d, "unknown access list '%s'", n->scalar);
        return access_merge(a, &na->access);
}

static int merge_named_list(struct policy_ctx *ctx, const struct ynode *n, struct access *a)
{
        int r = 0;

        if (n->type != YNODE_SEQ)
                return merge_named(ctx, n, a);
        for (size_t i = 0; i < n->n; i++)
                r = diag_merge_error(r, merge_named(ctx, n->items[i], a));
        return r;
}

/* A name, a list of names, or {groups, jids, access: [names]}; all merged into one access. */
int policy_parse_allow(struct policy_ctx *ctx, const struct ynode *n, struct access *ret)
{
        struct access a = {0};
        const struct ynode *v;
        int r = 0;

        if (n->type != YNODE_MAP) {
                r = merge_named_list(ctx, n, &a);
        } else {
                r = ynode_check_keys(n, allow_keys, ctx->d);
                r = diag_merge_error(r, parse_access_body(ctx, n, &a));
                v = ynode_get(n, "access");
                if (v)
                        r = diag_merge_error(r, merge_named_list(ctx, v, &a));
        }
        if (r < 0) {
                access_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}
