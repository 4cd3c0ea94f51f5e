/* SPDX-License-Identifier: MIT */
#include "adhoc.h"
#include "stanza.h"
#include "tests.h"

static char *to_text(xmpp_stanza_t *s)
{
        char *buf = NULL;
        size_t len = 0;
        CHECK(xmpp_stanza_to_text(s, &buf, &len) == XMPP_EOK);
        return buf;
}

static void test_errors(xmpp_ctx_t *ctx)
{
        xmpp_stanza_t *iq = xmpp_stanza_new_from_string(
            ctx, "<iq type='set' id='x1' from='a@example.test/r' to='agent@example.test/b'>"
                 "<command xmlns='http://jabber.org/protocol/commands' node='n'/></iq>");
        struct iq_origin o;
        xmpp_stanza_t *e;
        char *t;

        CHECK_INT(iq_origin_init(&o, iq, "fr"), 0);
        e = iq_error_new(ctx, &o, XERR_BAD_PAYLOAD, "Volume: too loud", NULL);
        t = to_text(e);
        CHECK(strstr(t, "type=\"error\"") != NULL);
        CHECK(strstr(t, "id=\"x1\"") != NULL);
        CHECK(strstr(t, "to=\"a@example.test/r\"") != NULL);
        CHECK(strstr(t, "xml:lang=\"fr\"") != NULL);
        CHECK(strstr(t, "<error type=\"modify\"><bad-request "
                        "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"
                        "<bad-payload xmlns=\"http://jabber.org/protocol/commands\"/>") != NULL);
        CHECK(strstr(t, "Volume: too loud") != NULL);
        xmpp_free(ctx, t);
        xmpp_stanza_release(e);

        e = iq_error_new(ctx, &o, XERR_SESSION_EXPIRED, NULL, NULL);
        t = to_text(e);
        CHECK(strstr(t, "<error type=\"cancel\"><not-allowed") != NULL);
        CHECK(strstr(t, "<session-expired xmlns=\"http://jabber.org/protocol/commands\"/>") !=
              NULL);
        xmpp_free(ctx, t);
        xmpp_stanza_release(e);

        e = iq_error_new(ctx, &o, XERR_ITEM_NOT_FOUND, NULL, NULL);
        t = to_text(e);
        CHECK(strstr(t, "<error type=\"cancel\"><item-not-found") != NULL);
        CHECK(strstr(t, "commands\"/>") == NULL);
        xmpp_free(ctx, t);
        xmpp_stanza_release(e);
        iq_origin_done(&o);
        xmpp_stanza_release(iq);

        CHECK_INT(xerr_from_errno(-EBUSY), XERR_RESOURCE_CONSTRAINT);
        CHECK_INT(xerr_from_errno(-EUSERS), XERR_RESOURCE_CONSTRAINT);
        CHECK_INT(xerr_from_errno(-EINVAL), XERR_BAD_PAYLOAD);
        CHECK_INT(xerr_from_errno(-EACCES), XERR_FORBIDDEN);
        CHECK_INT(xerr_from_errno(-EIO), XERR_INTERNAL);
}

static void test_redact(void)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
            {"SENT: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
             "mechanism='PLAIN'>AGFnZW50AHNlY3JldA==</auth>",
             "SENT: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>***</auth>"},
            {"<response xmlns='x'>c=biws,r=abc,p=proof</response>",
             "<response xmlns='x'>***</response>"},
            {"<field var='pin' type='text-private'><value>1234</value></field>",
             "<field var='pin' type='text-private'><value>***</value></field>"},
            {"<x><value>a</value><value>b</value></x>",
             "<x><value>***</value><value>***</value></x>"},
            {"<value/><value></value>", "<value/><value></value>"},
            {"<sasl:auth>secret</sasl:auth>", "<sasl:auth>***</sasl:auth>"},
            {"<auth>secret that is cut", "<auth>***"},
            {"<presence><status>fine</status></presence>",
             "<presence><status>fine</status></presence>"},
            {"<valued>x</valued>", "<valued>x</valued>"},
            {"plain text", "plain text"},
            {"a < b", "a < b"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *r = stanza_redact(cases[i].in);
                CHECK_STREQ(r, cases[i].out);
                free(r);
        }
}

static void test_actions(void)
{
        CHECK_INT(adhoc_action_from_string(NULL), ADHOC_EXECUTE);
        CHECK_INT(adhoc_action_from_string("execute"), ADHOC_EXECUTE);
        CHECK_INT(adhoc_action_from_string("next"), ADHOC_NEXT);
        CHECK_INT(adhoc_action_from_string("prev"), ADHOC_PREV);
        CHECK_INT(adhoc_action_from_string("complete"), ADHOC_COMPLETE);
        CHECK_INT(adhoc_action_from_string("cancel"), ADHOC_CANCEL);
        CHECK_INT(adhoc_action_from_string("Cancel"), -EINVAL);
        CHECK_INT(adhoc_action_from_string(""), -EINVAL);
        CHECK_INT(adhoc_action_from_string("submit"), -EINVAL);
}

int main(void)
{
        xmpp_ctx_t *ctx;

        xmpp_initialize();
        ctx = xmpp_ctx_new(NULL, NULL);
        test_errors(ctx);
        test_redact();
        test_actions();
        xmpp_ctx_free(ctx);
        xmpp_shutdown();
        return TESTS_RESULT();
}
