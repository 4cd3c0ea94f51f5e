/* SPDX-License-Identifier: MIT */
#pragma once

#include <strophe.h>

#include "util.h"

#define NS_ROSTER "jabber:iq:roster"
/* A roster bigger than this is truncated (and logged by the caller). */
#define ROSTER_MAX_ITEMS  10000
#define ROSTER_MAX_GROUPS 64

/* The agent's own roster: bare JID -> groups. The only source of group membership. */
struct roster_item {
        char *bare;
        char **groups; /* strv, may be NULL */
        char *subscription;
};

struct roster {
        struct roster_item *items; /* sorted by bare JID */
        size_t n;
};

struct roster *roster_new(void);
struct roster *roster_free(struct roster *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct roster *, roster_free)
void roster_clear(struct roster *r);

/* Applies one <item/>: adds, replaces, or (subscription='remove') removes. Invalid JIDs are
 * refused with -EINVAL. */
int roster_apply_item(struct roster *r, xmpp_stanza_t *item);
/* Applies every <item/> of a <query xmlns='jabber:iq:roster'/>; with replace, the roster is
 * cleared first (a full roster result). Returns the number of items applied. */
int roster_apply_query(struct roster *r, xmpp_stanza_t *query, bool replace);
const struct roster_item *roster_find(const struct roster *r, const char *bare);
/* The groups of bare, or NULL when not in the roster. */
char *const *roster_groups(const struct roster *r, const char *bare);

/* Whether a roster push is genuine: no 'from', or 'from' equal to the account's bare JID. */
bool roster_push_is_trusted(const char *from, const char *account_bare);
