/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the policy-*.c files; not part of the policy interface. */
#include "policy.h"

/* A hash index of names (owned elsewhere) to array positions: a large policy is not quadratic. */
struct name_slot {
        const char *name; /* NULL: empty */
        size_t idx;
};
struct name_index {
        struct name_slot *slots;
        size_t cap, n;
};
/* Adds name (which must outlive the index and not be present yet). */
int name_index_put(struct name_index *x, const char *name, size_t idx);
/* Returns true and the position of name, if present. */
bool name_index_get(const struct name_index *x, const char *name, size_t *ret_idx);
void name_index_done(struct name_index *x);

/* State while building a policy from its documents. */
struct policy_ctx {
        struct policy *p;
        struct diags *d;
        /* Where each access list and command was defined, parallel to p->access_lists and
         * p->commands, for "first defined at" messages. */
        const struct ynode **access_where;
        const struct ynode **command_where;
        struct name_index access_by_name;
        struct name_index command_by_node;
};

void policy_ctx_done(struct policy_ctx *ctx);

/* "FILE:LINE:COL" of a node, for messages that point at another place. */
char *policy_where(const struct ynode *n);

/* policy-access.c */
int policy_parse_access(struct policy_ctx *ctx, const struct ynode *n, bool main_file);
int policy_parse_allow(struct policy_ctx *ctx, const struct ynode *n, struct access *ret);
/* Patterns: bare JIDs or "*@domain" (and for subscriptions, a domain). */
int policy_parse_patterns(struct policy_ctx *ctx, const struct ynode *n, char ***ret);
/* Whether the domain of jid (a JID or a pattern) is the account's or a remote domain. */
bool policy_domain_is_served(const struct policy *p, const char *jid);
void access_done(struct access *a);

/* policy-command.c */
struct command_sink {
        struct policy_ctx *ctx;
        const struct ynode *where; /* default position for messages */
};
int policy_add_feature_commands(struct policy_ctx *ctx, const struct feature_config *fc,
                                const struct ynode *n);
int policy_parse_commands(struct policy_ctx *ctx, const struct ynode *n);
void command_done(struct command *c);
