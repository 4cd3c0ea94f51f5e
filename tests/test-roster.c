/* SPDX-License-Identifier: MIT */
#include "roster.h"
#include "tests.h"

static xmpp_stanza_t *parse(xmpp_ctx_t *ctx, const char *xml)
{
        xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, xml);
        CHECK(s != NULL);
        return s;
}

static void test_load_and_push(xmpp_ctx_t *ctx)
{
        struct roster *r = roster_new();
        xmpp_stanza_t *q;
        char *const *g;

        q = parse(ctx, "<query xmlns='jabber:iq:roster'>"
                       "<item jid='Alice@Example.TEST' subscription='both'><group>flatmates</group>"
                       "<group>admins</group><group>admins</group><group/></item>"
                       "<item jid='bob@example.test'><group>admins</group></item>"
                       "<item jid='carol@example.test'/>"
                       "<item jid='bad jid@@x'/>"
                       "</query>");
        CHECK_INT(roster_apply_query(r, q, true), 3);
        xmpp_stanza_release(q);
        CHECK_INT(r->n, 3);
        g = roster_groups(r, "Alice@example.test");
        CHECK(g && strv_length(g) == 2);
        CHECK(g && strv_contains(g, "flatmates") && strv_contains(g, "admins"));
        CHECK(roster_groups(r, "carol@example.test") == NULL);
        CHECK(roster_find(r, "carol@example.test") != NULL);
        CHECK(roster_find(r, "mallory@example.test") == NULL);

        /* A push replaces one item's groups and leaves the others. */
        q = parse(ctx, "<query xmlns='jabber:iq:roster'><item jid='carol@example.test'>"
                       "<group>flatmates</group></item></query>");
        CHECK_INT(roster_apply_query(r, q, false), 1);
        xmpp_stanza_release(q);
        g = roster_groups(r, "carol@example.test");
        CHECK(g && strv_contains(g, "flatmates"));
        CHECK(roster_groups(r, "bob@example.test") != NULL);

        /* Removal. */
        q = parse(ctx, "<query xmlns='jabber:iq:roster'><item jid='bob@example.test' "
                       "subscription='remove'/></query>");
        CHECK_INT(roster_apply_query(r, q, false), 1);
        xmpp_stanza_release(q);
        CHECK(roster_find(r, "bob@example.test") == NULL);
        CHECK_INT(r->n, 2);

        /* A full roster result replaces everything. */
        q = parse(ctx, "<query xmlns='jabber:iq:roster'><item jid='dave@example.test'/></query>");
        CHECK_INT(roster_apply_query(r, q, true), 1);
        xmpp_stanza_release(q);
        CHECK_INT(r->n, 1);
        CHECK(roster_find(r, "Alice@example.test") == NULL);
        roster_free(r);
}

static void test_push_trust(void)
{
        CHECK(roster_push_is_trusted(NULL, "agent@example.test"));
        CHECK(roster_push_is_trusted("agent@example.test", "agent@example.test"));
        CHECK(roster_push_is_trusted("agent@EXAMPLE.test", "agent@example.test"));
        CHECK(!roster_push_is_trusted("mallory@example.test", "agent@example.test"));
        CHECK(!roster_push_is_trusted("mallory@example.test/x", "agent@example.test"));
        CHECK(!roster_push_is_trusted("agent@example.test/other", "agent@example.test"));
        CHECK(!roster_push_is_trusted("example.test", "agent@example.test"));
        CHECK(!roster_push_is_trusted("agent@evil.test", "agent@example.test"));
}

int main(void)
{
        xmpp_ctx_t *ctx;

        xmpp_initialize();
        ctx = xmpp_ctx_new(NULL, NULL);
        test_load_and_push(ctx);
        test_push_trust();
        xmpp_ctx_free(ctx);
        xmpp_shutdown();
        return TESTS_RESULT();
}
