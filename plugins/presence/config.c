/* SPDX-License-Identifier: MIT */
/*
 * The "presence:" section. Pure: builds a presence_config from the YAML tree or reports
 * diagnostics with their positions. alerts.to and control name people like a command's allow:
 * (an access-list name or a map); presence_config_link() resolves them once the policy knows
 * every access list.
 *
 *   presence:
 *     interval: 30s
 *     min_update: 60s
 *     status: "load {load1} · / {disk_used_pct:/}%"      # or {en: ..., fr: ...}
 *     probes: {builtin: [load, memory, disk:/, uptime, failed_units],
 *              script: {argv: [/usr/local/bin/health], timeout: 5s}}
 *     show: [{when: "disk_used_pct:/ >= 95", show: dnd}]
 *     alerts: {to: admins, on: show-change, max_per_hour: 6}   # or {groups: [...], jids: [...]}
 *     control: {jids: [alice@example.org]}             # or an access-list name
 *     root: /
 */
#include <stdio.h>

#include "presence-internal.h"

#define DEFAULT_INTERVAL     (30 * USEC_PER_SEC)
#define DEFAULT_MIN_UPDATE   (60 * USEC_PER_SEC)
#define DEFAULT_TIMEOUT      (5 * USEC_PER_SEC)
#define DEFAULT_MAX_PER_HOUR 6
#define MAX_DURATION         (24 * 3600 * USEC_PER_SEC)

static const char *const show_names[_PRESENCE_SHOW_MAX] = {
    [PRESENCE_AVAILABLE] = "available",
    [PRESENCE_CHAT] = "chat",
    [PRESENCE_AWAY] = "away",
    [PRESENCE_XA] = "xa",
    [PRESENCE_DND] = "dnd",
};

const char *presence_show_name(enum presence_show s)
{
        return s < _PRESENCE_SHOW_MAX ? show_names[s] : "?";
}

const char *presence_show_xmpp(enum presence_show s)
{
        return s == PRESENCE_AVAILABLE ? NULL : presence_show_name(s);
}

int presence_show_from_string(const char *s, enum presence_show *ret)
{
        if (isempty(s)) {
                *ret = PRESENCE_AVAILABLE;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(show_names); i++)
                if (streq(s, show_names[i])) {
                        *ret = (enum presence_show)i;
                        return 0;
                }
        return -EINVAL;
}

bool presence_show_is_normal(enum presence_show s)
{
        return s == PRESENCE_AVAILABLE || s == PRESENCE_CHAT;
}

/* The values each probe provides; disk:PATH provides these names followed by ":PATH". */
struct probe_info {
        enum presence_probe_kind kind;
        const char *key;
        const char *const names[5];
        const char *fragment; /* its part of the default status */
};

static const struct probe_info probe_table[] = {
    {PRESENCE_PROBE_LOAD, "load", {"load1", "load5", "load15"}, "load {load1}"},
    {PRESENCE_PROBE_MEMORY,
     "memory",
     {"mem_used_pct", "mem_total_mb", "mem_available_mb", "swap_used_pct"},
     "mem {mem_used_pct}%"},
    {PRESENCE_PROBE_DISK, "disk", {"disk_used_pct", "disk_free_gb"}, NULL},
    {PRESENCE_PROBE_UPTIME, "uptime", {"uptime"}, "up {uptime}"},
    {PRESENCE_PROBE_FAILED_UNITS, "failed_units", {"failed_units"}, "failed units {failed_units}"},
};

static const struct probe_info *probe_entry(enum presence_probe_kind kind)
{
        for (size_t i = 0; i < ELEMENTSOF(probe_table); i++)
                if (probe_table[i].kind == kind)
                        return &probe_table[i];
        abort(); /* every kind has its row */
}

static const char *const default_probes[] = {"load", "memory", "uptime", NULL};

static void rule_done(struct presence_rule *r)
{
        presence_expr_free(r->when);
        free(r->source);
}

static void access_clear(struct access *a)
{
        a->groups = strv_free(a->groups);
        a->jids = strv_free(a->jids);
}

struct presence_config *presence_config_free(struct presence_config *c)
{
        if (!c)
                return NULL;
        i18n_done(&c->status);
        for (size_t i = 0; i < c->n_probes; i++) {
                free(c->probes[i].path);
                free(c->probes[i].label);
        }
        free(c->probes);
        strv_free(c->script_argv);
        for (size_t i = 0; i < c->n_rules; i++)
                rule_done(&c->rules[i]);
        free(c->rules);
        access_clear(&c->alerts_to);
        access_clear(&c->control);
        free(c->root);
        free(c);
        return NULL;
}

static bool probe_provides(const struct presence_probe *p, const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(probe_table); i++) {
                if (probe_table[i].kind != p->kind)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(probe_table[i].names); k++) {
                        const char *n = probe_table[i].names[k];
                        size_t len;

                        if (!n)
                                break;
                        if (p->kind != PRESENCE_PROBE_DISK) {
                                if (streq(n, name))
                                        return true;
                                continue;
                        }
                        len = strlen(n);
                        if (strncmp(name, n, len) == 0 && name[len] == ':' &&
                            streq(name + len + 1, p->path))
                                return true;
                }
        }
        return false;
}

bool presence_config_provides(const struct presence_config *c, const char *name)
{
        for (size_t i = 0; i < c->n_probes; i++)
                if (probe_provides(&c->probes[i], name))
                        return true;
        /* Anything a script may print could come from it: only known at run time. */
        return c->script_argv && presence_script_key_is_valid(name);
}

/* Which probe to add for an unknown name, as configured in probes.builtin. */
static char *probe_hint(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(probe_table); i++)
                for (size_t k = 0; k < ELEMENTSOF(probe_table[i].names); k++) {
                        const char *n = probe_table[i].names[k];
                        size_t len = n ? strlen(n) : 0;
                        char *s = NULL;

                        if (!n)
                                break;
                        if (probe_table[i].kind == PRESENCE_PROBE_DISK) {
                                if (strncmp(name, n, len) == 0 && name[len] == ':' &&
                                    asprintf(&s, "disk:%s", name + len + 1) < 0)
                                        return NULL;
                                if (s)
                                        return s;
                        } else if (streq(name, n)) {
                                return strdup(probe_table[i].key);
                        }
                }
        return NULL;
}

static int unknown_name(const struct ynode *n, const char *tpl, size_t off, const char *name,
                        struct diags *d)
{
        _cleanup_free_ char *hint = probe_hint(name);
        unsigned line, col;
        int r;

        presence_scalar_pos(n, tpl, off, &line, &col);
        if (hint)
                r = diags_add(d, DIAG_ERROR, n->file, line, col,
                              "value '%s' needs the probe '%s' in presence.probes.builtin", name,
                              hint);
        else if (presence_script_key_is_valid(name))
                r = diags_add(d, DIAG_ERROR, n->file, line, col,
                              "unknown value '%s' (no probe provides it; a probes.script may)",
                              name);
        else
                r = diags_add(d, DIAG_ERROR, n->file, line, col, "unknown value '%s'", name);
        return r == -ENOMEM ? r : -EINVAL;
}

struct check_ctx {
        const struct presence_config *c;
        const struct ynode *n;
        const char *text;
        struct diags *d;
        int r;
};

static int check_template_name(const char *name, size_t len, size_t offset, void *userdata)
{
        struct check_ctx *ctx = userdata;
        _cleanup_free_ char *s = strndup(name, len);

        if (!s)
                return -ENOMEM;
        if (!presence_config_provides(ctx->c, s))
                ctx->r =
                    diag_merge_error(ctx->r, unknown_name(ctx->n, ctx->text, offset, s, ctx->d));
        return ctx->r == -ENOMEM ? -ENOMEM : 0;
}

static int check_template(const struct presence_config *c, const struct ynode *n, const char *tpl,
                          struct diags *d)
{
        struct check_ctx ctx = {.c = c, .n = n, .text = tpl, .d = d};
        const char *msg = NULL;
        size_t off = 0;
        unsigned line, col;
        int r;

        if (!utf8_is_clean(tpl, false))
                return ynode_error(n, d, "the status must be one line of text");
        r = presence_status_parse(tpl, check_template_name, &ctx, &off, &msg);
        if (r == -EINVAL) {
                presence_scalar_pos(n, tpl, off, &line, &col);
                r = diags_add(d, DIAG_ERROR, n->file, line, col, "%s in the status", msg);
                return r == -ENOMEM ? r : -EINVAL;
        }
        return r < 0 ? r : ctx.r;
}

static int parse_status(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        int r;

        r = i18n_from_ynode(n, &c->status, d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->status.n; i++) {
                const struct ynode *where = n->type == YNODE_MAP ? n->items[i] : n;
                r = diag_merge_error(r, check_template(c, where, c->status.v[i].text, d));
        }
        return r;
}

static int default_status(struct presence_config *c)
{
        _cleanup_free_ char *s = strdup("");

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_probes; i++) {
                const struct presence_probe *p = &c->probes[i];
                char *n;
                int k;

                if (p->kind == PRESENCE_PROBE_DISK)
                        k = asprintf(&n, "%s%s%s {disk_used_pct:%s}%%", s, *s ? " · " : "", p->path,
                                     p->path);
                else
                        k = asprintf(&n, "%s%s%s", s, *s ? " · " : "",
                                     probe_entry(p->kind)->fragment);
                if (k < 0)
                        return -ENOMEM;
                free(s);
                s = n;
        }
        return *s ? i18n_set_plain(&c->status, s) : 0;
}

static int add_probe(struct presence_config *c, const struct ynode *n, const char *label,
                     struct diags *d)
{
        struct presence_probe p = {0};
        struct presence_probe *slot;
        bool found = false;

        for (size_t i = 0; i < c->n_probes; i++)
                if (streq(c->probes[i].label, label))
                        return ynode_error(n, d, "probe '%s' listed twice", label);
        if (strncmp(label, "disk:", 5) == 0) {
                _cleanup_free_ char *name = NULL;

                if (label[5] != '/')
                        return ynode_error(n, d, "disk probe needs an absolute path: 'disk:/home'");
                if (asprintf(&name, "disk_used_pct:%s", label + 5) < 0)
                        return -ENOMEM;
                if (presence_name_span(name) != strlen(name))
                        return ynode_error(n, d,
                                           "disk path '%s' may not hold spaces or any of (){}<>=!",
                                           label + 5);
                p.kind = PRESENCE_PROBE_DISK;
                found = true;
                p.path = strdup(label + 5);
                if (!p.path)
                        return -ENOMEM;
        }
        for (size_t i = 0; !found && i < ELEMENTSOF(probe_table); i++)
                if (probe_table[i].kind != PRESENCE_PROBE_DISK &&
                    streq(label, probe_table[i].key)) {
                        p.kind = probe_table[i].kind;
                        found = true;
                }
        if (!found)
                return ynode_error(n, d,
                                   "unknown probe '%s' (expected load, memory, disk:PATH, "
                                   "uptime or failed_units)",
                                   label);
        p.label = strdup(label);
        slot = p.label ? array_grow((void **)&c->probes, &c->n_probes, sizeof(*c->probes)) : NULL;
        if (!slot) {
                free(p.path);
                free(p.label);
                return -ENOMEM;
        }
        *slot = p;
        return 0;
}

static int parse_builtin(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = ynode_strv(n, &l, d);
        for (size_t i = 0; r >= 0 && l[i]; i++)
                r = diag_merge_error(r,
                                     add_probe(c, n->type == YNODE_SEQ ? n->items[i] : n, l[i], d));
        return r;
}

static int parse_script(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        static const char *const keys[] = {"argv", "timeout", NULL};
        const struct ynode *argv = ynode_get(n, "argv"), *timeout = ynode_get(n, "timeout");
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, keys, d);
        c->script_timeout = DEFAULT_TIMEOUT;
        if (timeout)
                r = diag_merge_error(r, ynode_duration_between(timeout, 100 * USEC_PER_MSEC,
                                                               600 * USEC_PER_SEC,
                                                               &c->script_timeout, d));
        if (!argv)
                return diag_merge_error(
                    r, ynode_error(n, d, "the probe script needs argv: [/path/to/script]"));
        r = diag_merge_error(r, ynode_strv(argv, &c->script_argv, d));
        if (c->script_argv && !c->script_argv[0])
                r = diag_merge_error(r, ynode_error(argv, d, "argv is empty"));
        else if (c->script_argv && c->script_argv[0][0] != '/')
                r = diag_merge_error(
                    r,
                    ynode_error(argv, d, "argv[0] must be an absolute path (no PATH lookup): '%s'",
                                c->script_argv[0]));
        return r;
}

static int parse_probes(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        static const char *const keys[] = {"builtin", "script", NULL};
        const struct ynode *v;
        int r;

        if (!n) {
                for (size_t i = 0; default_probes[i]; i++) {
                        r = add_probe(c, NULL, default_probes[i], d);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, keys, d);
        v = ynode_get(n, "builtin");
        if (v)
                r = diag_merge_error(r, parse_builtin(c, v, d));
        v = ynode_get(n, "script");
        if (v)
                r = diag_merge_error(r, parse_script(c, v, d));
        return r;
}

static int check_expr_name(const struct presence_expr *e, void *userdata)
{
        struct check_ctx *ctx = userdata;

        if (!presence_config_provides(ctx->c, e->text))
                ctx->r = diag_merge_error(
                    ctx->r, unknown_name(ctx->n, ctx->text, e->offset, e->text, ctx->d));
        return ctx->r == -ENOMEM ? -ENOMEM : 0;
}

static int parse_rule(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        static const char *const keys[] = {"when", "show", NULL};
        const struct ynode *when = ynode_get(n, "when"), *show = ynode_get(n, "show");
        struct presence_rule rule = {0};
        struct presence_rule *slot;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, keys, d);
        if (!when || !show)
                return diag_merge_error(r, ynode_error(n, d, "a show rule needs when: and show:"));
        if (show->type != YNODE_SCALAR || presence_show_from_string(show->scalar, &rule.show) < 0 ||
            isempty(show->scalar))
                r = diag_merge_error(
                    r, ynode_error(show, d, "show must be away, xa, dnd, chat or available"));
        r = diag_merge_error(r, presence_expr_from_ynode(when, &rule.when, d));
        if (rule.when) {
                struct check_ctx ctx = {.c = c, .n = when, .text = when->scalar, .d = d};

                r = diag_merge_error(r,
                                     presence_expr_foreach_name(rule.when, check_expr_name, &ctx));
                r = diag_merge_error(r, ctx.r);
        }
        if (r >= 0 && !(rule.source = strdup(when->scalar)))
                r = -ENOMEM;
        slot = r >= 0 ? array_grow((void **)&c->rules, &c->n_rules, sizeof(*c->rules)) : NULL;
        if (!slot) {
                rule_done(&rule);
                return r < 0 ? r : -ENOMEM;
        }
        *slot = rule;
        return 0;
}

static int parse_rules(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        int r;

        if (ynode_is_null(n))
                return 0;
        r = ynode_expect(n, YNODE_SEQ, d);
        for (size_t i = 0; r >= 0 && i < n->n; i++)
                r = diag_merge_error(r, parse_rule(c, n->items[i], d));
        return r;
}

/* Who: an access-list name, a list of names or {groups, jids, access: [names]}, as a command's
 * allow:. Only the shape is checked here: the access lists are not known yet, so the policy
 * resolves the spec in link() (presence_config_link), reporting at the same nodes. */
static int check_access_spec(const struct ynode *n, const char *key, struct diags *d)
{
        static const char *const keys[] = {"groups", "jids", "access", NULL};

        if (ynode_is_null(n))
                return ynode_error(
                    n, d, "%s needs an access-list name or {groups: [...], jids: [...]}", key);
        if (n->type != YNODE_MAP)
                return 0;
        for (size_t i = 0; keys[i]; i++)
                if (ynode_get(n, keys[i]))
                        return 0;
        if (n->n == 0)
                return ynode_warning(n, d, "this access list admits nobody");
        return 0; /* unknown keys: reported by the policy when it resolves the spec */
}

static int parse_alerts(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        static const char *const keys[] = {"to", "on", "max_per_hour", NULL};
        const struct ynode *to = ynode_get(n, "to"), *on = ynode_get(n, "on"),
                           *max = ynode_get(n, "max_per_hour");
        uint64_t v;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        r = ynode_check_keys(n, keys, d);
        c->alerts = true;
        c->max_per_hour = DEFAULT_MAX_PER_HOUR;
        if (!to)
                r = diag_merge_error(
                    r, ynode_error(n, d,
                                   "alerts need to: (an access-list name or {groups: [...], "
                                   "jids: [...]})"));
        else
                r = diag_merge_error(r, check_access_spec(to, "alerts.to", d));
        if (on && (on->type != YNODE_SCALAR || !streq(on->scalar, "show-change")))
                r = diag_merge_error(r, ynode_error(on, d, "alerts.on must be show-change"));
        if (max && ynode_uint(max, 1, 3600, &v, d) < 0)
                r = -EINVAL;
        else if (max)
                c->max_per_hour = (unsigned)v;
        return r;
}

static int parse_duration_key(const struct ynode *parent, const char *key, usec_t min, usec_t *ret,
                              struct diags *d)
{
        const struct ynode *n = ynode_get(parent, key);

        return n ? ynode_duration_between(n, min, MAX_DURATION, ret, d) : 0;
}

static int parse_root(struct presence_config *c, const struct ynode *n, struct diags *d)
{
        int r;

        if (!n)
                return (c->root = strdup("/")) ? 0 : -ENOMEM;
        r = ynode_string(n, &c->root, d);
        if (r >= 0 && c->root[0] != '/')
                r = ynode_error(n, d, "root must be an absolute path");
        return r;
}

static void add_warnings(const struct presence_config *c, const struct ynode *n, struct diags *d)
{
        const struct ynode *probes = ynode_get(n, "probes");

        if (c->script_argv && c->script_timeout >= c->interval)
                ynode_warning(ynode_get(probes, "script"), d,
                              "the script's timeout should be shorter than the interval");
        if (c->alerts && c->n_rules == 0)
                ynode_warning(ynode_get(n, "alerts"), d,
                              "alerts are sent on show changes, and no show rule is configured");
}

int presence_config_parse(const struct ynode *n, struct presence_config **ret, struct diags *d)
{
        static const char *const keys[] = {"interval", "min_update", "status", "probes", "show",
                                           "alerts",   "control",    "root",   NULL};
        _cleanup_(presence_config_freep) struct presence_config *c = NULL;
        const struct ynode *v;
        int r;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->interval = DEFAULT_INTERVAL;
        c->min_update = DEFAULT_MIN_UPDATE;
        r = ynode_check_keys(n, keys, d);
        r = diag_merge_error(r, parse_duration_key(n, "interval", USEC_PER_SEC, &c->interval, d));
        r = diag_merge_error(r, parse_duration_key(n, "min_update", 0, &c->min_update, d));
        r = diag_merge_error(r, parse_root(c, ynode_get(n, "root"), d));
        /* Probes first: the status and the rules are checked against what they provide. */
        r = diag_merge_error(r, parse_probes(c, ynode_get(n, "probes"), d));
        v = ynode_get(n, "status");
        r = diag_merge_error(r, v ? parse_status(c, v, d) : default_status(c));
        v = ynode_get(n, "show");
        if (v)
                r = diag_merge_error(r, parse_rules(c, v, d));
        v = ynode_get(n, "alerts");
        if (v)
                r = diag_merge_error(r, parse_alerts(c, v, d));
        v = ynode_get(n, "control");
        if (v) {
                c->has_control = true;
                r = diag_merge_error(r, check_access_spec(v, "control", d));
        }
        if (r < 0)
                return r;
        add_warnings(c, n, d);
        *ret = TAKE_PTR(c);
        return 0;
}

int presence_config_link(struct presence_config *c, const struct ynode *n,
                         struct command_sink *sink)
{
        const struct ynode *to = ynode_get(ynode_get(n, "alerts"), "to"),
                           *control = ynode_get(n, "control");
        int r = 0;

        /* Linked once per load; clearing first keeps a second call from leaking. */
        access_clear(&c->alerts_to);
        access_clear(&c->control);
        if (c->alerts)
                r = to ? command_sink_resolve_access(sink, to, &c->alerts_to) : -EINVAL;
        if (c->has_control)
                r = diag_merge_error(
                    r, control ? command_sink_resolve_access(sink, control, &c->control) : -EINVAL);
        return r;
}
