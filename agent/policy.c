/* SPDX-License-Identifier: MIT */
/*
 * The policy: account, sessions, subscriptions, access lists and commands, built from already
 * parsed YAML documents (pure), and the decisions made from it. Reading files is in
 * policy-load.c, access lists in policy-access.c, commands in policy-command.c.
 */
#include "jid.h"
#include "policy-internal.h"

static const char *const main_keys[] = {
    "account",       "include",  "access",  "sessions",
    "subscriptions", "commands", "plugins", "exec_max_concurrent",
    "allow_root",    NULL};
static const char *const included_keys[] = {"access", "commands", NULL};
static const char *const account_keys[] = {
    "jid",          "password", "password_file", "host",     "port", "ping_interval",
    "ping_timeout", "tls",      "ca_file",       "priority", NULL};
static const char *const sessions_keys[] = {"idle_timeout", "max_per_requester", "max_total",
                                            "rate_per_minute", NULL};
static const char *const subscriptions_keys[] = {"accept", NULL};

static struct policy *policy_new(void)
{
        struct policy *p = zalloc(sizeof(*p));

        if (!p)
                return NULL;
        p->account.tls = TLS_REQUIRED;
        p->account.ping_interval = 60 * USEC_PER_SEC;
        p->account.ping_timeout = 30 * USEC_PER_SEC;
        p->sessions = (struct sessions_config){
            .idle_timeout = 10 * 60 * USEC_PER_SEC,
            .max_per_requester = 5,
            .max_total = 200,
            .rate_per_minute = 60,
        };
        return p;
}

static void erase_free(char *s)
{
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

struct policy *policy_free(struct policy *p)
{
        if (!p)
                return NULL;
        free(p->file);
        free(p->account.jid);
        erase_free(p->account.password);
        free(p->account.password_file);
        free(p->account.host);
        free(p->account.ca_file);
        strv_free(p->remote_domains);
        strv_free(p->subscriptions_accept);
        for (size_t i = 0; i < p->n_access_lists; i++) {
                free(p->access_lists[i].name);
                access_done(&p->access_lists[i].access);
        }
        free(p->access_lists);
        for (size_t i = 0; i < p->n_commands; i++)
                command_done(&p->commands[i]);
        free(p->commands);
        for (size_t i = 0; i < p->n_features; i++)
                p->features[i].ops->free_cfg(p->features[i].cfg);
        free(p->features);
        free(p);
        return NULL;
}

void policy_ctx_done(struct policy_ctx *ctx)
{
        free(ctx->access_where);
        free(ctx->command_where);
        ctx->access_where = NULL;
        ctx->command_where = NULL;
        name_index_done(&ctx->access_by_name);
        name_index_done(&ctx->command_by_node);
}

static size_t name_hash(const char *s)
{
        size_t h = 14695981039346656037ULL; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static struct name_slot *name_index_find(struct name_slot *slots, size_t cap, const char *name)
{
        size_t i = name_hash(name) & (cap - 1);

        while (slots[i].name && !streq(slots[i].name, name))
                i = (i + 1) & (cap - 1);
        return &slots[i];
}

static int name_index_grow(struct name_index *x)
{
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct name_slot *slots = calloc(cap, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < x->cap; i++)
                if (x->slots[i].name)
                        *name_index_find(slots, cap, x->slots[i].name) = x->slots[i];
        free(x->slots);
        x->slots = slots;
        x->cap = cap;
        return 0;
}

int name_index_put(struct name_index *x, const char *name, size_t idx)
{
        /* Kept at most half full: probes stay short. */
        if ((x->n + 1) * 2 > x->cap && name_index_grow(x) < 0)
                return -ENOMEM;
        *name_index_find(x->slots, x->cap, name) = (struct name_slot){name, idx};
        x->n++;
        return 0;
}

bool name_index_get(const struct name_index *x, const char *name, size_t *ret_idx)
{
        const struct name_slot *s;

        if (x->cap == 0)
                return false;
        s = name_index_find(x->slots, x->cap, name);
        if (!s->name)
                return false;
        if (ret_idx)
                *ret_idx = s->idx;
        return true;
}

void name_index_done(struct name_index *x)
{
        free(x->slots);
        *x = (struct name_index){0};
}

static int parse_tls(struct policy_ctx *ctx, const struct ynode *n, enum tls_mode *ret)
{
        static const char *const names[] = {
            [TLS_REQUIRED] = "required",
            [TLS_DIRECT] = "direct",
            [TLS_TRUST_SELF_SIGNED] = "trust-self-signed",
            [TLS_PLAINTEXT] = "plaintext",
        };
        _cleanup_free_ char *s = NULL;

        if (ynode_string(n, &s, ctx->d) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!streq(s, names[i]))
                        continue;
                *ret = (enum tls_mode)i;
                if (*ret == TLS_PLAINTEXT)
                        return ynode_warning(n, ctx->d, "TLS disabled: for tests only");
                return 0;
        }
        return ynode_error(n, ctx->d,
                           "invalid tls '%s' (one of: required, direct, trust-self-signed, "
                           "plaintext)",
                           s);
}

static int parse_jid(struct policy_ctx *ctx, const struct ynode *account)
{
        const struct ynode *n = ynode_get(account, "jid");
        struct account *a = &ctx->p->account;

        if (!n)
                return ynode_error(account, ctx->d, "account needs a 'jid'");
        if (ynode_string(n, &a->jid, ctx->d) < 0)
                return -EINVAL;
        if (!jid_is_valid(a->jid))
                return ynode_error(n, ctx->d, "invalid account jid '%s'", a->jid);
        return 0;
}

static int parse_password(struct policy_ctx *ctx, const struct ynode *account)
{
        const struct ynode *pw = ynode_get(account, "password");
        const struct ynode *pf = ynode_get(account, "password_file");
        struct account *a = &ctx->p->account;

        if (pw && pf)
                return ynode_error(pf, ctx->d,
                                   "give either password or password_file in account, not both");
        if (!pw && !pf)
                return ynode_error(account, ctx->d, "account needs a password_file (or password)");
        if (pf)
                return ynode_string(pf, &a->password_file, ctx->d);
        if (ynode_string(pw, &a->password, ctx->d) < 0)
                return -EINVAL;
        return ynode_warning(pw, ctx->d, "password given inline; prefer password_file");
}

static int parse_connection(struct policy_ctx *ctx, const struct ynode *account)
{
        struct account *a = &ctx->p->account;
        const struct ynode *n;
        uint64_t port;
        int64_t prio;
        int r = 0;

        n = ynode_get(account, "host");
        if (n)
                r = diag_merge_error(r, ynode_string(n, &a->host, ctx->d));
        n = ynode_get(account, "port");
        if (n && ynode_uint(n, 1, 65535, &port, ctx->d) >= 0)
                a->port = (uint16_t)port;
        else if (n)
                r = diag_merge_error(r, -EINVAL);
        n = ynode_get(account, "tls");
        if (n)
                r = diag_merge_error(r, parse_tls(ctx, n, &a->tls));
        n = ynode_get(account, "ca_file");
        if (n)
                r = diag_merge_error(r, ynode_string(n, &a->ca_file, ctx->d));
        n = ynode_get(account, "priority");
        if (n && ynode_int(n, -128, 127, &prio, ctx->d) >= 0)
                a->priority = (int)prio;
        else if (n)
                r = diag_merge_error(r, -EINVAL);
        n = ynode_get(account, "ping_interval");
        if (n)
                r = diag_merge_error(r, ynode_duration_between(n, USEC_PER_SEC, USEC_INFINITY,
                                                               &a->ping_interval, ctx->d));
        n = ynode_get(account, "ping_timeout");
        if (n)
                r = diag_merge_error(r, ynode_duration_between(n, USEC_PER_SEC, USEC_INFINITY,
                                                               &a->ping_timeout, ctx->d));
        return r;
}

static int parse_account(struct policy_ctx *ctx, const struct ynode *root)
{
        const struct ynode *n = ynode_get(root, "account");
        int r;

        if (!n)
                return ynode_error(root, ctx->d, "missing 'account' section");
        if (ynode_expect(n, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, account_keys, ctx->d);
        r = diag_merge_error(r, parse_jid(ctx, n));
        r = diag_merge_error(r, parse_password(ctx, n));
        return diag_merge_error(r, parse_connection(ctx, n));
}

static int parse_unsigned(struct policy_ctx *ctx, const struct ynode *map, const char *key,
                          uint64_t max, unsigned *ret)
{
        const struct ynode *n = ynode_get(map, key);
        uint64_t v;

        if (!n)
                return 0;
        if (ynode_uint(n, 1, max, &v, ctx->d) < 0)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static int parse_sessions(struct policy_ctx *ctx, const struct ynode *n)
{
        struct sessions_config *s = &ctx->p->sessions;
        const struct ynode *v;
        int r;

        if (ynode_expect(n, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, sessions_keys, ctx->d);
        v = ynode_get(n, "idle_timeout");
        if (v)
                r = diag_merge_error(
                    r, ynode_duration_between(v, 1, USEC_INFINITY, &s->idle_timeout, ctx->d));
        r = diag_merge_error(
            r, parse_unsigned(ctx, n, "max_per_requester", 10000, &s->max_per_requester));
        r = diag_merge_error(r, parse_unsigned(ctx, n, "max_total", 1000000, &s->max_total));
        return diag_merge_error(
            r, parse_unsigned(ctx, n, "rate_per_minute", 1000000, &s->rate_per_minute));
}

static int parse_subscriptions(struct policy_ctx *ctx, const struct ynode *n)
{
        const struct ynode *v;
        int r;

        if (ynode_expect(n, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, subscriptions_keys, ctx->d);
        v = ynode_get(n, "accept");
        if (v)
                r = diag_merge_error(r,
                                     policy_parse_patterns(ctx, v, &ctx->p->subscriptions_accept));
        return r;
}

/* Included files are read by policy_load(); here their list is only checked. */
static int check_include(struct policy_ctx *ctx, const struct ynode *n)
{
        _cleanup_strv_free_ char **l = NULL;

        return ynode_strv(n, &l, ctx->d);
}

static bool key_is_main_only(const char *key)
{
        return strv_contains((char **)main_keys, key) &&
               !strv_contains((char **)included_keys, key);
}

/* plugins: a map whose keys name built-in features (mpris, ...), each configured once. */
static int check_plugins(struct policy_ctx *ctx, const struct ynode *doc, const struct ynode *n)
{
        int r = 0;

        if (ynode_expect(n, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        for (size_t i = 0; i < n->n; i++) {
                const char *key = n->keys[i]->scalar;

                if (!feature_ops_lookup(key))
                        r = diag_merge_error(
                            r, ynode_error(n->keys[i], ctx->d, "unknown plugin '%s'", key));
                else if (ynode_get(doc, key))
                        r = diag_merge_error(
                            r, ynode_error(n->keys[i], ctx->d,
                                           "'%s' is configured twice: at the top level and "
                                           "under plugins",
                                           key));
        }
        return r;
}

/* A feature's section: a top-level key, or a key under plugins:. */
static const struct ynode *feature_section(const struct ynode *root, const char *key)
{
        const struct ynode *n = ynode_get(root, key);

        return n ? n : ynode_get(ynode_get(root, "plugins"), key);
}

static int check_top_keys(struct policy_ctx *ctx, const struct ynode *doc, bool main_file)
{
        int r;

        const char *keys[ELEMENTSOF(main_keys) + 16];
        size_t n = 0;

        if (ynode_expect(doc, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        /* The known keys: the fixed ones and one per built-in feature. */
        for (size_t i = 0; main_keys[i]; i++)
                keys[n++] = main_keys[i];
        for (size_t i = 0; builtin_features[i] && n < ELEMENTSOF(keys) - 1; i++)
                keys[n++] = builtin_features[i]->key;
        keys[n] = NULL;
        r = ynode_check_keys(doc, keys, ctx->d);
        for (size_t i = 0; i < doc->n; i++) {
                const struct ynode *k = doc->keys[i];

                if (!main_file && (key_is_main_only(k->scalar) || feature_ops_lookup(k->scalar)))
                        r = diag_merge_error(
                            r, ynode_error(k, ctx->d,
                                           "'%s' may only appear in the main file; included "
                                           "files may contain access and commands",
                                           k->scalar));
                else if (main_file && streq(k->scalar, "plugins"))
                        r = diag_merge_error(r, check_plugins(ctx, doc, doc->items[i]));
        }
        return r;
}

/* The features configured in map: the main file's top level, or its plugins: section. A
 * feature configured in both places was reported by check_plugins(): parsed once. */
static int parse_features(struct policy_ctx *ctx, const struct ynode *root, const struct ynode *map)
{
        int r = 0;

        for (size_t i = 0; map && map->type == YNODE_MAP && i < map->n; i++) {
                const struct feature_ops *ops = feature_ops_lookup(map->keys[i]->scalar);
                struct feature_config *fc;
                void *cfg = NULL;
                int k;

                if (!ops || (map != root && ynode_get(root, ops->key)))
                        continue;
                k = ops->parse(map->items[i], &cfg, ctx->d);
                if (k < 0) {
                        r = diag_merge_error(r, k);
                        continue;
                }
                fc = array_grow((void **)&ctx->p->features, &ctx->p->n_features, sizeof(*fc));
                if (!fc) {
                        ops->free_cfg(cfg);
                        return -ENOMEM;
                }
                fc->ops = ops;
                fc->cfg = cfg;
        }
        return r;
}

static int parse_main(struct policy_ctx *ctx, const struct ynode *root)
{
        const struct ynode *n;
        int r;

        r = parse_account(ctx, root);
        n = ynode_get(root, "allow_root");
        if (n && ynode_bool(n, &ctx->p->allow_root, ctx->d) < 0)
                r = diag_merge_error(r, -EINVAL);
        n = ynode_get(root, "exec_max_concurrent");
        if (n) {
                uint64_t v;
                if (ynode_uint(n, 1, 1024, &v, ctx->d) < 0)
                        r = diag_merge_error(r, -EINVAL);
                else
                        ctx->p->exec_max_concurrent = (unsigned)v;
        }
        r = diag_merge_error(r, parse_features(ctx, root, root));
        r = diag_merge_error(r, parse_features(ctx, root, ynode_get(root, "plugins")));
        n = ynode_get(root, "include");
        if (n)
                r = diag_merge_error(r, check_include(ctx, n));
        n = ynode_get(root, "sessions");
        if (n)
                r = diag_merge_error(r, parse_sessions(ctx, n));
        return r;
}

static int parse_docs(struct policy_ctx *ctx, const struct ynode *const *docs, size_t n_docs)
{
        const struct ynode *n;
        int r = 0;

        for (size_t i = 0; i < n_docs; i++)
                r = diag_merge_error(r, check_top_keys(ctx, docs[i], i == 0));
        if (docs[0]->type != YNODE_MAP)
                return r;
        r = diag_merge_error(r, parse_main(ctx, docs[0]));
        /* Every access list first: commands of any file may refer to those of any other. */
        for (size_t i = 0; i < n_docs; i++)
                if ((n = ynode_get(docs[i], "access")))
                        r = diag_merge_error(r, policy_parse_access(ctx, n, i == 0));
        n = ynode_get(docs[0], "subscriptions");
        if (n)
                r = diag_merge_error(r, parse_subscriptions(ctx, n));
        for (size_t i = 0; i < n_docs; i++)
                if ((n = ynode_get(docs[i], "commands")))
                        r = diag_merge_error(r, policy_parse_commands(ctx, n));
        /* Features' commands last: they may use any access list, and written nodes come first
         * in duplicate messages. */
        for (size_t i = 0; i < ctx->p->n_features; i++) {
                const struct feature_config *fc = &ctx->p->features[i];
                const struct ynode *section = feature_section(docs[0], fc->ops->key);

                r = diag_merge_error(r, policy_add_feature_commands(ctx, fc, section));
        }
        return r;
}

int policy_from_ynodes(const struct ynode *const *docs, size_t n_docs, struct policy **ret,
                       struct diags *d)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        struct policy_ctx ctx = {.d = d};
        size_t n_errors = d->n_errors;
        int r;

        if (n_docs == 0 || !docs[0])
                return -EINVAL;
        p = policy_new();
        if (!p)
                return -ENOMEM;
        p->file = strdup(strempty(docs[0]->file));
        if (!p->file)
                return -ENOMEM;
        ctx.p = p;
        r = parse_docs(&ctx, docs, n_docs);
        policy_ctx_done(&ctx);
        if (r == -ENOMEM)
                return r;
        /* Any error reported on the way fails the whole policy, whatever the return paths. */
        if (r < 0 || d->n_errors > n_errors)
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}

const struct command *policy_find_command_for(const struct policy *p, const char *node,
                                              const struct requester *r)
{
        if (!p || !node)
                return NULL;
        for (size_t i = 0; i < p->n_commands; i++)
                if (!command_is_provider(&p->commands[i]) && streq(p->commands[i].node, node))
                        return &p->commands[i];
        /* A command written out takes precedence over one a provider makes up. */
        for (size_t i = 0; i < p->n_commands; i++) {
                const struct command *c = &p->commands[i], *found;
                size_t n = strlen(c->node);

                if (!command_is_provider(c) || strncmp(node, c->node, n) != 0 || node[n] != '/')
                        continue;
                if (r && !policy_allows(p, c, r))
                        continue;
                found = c->action->provide_find(c, node);
                if (found)
                        return found;
        }
        return NULL;
}

void policy_foreach_command(const struct policy *p, const struct requester *r,
                            void (*cb)(const struct command *c, void *userdata), void *userdata)
{
        for (size_t i = 0; p && i < p->n_commands; i++) {
                const struct command *c = &p->commands[i];

                if (!command_is_provider(c))
                        cb(c, userdata);
                else if (!r || policy_allows(p, c, r))
                        c->action->provide_list(c, cb, userdata);
        }
}

bool policy_allows(const struct policy *p, const struct command *c, const struct requester *r)
{
        if (!p || !c || !r || isempty(r->bare) || !c->has_allow)
                return false;
        if (!jid_is_valid(r->bare) || !policy_domain_is_served(p, r->bare))
                return false;
        return access_matches(&c->allow, r) && !access_matches(&c->deny, r);
}

/* A pattern without '@' is a domain and accepts all its users. */
static bool subscription_matches(const char *pattern, const char *bare)
{
        _cleanup_free_ char *dom = NULL, *want = NULL;

        if (strchr(pattern, '@'))
                return jid_match(pattern, bare);
        dom = jid_domain(bare);
        want = jid_domain(pattern);
        return dom && want && streq(dom, want);
}

bool policy_accepts_subscription(const struct policy *p, const char *bare)
{
        if (!p || isempty(bare) || !jid_is_valid(bare) || !policy_domain_is_served(p, bare))
                return false;
        STRV_FOREACH (s, p->subscriptions_accept)
                if (subscription_matches(*s, bare))
                        return true;
        return false;
}
