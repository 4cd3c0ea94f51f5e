/* SPDX-License-Identifier: MIT */
#include "roster.h"

#include <strings.h>

#include "jid.h"

struct roster *roster_new(void)
{
        return zalloc(sizeof(struct roster));
}

static void roster_item_done(struct roster_item *i)
{
        free(i->bare);
        strv_free(i->groups);
        free(i->subscription);
}

void roster_clear(struct roster *r)
{
        for (size_t i = 0; i < r->n; i++)
                roster_item_done(&r->items[i]);
        free(r->items);
        r->items = NULL;
        r->n = 0;
}

struct roster *roster_free(struct roster *r)
{
        if (!r)
                return NULL;
        roster_clear(r);
        free(r);
        return NULL;
}

/* Binary search: returns the index of bare, or the insertion point with *found = false. */
static size_t roster_index(const struct roster *r, const char *bare, bool *found)
{
        size_t lo = 0, hi = r->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(r->items[mid].bare, bare);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static void roster_remove(struct roster *r, const char *bare)
{
        bool found;
        size_t i = roster_index(r, bare, &found);

        if (!found)
                return;
        roster_item_done(&r->items[i]);
        memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(*r->items));
        r->n--;
}

static int roster_item_groups(xmpp_stanza_t *item, char ***ret)
{
        _cleanup_strv_free_ char **groups = NULL;
        size_t n = 0;

        for (xmpp_stanza_t *c = xmpp_stanza_get_children(item); c; c = xmpp_stanza_get_next(c)) {
                char *text;
                int r;

                if (!xmpp_stanza_is_tag(c) || !streq_ptr(xmpp_stanza_get_name(c), "group"))
                        continue;
                if (++n > ROSTER_MAX_GROUPS)
                        return -E2BIG;
                text = xmpp_stanza_get_text(c);
                if (!text)
                        continue; /* an empty <group/> names no group */
                if (!utf8_is_clean(text, false) || strv_contains(groups, text)) {
                        xmpp_free(xmpp_stanza_get_context(item), text);
                        continue;
                }
                r = strv_extend(&groups, text);
                xmpp_free(xmpp_stanza_get_context(item), text);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(groups);
        return 0;
}

int roster_apply_item(struct roster *r, xmpp_stanza_t *item)
{
        const char *jid = xmpp_stanza_get_attribute(item, "jid");
        const char *sub = xmpp_stanza_get_attribute(item, "subscription");
        _cleanup_strv_free_ char **groups = NULL;
        _cleanup_free_ char *bare = NULL;
        struct roster_item *slot;
        bool found;
        size_t i;
        int k;

        if (!jid || !jid_is_valid(jid))
                return -EINVAL;
        bare = jid_bare(jid);
        if (!bare)
                return -ENOMEM;
        if (streq_ptr(sub, "remove")) {
                roster_remove(r, bare);
                return 0;
        }
        k = roster_item_groups(item, &groups);
        if (k < 0)
                return k;

        i = roster_index(r, bare, &found);
        if (found) {
                slot = &r->items[i];
                strv_free(slot->groups);
                free(slot->subscription);
        } else {
                struct roster_item *v;

                if (r->n >= ROSTER_MAX_ITEMS)
                        return -E2BIG;
                v = reallocarray(r->items, r->n + 1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                r->items = v;
                memmove(&v[i + 1], &v[i], (r->n - i) * sizeof(*v));
                r->n++;
                slot = &v[i];
                slot->bare = TAKE_PTR(bare);
        }
        slot->groups = TAKE_PTR(groups);
        slot->subscription = strdup_or_null(sub);
        return 0;
}

int roster_apply_query(struct roster *r, xmpp_stanza_t *query, bool replace)
{
        int n = 0;

        if (replace)
                roster_clear(r);
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c; c = xmpp_stanza_get_next(c)) {
                int k;

                if (!xmpp_stanza_is_tag(c) || !streq_ptr(xmpp_stanza_get_name(c), "item"))
                        continue;
                k = roster_apply_item(r, c);
                if (k == -ENOMEM)
                        return k;
                if (k >= 0)
                        n++;
        }
        return n;
}

const struct roster_item *roster_find(const struct roster *r, const char *bare)
{
        bool found;
        size_t i;

        if (!r || !bare)
                return NULL;
        i = roster_index(r, bare, &found);
        return found ? &r->items[i] : NULL;
}

char *const *roster_groups(const struct roster *r, const char *bare)
{
        const struct roster_item *i = roster_find(r, bare);
        return i ? i->groups : NULL;
}

bool roster_push_is_trusted(const char *from, const char *account_bare)
{
        if (!from)
                return true;
        /* A full JID of our own account is not the server: pushes come from the bare JID. */
        if (strchr(from, '/'))
                return false;
        return jid_bare_equal(from, account_bare);
}
