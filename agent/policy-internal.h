/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the policy-*.c files; not part of the policy interface. */
#include "policy.h"

/* State while building a policy from its documents. */
struct policy_ctx {
        struct policy *p;
        struct diags *d;
        /* Where each access list and command was defined, parallel to p->access_lists and
         * p->commands, for "first defined at" messages. */
        const struct ynode **access_where;
        const struct ynode **command_where;
};

void policy_ctx_done(struct policy_ctx *ctx);

/* Keeps the first error: -ENOMEM over -EINVAL over success. */
static inline int policy_merge_error(int r, int k)
{
        if (r == -ENOMEM || k >= 0)
                return r;
        return r < 0 && k != -ENOMEM ? r : k;
}

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
int policy_parse_commands(struct policy_ctx *ctx, const struct ynode *n);
void command_done(struct command *c);
