/* SPDX-License-Identifier: MIT */
/*
 * Commands:
 *
 *   commands:
 *     - node: restart-web
 *       name: {en: Restart the web server, fr: Redémarrer le serveur web}
 *       allow: admins
 *       form: {fields: [{var: why, required: true}]}
 *       confirm: "Restart now ({why})?"
 *       reply: "Restarted."          # exactly one action key
 */
#include <stdio.h>

#include "policy-internal.h"
#include "template.h"

static const char *const command_keys[] = {"node", "name", "allow", "deny", "form", "confirm"};

void command_done(struct command *c)
{
        free(c->node);
        i18n_done(&c->name);
        access_done(&c->allow);
        access_done(&c->deny);
        form_free(c->form);
        i18n_done(&c->confirm);
        if (c->action && c->action->free_cfg && c->action_cfg)
                c->action->free_cfg(c->action_cfg);
        *c = (struct command){0};
}

bool command_node_is_valid(const char *node)
{
        size_t n = 0;

        if (isempty(node) || node[0] == '/')
                return false;
        for (const char *p = node; *p; p++, n++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-",
                            *p))
                        return false;
        return n <= 200;
}

/* The command keys and every action key, for ynode_check_keys(). */
static const char **command_allowed_keys(void)
{
        size_t n_fixed = ELEMENTSOF(command_keys), n = 0;
        const char **keys;

        while (builtin_actions[n])
                n++;
        keys = calloc(n_fixed + n + 1, sizeof(char *));
        if (!keys)
                return NULL;
        for (size_t i = 0; i < n_fixed; i++)
                keys[i] = command_keys[i];
        for (size_t i = 0; i < n; i++)
                keys[n_fixed + i] = builtin_actions[i]->key;
        return keys;
}

static char *action_keys_list(void)
{
        char *s = strdup(""), *t;

        for (size_t i = 0; s && builtin_actions[i]; i++) {
                if (asprintf(&t, "%s%s%s", s, i > 0 ? ", " : "", builtin_actions[i]->key) < 0)
                        t = NULL;
                free(s);
                s = t;
        }
        return s;
}

static const char *command_name(const struct command *c)
{
        return c->node ? c->node : "?";
}

/* Syntax and uniqueness of a node, reported at n. */
static int check_node(struct policy_ctx *ctx, const char *node, const struct ynode *n)
{
        size_t first;

        if (!command_node_is_valid(node))
                return ynode_error(n, ctx->d,
                                   "invalid command node '%s' (1-200 letters, digits, '/', '_', "
                                   "'.', '-', not starting with '/')",
                                   node);
        if (name_index_get(&ctx->command_by_node, node, &first)) {
                _cleanup_free_ char *at = policy_where(ctx->command_where[first]);
                if (!at)
                        return -ENOMEM;
                return ynode_error(n, ctx->d, "duplicate node '%s' (first defined at %s)", node,
                                   at);
        }
        return 0;
}

static int parse_node(struct policy_ctx *ctx, const struct ynode *cmd, struct command *c)
{
        const struct ynode *n = ynode_get(cmd, "node");

        if (!n)
                return ynode_error(cmd, ctx->d, "command needs a 'node'");
        if (ynode_string(n, &c->node, ctx->d) < 0)
                return -EINVAL;
        return check_node(ctx, c->node, n);
}

static int parse_name(struct policy_ctx *ctx, const struct ynode *cmd, struct command *c)
{
        const struct ynode *n = ynode_get(cmd, "name");

        if (!n)
                return ynode_error(cmd, ctx->d, "command '%s' needs a 'name'", command_name(c));
        return i18n_from_ynode(n, &c->name, ctx->d);
}

static int parse_access_rules(struct policy_ctx *ctx, const struct ynode *cmd, struct command *c)
{
        const struct ynode *allow = ynode_get(cmd, "allow"), *deny = ynode_get(cmd, "deny");
        int r = 0;

        if (deny)
                r = policy_parse_allow(ctx, deny, &c->deny);
        if (!allow)
                return diag_merge_error(
                    r, ynode_warning(cmd, ctx->d,
                                     "command '%s': no allow: nobody can run this command",
                                     command_name(c)));
        r = diag_merge_error(r, policy_parse_allow(ctx, allow, &c->allow));
        c->has_allow = r >= 0;
        return r;
}

static int parse_confirm(struct policy_ctx *ctx, const struct ynode *n, struct command *c)
{
        int r;

        r = i18n_from_ynode(n, &c->confirm, ctx->d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->confirm.n; i++) {
                const struct i18n_entry *e = &c->confirm.v[i];
                /* Point at the text itself when it has its own node. */
                const struct ynode *where = e->lang ? ynode_get(n, e->lang) : n;

                r = diag_merge_error(
                    r, template_check(e->text, c->form, false, where ? where : n, ctx->d));
        }
        return r;
}

static int parse_action(struct policy_ctx *ctx, const struct ynode *cmd, struct command *c)
{
        const struct action_ops *ops = NULL, *o;
        const struct ynode *value = NULL;
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < cmd->n; i++) {
                o = action_ops_lookup(cmd->keys[i]->scalar);
                if (!o)
                        continue;
                if (ops)
                        return ynode_error(cmd->keys[i], ctx->d,
                                           "command '%s' has more than one action ('%s' and '%s')",
                                           command_name(c), ops->key, o->key);
                ops = o;
                value = cmd->items[i];
        }
        if (ops) {
                int r = ops->parse(value, c->form, &c->action_cfg, ctx->d);
                if (r < 0)
                        return r;
                c->action = ops;
                return 0;
        }
        list = action_keys_list();
        if (!list)
                return -ENOMEM;
        return ynode_error(cmd, ctx->d, "command '%s' has no action (one of: %s)", command_name(c),
                           list);
}

/* The form comes first: confirm and the action's templates are checked against it. */
static int parse_form_and_action(struct policy_ctx *ctx, const struct ynode *cmd, struct command *c)
{
        const struct ynode *n = ynode_get(cmd, "form");
        int r;

        /* Without its form, every template reference would be reported as undeclared. */
        if (n && form_from_ynode(n, &c->form, ctx->d) < 0)
                return -EINVAL;
        n = ynode_get(cmd, "confirm");
        r = n ? parse_confirm(ctx, n, c) : 0;
        return diag_merge_error(r, parse_action(ctx, cmd, c));
}

/* Moves c into the policy; where is the node's position for later messages. */
static int add_command(struct policy_ctx *ctx, const struct ynode *where_node, struct command *c)
{
        struct policy *p = ctx->p;
        const struct ynode **where;
        struct command *slot;

        where = reallocarray(ctx->command_where, p->n_commands + 1, sizeof(*where));
        if (!where)
                return -ENOMEM;
        ctx->command_where = where;
        slot = array_grow((void **)&p->commands, &p->n_commands, sizeof(*slot));
        if (!slot)
                return -ENOMEM;
        if (c->line == 0) {
                c->line = where_node->line;
                c->col = where_node->col;
        }
        *slot = *c;
        *c = (struct command){0};
        where[p->n_commands - 1] = where_node;
        return name_index_put(&ctx->command_by_node, slot->node, p->n_commands - 1);
}

static int parse_command(struct policy_ctx *ctx, const struct ynode *cmd, const char **keys)
{
        struct command c = {0};
        int r;

        if (ynode_expect(cmd, YNODE_MAP, ctx->d) < 0)
                return -EINVAL;
        r = ynode_check_keys(cmd, keys, ctx->d);
        r = diag_merge_error(r, parse_node(ctx, cmd, &c));
        r = diag_merge_error(r, parse_name(ctx, cmd, &c));
        r = diag_merge_error(r, parse_access_rules(ctx, cmd, &c));
        r = diag_merge_error(r, parse_form_and_action(ctx, cmd, &c));
        if (r >= 0 && c.action->expand) {
                /* An expanding action stands for the commands it generates, not for itself. */
                struct command_sink sink = {.ctx = ctx, .where = cmd};
                r = c.action->expand(&c, &sink);
        } else if (r >= 0) {
                c.line = cmd->line;
                c.col = cmd->col;
                r = add_command(ctx, ynode_get(cmd, "node"), &c);
        }
        command_done(&c);
        return r;
}

static int access_copy(const struct access *src, struct access *ret)
{
        ret->groups = strv_copy(src->groups);
        ret->jids = strv_copy(src->jids);
        if ((src->groups && !ret->groups) || (src->jids && !ret->jids)) {
                access_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int command_sink_add(struct command_sink *sink, struct command_spec *spec)
{
        struct policy_ctx *ctx = sink->ctx;
        const struct ynode *where = spec->where ? spec->where : sink->where;
        struct command c = {
            .action = spec->action,
            .action_cfg = TAKE_PTR(spec->action_cfg),
            .form = TAKE_PTR(spec->form),
        };
        int r;

        c.node = strdup(spec->node);
        r = c.node ? check_node(ctx, c.node, where) : -ENOMEM;
        if (r >= 0)
                r = i18n_copy(spec->name, &c.name);
        if (r >= 0 && spec->allow) {
                r = policy_parse_allow(ctx, spec->allow, &c.allow);
                c.has_allow = r >= 0;
        } else if (r >= 0 && spec->allow_access) {
                r = access_copy(spec->allow_access, &c.allow);
                c.has_allow = r >= 0;
        }
        if (r >= 0 && spec->deny_access)
                r = access_copy(spec->deny_access, &c.deny);
        if (r >= 0 && spec->confirm)
                r = i18n_copy(spec->confirm, &c.confirm);
        if (r >= 0)
                r = add_command(ctx, where, &c);
        command_done(&c);
        return r;
}

int command_derive(const struct command *entry, const char *node, const struct i18n *name,
                   const struct action_ops *action, void *action_cfg, struct command **ret)
{
        _cleanup_(command_freep) struct command *c = zalloc(sizeof(*c));
        int r;

        if (!c) {
                if (action->free_cfg)
                        action->free_cfg(action_cfg);
                return -ENOMEM;
        }
        c->action = action;
        c->action_cfg = action_cfg;
        c->has_allow = entry->has_allow;
        c->line = entry->line;
        c->col = entry->col;
        c->node = strdup(node);
        if (!c->node)
                return -ENOMEM;
        r = i18n_copy(name, &c->name);
        if (r >= 0)
                r = access_copy(&entry->allow, &c->allow);
        if (r >= 0)
                r = access_copy(&entry->deny, &c->deny);
        if (r >= 0)
                r = i18n_copy(&entry->confirm, &c->confirm);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

struct command *command_free(struct command *c)
{
        if (c) {
                command_done(c);
                free(c);
        }
        return NULL;
}

int command_sink_resolve_access(struct command_sink *sink, const struct ynode *n,
                                struct access *ret)
{
        return policy_parse_allow(sink->ctx, n, ret);
}

int policy_add_feature_commands(struct policy_ctx *ctx, const struct feature_config *fc,
                                const struct ynode *n)
{
        struct command_sink sink = {.ctx = ctx, .where = n};

        if (!fc->ops->link)
                return 0;
        return fc->ops->link(fc->cfg, n, &sink);
}

int policy_parse_commands(struct policy_ctx *ctx, const struct ynode *n)
{
        _cleanup_free_ const char **keys = NULL;
        int r = 0;

        if (ynode_expect(n, YNODE_SEQ, ctx->d) < 0)
                return -EINVAL;
        keys = command_allowed_keys();
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++)
                r = diag_merge_error(r, parse_command(ctx, n->items[i], keys));
        return r;
}
