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

/* stanza_to_text() writes what xmpp_stanza_to_text() writes: escapes in text and attributes,
 * xmlns left out when the parent has the same or on a jabber:client top element, empty
 * elements, many attributes, long texts. */
/* A control character XML cannot carry never reaches the stream, whatever put it there. */
static void test_to_text_control(xmpp_ctx_t *ctx)
{
        xmpp_stanza_t *st = xmpp_message_new(ctx, "chat", "a@b\x01", "1");
        char *got = NULL;
        size_t len = 0;

        CHECK(st && xmpp_message_set_body(st, "a\x02"
                                              "b\tc\nd\re\x1f") == XMPP_EOK);
        CHECK_INT(stanza_to_text(st, &got, &len), 0);
        CHECK(got && strstr(got, "to=\"a@b\xef\xbf\xbd\""));
        CHECK(got && strstr(got, "<body>a\xef\xbf\xbd"
                                 "b\tc\nd\re\xef\xbf\xbd</body>"));
        for (const char *p = got; p && *p; p++)
                CHECK((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r');
        free(got);
        xmpp_stanza_release(st);
}

static void test_to_text(xmpp_ctx_t *ctx)
{
        static const char *const cases[] = {
            "<iq type='result' to='a@example.test/r' id='x&amp;1' xml:lang='fr'/>",
            "<iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
            "<message xmlns='jabber:client' to='a@b'><body>a &lt; b &amp;&amp; c &gt; d "
            "\"quoted\" 'single' \xc3\xa9</body></message>",
            "<iq type='result' id='2'><command xmlns='http://jabber.org/protocol/commands' "
            "node='a&quot;b' sessionid='s' status='completed'><note type='info'>Pong, "
            "a@example.test.</note><x xmlns='jabber:x:data' type='form'><field var='f' "
            "type='text-single' label='&lt;F&gt;'><value>v</value></field>"
            "<field xmlns='jabber:x:data' var='g'/></x></command></iq>",
            "<a xmlns='urn:a'><b xmlns='urn:b'><c xmlns='urn:a'>t</c></b>text<d/></a>",
            "<e a1='1' a2='2' a3='3' a4='4' a5='5' a6='6' a7='7' a8='8' a9='9' a10='10' a11='11' "
            "a12='12' a13='13' a14='14' a15='15' a16='16' a17='17' a18='18' a19='19' a20='20'/>",
        };
        char big[5000];

        for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
                xmpp_stanza_t *st;
                char *want, *got = NULL;
                size_t len = 0;

                if (i < sizeof(cases) / sizeof(cases[0]))
                        st = xmpp_stanza_new_from_string(ctx, cases[i]);
                else { /* longer than libstrophe's first buffer */
                        memset(big, 'x', sizeof(big) - 1);
                        big[sizeof(big) - 1] = 0;
                        big[2000] = '<';
                        st = xmpp_message_new(ctx, "chat", "a@b", "1");
                        CHECK(st && xmpp_message_set_body(st, big) == XMPP_EOK);
                }
                CHECK(st);
                want = to_text(st);
                CHECK_INT(stanza_to_text(st, &got, &len), 0);
                CHECK_STREQ(got, want);
                CHECK_INT(len, strlen(want));
                free(got);
                xmpp_free(ctx, want);
                xmpp_stanza_release(st);
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
        test_to_text(ctx);
        test_to_text_control(ctx);
        test_actions();
        xmpp_ctx_free(ctx);
        xmpp_shutdown();
        return TESTS_RESULT();
}
