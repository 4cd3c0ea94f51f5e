/* SPDX-License-Identifier: MIT */
/* The XEP-0050 engine end to end without a server: requests in, answers checked. */
#include "caps.h"
#include "disco.h"
#include "loopback-agent.h"
#include "tests.h"

static const char policy_yaml[] =
    "account: {jid: agent@example.test, password: x}\n"
    "sessions: {idle_timeout: 10m, max_per_requester: 3, max_total: 50, rate_per_minute: 600}\n"
    "commands:\n"
    "  - node: hello\n"
    "    name: {en: Hello, fr: Bonjour}\n"
    "    allow: {groups: [flatmates]}\n"
    "    reply: {note: {en: 'Hi {from_bare}', fr: 'Salut {from_bare}'}}\n"
    "  - node: secret\n"
    "    name: Secret\n"
    "    allow: {groups: [admins]}\n"
    "    reply: classified\n"
    "  - node: form\n"
    "    name: Form\n"
    "    allow: {groups: [flatmates]}\n"
    "    form:\n"
    "      fields:\n"
    "        - {var: n, label: Lines, required: true, validate: {datatype: 'xs:integer', range: "
    "[1, 5]}}\n"
    "        - {var: unit, type: list-single, options: [web, db], default: web}\n"
    "        - {var: token, type: hidden, default: server-side}\n"
    "    reply: {note: 'n={n} unit={unit} token={token}'}\n"
    "  - node: confirm\n"
    "    name: Confirm\n"
    "    allow: {groups: [flatmates]}\n"
    "    form: {fields: [{var: unit, type: list-single, options: [web, db], required: true}]}\n"
    "    confirm: 'Restart {unit}?'\n"
    "    reply: 'restarted {unit}'\n"
    "  - node: slow\n"
    "    name: Slow\n"
    "    allow: {groups: [flatmates]}\n"
    "    reply: {note: slow done, delay: 300ms}\n";

static const char roster_xml[] = "<query xmlns='jabber:iq:roster'>"
                                 "<item jid='alice@example.test'><group>flatmates</group></item>"
                                 "<item jid='bob@example.test'><group>flatmates</group></item>"
                                 "<item jid='carol@example.test'/>"
                                 "</query>";

static struct loopback lb;

/* Sends a command iq and returns the answer (the last stanza sent). */
static const char *cmd(const char *from, const char *id, const char *attrs, const char *body)
{
        char *xml;
        size_t before = strv_length(lb.sent);

        CHECK(asprintf(&xml,
                       "<iq type='set' id='%s' from='%s' to='" LOOPBACK_JID "'>"
                       "<command xmlns='http://jabber.org/protocol/commands' %s>%s</command></iq>",
                       id, from, attrs, body ? body : "") > 0);
        CHECK_INT(loopback_feed(&lb, xml), 0);
        free(xml);
        if (strv_length(lb.sent) == before)
                return "";
        return lb.sent[strv_length(lb.sent) - 1];
}

static const char *iq(const char *xml)
{
        size_t before = strv_length(lb.sent);

        CHECK_INT(loopback_feed(&lb, xml), 0);
        CHECK(strv_length(lb.sent) == before + 1);
        return lb.sent[strv_length(lb.sent) - 1];
}

/* Copies the sessionid attribute of an answer. */
static void sessionid(const char *answer, char out[64])
{
        const char *p = strstr(answer, "sessionid=\"");

        out[0] = 0;
        if (!p)
                return;
        p += strlen("sessionid=\"");
        snprintf(out, 64, "%.*s", (int)strcspn(p, "\""), p);
}

#define HAS(s, sub)   CHECK(strstr((s), (sub)) != NULL)
#define HASNT(s, sub) CHECK(strstr((s), (sub)) == NULL)

static void test_permissions(void)
{
        const char *a, *b;
        char *ua, *ub;

        a = cmd("alice@example.test/phone", "1", "node='hello'", NULL);
        HAS(a, "status=\"completed\"");
        HAS(a, "<note type=\"info\">Hi alice@example.test</note>");
        HASNT(a, "jabber:x:data");

        /* Forbidden and unknown look exactly the same. */
        a = cmd("alice@example.test/phone", "2", "node='secret'", NULL);
        ua = strdup(a);
        b = cmd("alice@example.test/phone", "2", "node='no-such-node'", NULL);
        ub = strdup(b);
        HAS(ua, "<item-not-found");
        CHECK_STREQ(ua, ub);
        free(ua);
        free(ub);
        /* A stranger and a contact without groups see nothing. */
        a = cmd("mallory@example.test/x", "3", "node='hello'", NULL);
        HAS(a, "<item-not-found");
        a = cmd("carol@example.test/x", "4", "node='hello'", NULL);
        HAS(a, "<item-not-found");
        /* Another domain never matches, whatever its local part. */
        a = cmd("alice@evil.test/x", "5", "node='hello'", NULL);
        HAS(a, "<item-not-found");

        a = iq("<iq type='get' id='d1' from='alice@example.test/p' to='" LOOPBACK_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' "
               "node='http://jabber.org/protocol/commands'/></iq>");
        HAS(a, "node=\"hello\"");
        HAS(a, "node=\"form\"");
        HASNT(a, "node=\"secret\"");
        a = iq("<iq type='get' id='d2' from='mallory@example.test/p' to='" LOOPBACK_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' "
               "node='http://jabber.org/protocol/commands'/></iq>");
        HASNT(a, "<item");
        a = iq("<iq type='get' id='d3' from='alice@example.test/p' to='" LOOPBACK_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info' node='hello'/></iq>");
        HAS(a, "category=\"automation\"");
        HAS(a, "type=\"command-node\"");
        a = iq("<iq type='get' id='d4' from='alice@example.test/p' to='" LOOPBACK_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info' node='secret'/></iq>");
        HAS(a, "<item-not-found");
}

static void test_form_stage(void)
{
        char sid[64];
        const char *a;

        a = cmd("alice@example.test/phone", "f1", "node='form'", NULL);
        HAS(a, "status=\"executing\"");
        HAS(a, "<actions execute=\"complete\"><complete/></actions>");
        HAS(a, "var=\"n\"");
        sessionid(a, sid);
        CHECK(strlen(sid) == 32);

        /* Out of range: bad-payload, the form again with a note naming the field. */
        {
                char attrs[200];
                snprintf(attrs, sizeof(attrs), "node='form' sessionid='%s' action='complete'", sid);
                a = cmd("alice@example.test/phone", "f2", attrs,
                        "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>9</value>"
                        "</field></x>");
                HAS(a, "type=\"error\"");
                HAS(a, "<bad-payload xmlns=\"http://jabber.org/protocol/commands\"/>");
                HAS(a, "<note type=\"error\">Lines");
                HAS(a, "jabber:x:data");
                /* A forged option and a tampered hidden field. */
                a = cmd("alice@example.test/phone", "f3", attrs,
                        "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>2</value>"
                        "</field><field var='unit'><value>../etc</value></field></x>");
                HAS(a, "<bad-payload");
                /* Another resource of the same user may not use the session. */
                a = cmd("alice@example.test/laptop", "f4", attrs,
                        "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>2</value>"
                        "</field></x>");
                HAS(a, "<bad-sessionid");
                /* prev is not offered on the first stage. */
                snprintf(attrs, sizeof(attrs), "node='form' sessionid='%s' action='prev'", sid);
                a = cmd("alice@example.test/phone", "f5", attrs, NULL);
                HAS(a, "<bad-action");
                snprintf(attrs, sizeof(attrs), "node='form' sessionid='%s' action='jump'", sid);
                a = cmd("alice@example.test/phone", "f6", attrs, NULL);
                HAS(a, "<malformed-action");
                snprintf(attrs, sizeof(attrs), "node='form' sessionid='%s' action='complete'", sid);
                a = cmd("alice@example.test/phone", "f7", attrs,
                        "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>2</value>"
                        "</field><field var='token'><value>forged</value></field></x>");
                HAS(a, "status=\"completed\"");
                HAS(a, "n=2 unit=web token=server-side");
                /* A finished session is gone. */
                a = cmd("alice@example.test/phone", "f8", attrs, NULL);
                HAS(a, "<session-expired");
        }
        a = cmd("alice@example.test/phone", "f9",
                "node='form' sessionid='0123456789abcdef0123456789abcdef'", NULL);
        HAS(a, "<session-expired");
}

static void test_confirm_and_cancel(void)
{
        char sid[64], attrs[200];
        const char *a;

        a = cmd("bob@example.test/r", "c1", "node='confirm'", NULL);
        HAS(a, "<actions execute=\"next\"><next/></actions>");
        sessionid(a, sid);
        snprintf(attrs, sizeof(attrs), "node='confirm' sessionid='%s'", sid); /* execute = next */
        a = cmd("bob@example.test/r", "c2", attrs,
                "<x xmlns='jabber:x:data' type='submit'><field "
                "var='unit'><value>db</value></field></x>");
        HAS(a, "<actions execute=\"complete\"><prev/><complete/></actions>");
        HAS(a, "Restart db?");
        snprintf(attrs, sizeof(attrs), "node='confirm' sessionid='%s' action='prev'", sid);
        a = cmd("bob@example.test/r", "c3", attrs, NULL);
        HAS(a, "<value>db</value>");
        snprintf(attrs, sizeof(attrs), "node='confirm' sessionid='%s' action='next'", sid);
        a = cmd("bob@example.test/r", "c4", attrs,
                "<x xmlns='jabber:x:data' type='submit'><field "
                "var='unit'><value>web</value></field></x>");
        HAS(a, "Restart web?");
        snprintf(attrs, sizeof(attrs), "node='confirm' sessionid='%s' action='complete'", sid);
        a = cmd("bob@example.test/r", "c5", attrs,
                "<x xmlns='jabber:x:data' type='submit'><field "
                "var='confirm'><value>false</value></field></x>");
        HAS(a, "status=\"completed\"");
        HAS(a, "Not confirmed");

        a = cmd("bob@example.test/r", "c6", "node='confirm'", NULL);
        sessionid(a, sid);
        snprintf(attrs, sizeof(attrs), "node='confirm' sessionid='%s' action='cancel'", sid);
        a = cmd("bob@example.test/r", "c7", attrs, NULL);
        HAS(a, "status=\"canceled\"");
        a = cmd("bob@example.test/r", "c8", attrs, NULL);
        HAS(a, "<session-expired");
}

static void test_other_iqs(void)
{
        const char *a;

        a = iq("<iq type='get' id='u1' from='mallory@example.test/x' to='" LOOPBACK_JID "'>"
               "<query xmlns='urn:example:unknown'/></iq>");
        HAS(a, "<service-unavailable");
        a = iq("<iq type='get' id='u2' from='mallory@example.test/x' to='" LOOPBACK_JID "'>"
               "<ping xmlns='urn:xmpp:ping'/></iq>");
        HAS(a, "type=\"result\"");
        a = iq("<iq type='get' id='u3' from='mallory@example.test/x' to='" LOOPBACK_JID "'/>");
        HAS(a, "<bad-request");
        a = iq("<iq type='get' id='u4' from='mallory@example.test/x' to='" LOOPBACK_JID "'>"
               "<query xmlns='jabber:iq:version'/></iq>");
        HAS(a, "<name>adhocd</name>");

        /* A roster push from another user is refused and changes nothing. */
        a = iq("<iq type='set' id='r1' from='mallory@example.test/x' to='" LOOPBACK_JID "'>"
               "<query xmlns='jabber:iq:roster'><item jid='mallory@example.test'>"
               "<group>flatmates</group></item></query></iq>");
        HAS(a, "type=\"error\"");
        CHECK(roster_groups(lb.agent->roster, "mallory@example.test") == NULL);
        a = cmd("mallory@example.test/x", "r2", "node='hello'", NULL);
        HAS(a, "<item-not-found");
        /* One from the account itself takes effect at once. */
        a = iq("<iq type='set' id='r3' to='" LOOPBACK_JID "'>"
               "<query xmlns='jabber:iq:roster'><item jid='carol@example.test'>"
               "<group>flatmates</group></item></query></iq>");
        HAS(a, "type=\"result\"");
        a = cmd("carol@example.test/x", "r4", "node='hello'", NULL);
        HAS(a, "status=\"completed\"");
}

static void test_caps(void)
{
        char xml[512];
        const char *a;

        /* Presence carries XEP-0115 caps, and NODE#VER answers the agent's own disco#info. */
        lb.agent->host.publish_presence(lb.agent, "away", NULL);
        a = lb.sent[strv_length(lb.sent) - 1];
        HAS(a, "<show>away</show>");
        HAS(a, "http://jabber.org/protocol/caps");
        HAS(a, disco_caps_ver());
        snprintf(xml, sizeof(xml),
                 "<iq type='get' id='k1' from='mallory@example.test/p' to='" LOOPBACK_JID "'>"
                 "<query xmlns='http://jabber.org/protocol/disco#info' node='%s#%s'/></iq>",
                 CAPS_NODE, disco_caps_ver());
        a = iq(xml);
        HAS(a, "type=\"result\"");
        HAS(a, "var=\"http://jabber.org/protocol/commands\"");
        snprintf(xml, sizeof(xml),
                 "<iq type='get' id='k2' from='mallory@example.test/p' to='" LOOPBACK_JID "'>"
                 "<query xmlns='http://jabber.org/protocol/disco#info' node='%s#wrong'/></iq>",
                 CAPS_NODE);
        a = iq(xml);
        HAS(a, "<item-not-found");
}

static void test_lang_and_slow(void)
{
        const char *a;
        size_t n;

        a = cmd("alice@example.test/phone", "l1", "node='hello' xml:lang='fr'", NULL);
        HAS(a, "Salut alice@example.test");
        HAS(a, "xml:lang=\"fr\"");

        /* A slow action does not hold up anyone else. */
        n = strv_length(lb.sent);
        a = cmd("alice@example.test/phone", "s1", "node='slow'", NULL);
        CHECK_INT(strv_length(lb.sent), n); /* nothing yet */
        a = cmd("bob@example.test/r", "s2", "node='hello'", NULL);
        HAS(a, "Hi bob@example.test");
        CHECK_INT(loopback_run_until(&lb, n + 2, 10 * USEC_PER_SEC), n + 2);
        HAS(lb.sent[n + 1], "slow done");
        HAS(lb.sent[n + 1], "id=\"s1\"");
}

/* The same answer up to attribute order (libstrophe keeps attributes in a hash table, so a
 * re-parsed answer may list them differently): the same bytes in another order, and the same
 * element sequence. */
static int cmp_char(const void *x, const void *y)
{
        return *(const char *)x - *(const char *)y;
}

static bool same_answer(const char *a, const char *b)
{
        _cleanup_free_ char *x = strdup(a), *y = strdup(b);
        const char *p = a, *q = b;

        if (!x || !y || strlen(a) != strlen(b))
                return false;
        /* Element names in order: each '<' is followed by the same name. */
        while ((p = strchr(p, '<')) && (q = strchr(q, '<'))) {
                size_t n = strcspn(p, " />"), m = strcspn(q, " />");
                if (n != m || strncmp(p, q, n) != 0)
                        return false;
                p++;
                q++;
        }
        qsort(x, strlen(x), 1, cmp_char);
        qsort(y, strlen(y), 1, cmp_char);
        return streq(x, y);
}

/* XEP-0198 may resend an iq after a resume: the same (from, id, payload) must not run twice.
 * The session table shows whether a stage ran again; the answer must be the kept one. */
/* Outside the redelivery window a repeated (from, id, payload) is a client that restarted its
 * id counter: it runs like any request. */
static void test_repeat_outside_redelivery_runs(void)
{
        char first[64], second[64];
        const char *a;

        a = cmd("carol@example.test/restarted", "1", "node='hello'", NULL);
        HAS(a, "status=\"completed\"");
        sessionid(a, first);
        a = cmd("carol@example.test/restarted", "1", "node='hello'", NULL);
        HAS(a, "status=\"completed\"");
        sessionid(a, second);
        /* A replayed answer would carry the first session's id. */
        CHECK(strlen(first) == 32 && strlen(second) == 32 && strcmp(first, second) != 0);
}

static void test_resend_runs_once(void)
{
        static const char n2[] =
            "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>2</value></field></x>";
        const char *from = "bob@example.test/dup";
        size_t n0 = session_table_count(lb.agent->sessions), n;
        char sid[64], attrs[160], *first, *deep;
        const char *a;

        /* As right after the agent's stream came back, when the server may resend. */
        lb.agent->redelivery_until = USEC_INFINITY;

        first = strdup(cmd(from, "r1", "node='form'", NULL));
        HAS(first, "status=\"executing\"");
        sessionid(first, sid);
        CHECK_INT(session_table_count(lb.agent->sessions), n0 + 1);
        a = cmd(from, "r1", "node='form'", NULL);
        CHECK(same_answer(a, first)); /* the very same answer, and no second session */
        CHECK_INT(session_table_count(lb.agent->sessions), n0 + 1);
        free(first);

        snprintf(attrs, sizeof(attrs), "node='form' sessionid='%s' action='complete'", sid);
        first = strdup(cmd(from, "r2", attrs, n2));
        HAS(first, "status=\"completed\"");
        HAS(first, "n=2 unit=web token=server-side");
        CHECK_INT(session_table_count(lb.agent->sessions), n0);
        a = cmd(from, "r2", attrs, n2);
        CHECK(same_answer(a, first)); /* completed again from the window, not session-expired */
        free(first);
        /* The session really is gone: a new request (new id) with that payload is refused, and
         * so is the same id with one value changed deep in the payload (not a resend). */
        a = cmd(from, "r3", attrs, n2);
        HAS(a, "<session-expired");
        a = cmd(
            from, "r2", attrs,
            "<x xmlns='jabber:x:data' type='submit'><field var='n'><value>3</value></field></x>");
        HAS(a, "<session-expired");
        /* Nor is an attribute moved from one element to another. */
        a = cmd(
            from, "r2", attrs,
            "<x xmlns='jabber:x:data'><field var='n' type='submit'><value>2</value></field></x>");
        HAS(a, "<session-expired");
        /* A deeply nested payload is walked without recursion, and answered. */
        deep = malloc(20000 * 7 + 1);
        CHECK(deep);
        for (int i = 0; i < 20000; i++) {
                memcpy(deep + 3 * i, "<a>", 3);
                memcpy(deep + 3 * 20000 + 4 * i, "</a>", 4);
        }
        deep[20000 * 7] = 0;
        a = cmd(from, "r5", "node='hello'", deep);
        HAS(a, "id=\"r5\"");
        free(deep);
        /* The same id with another payload is another request, not a resend. */
        a = cmd(from, "r1", "node='hello'", NULL);
        HAS(a, "Hi bob@example.test");

        /* A resend while the action is still running: the one answer to come answers both. */
        n = strv_length(lb.sent);
        cmd(from, "r4", "node='slow'", NULL);
        cmd(from, "r4", "node='slow'", NULL);
        CHECK_INT(strv_length(lb.sent), n);
        CHECK_INT(loopback_run_until(&lb, n + 1, 10 * USEC_PER_SEC), n + 1);
        HAS(lb.sent[n], "slow done");
        first = strdup(lb.sent[n]);
        /* Nothing else comes: the slow action ran once (its delay is 300 ms). */
        CHECK_INT(loopback_run_until(&lb, n + 2, 1500 * USEC_PER_MSEC), n + 1);
        a = cmd(from, "r4", "node='slow'", NULL);
        CHECK(same_answer(a, first));
        HAS(a, "id=\"r4\"");
        free(first);
}

static void test_session_limit(void)
{
        const char *a;

        /* max_per_requester is 3: a fourth open session is refused, others still served. Each
         * request has its own id: the same (from, id, payload) again would be a resend. */
        for (int i = 0; i < 3; i++) {
                char id[16];
                snprintf(id, sizeof(id), "m%d", i);
                a = cmd("alice@example.test/phone", id, "node='form'", NULL);
                HAS(a, "status=\"executing\"");
        }
        a = cmd("alice@example.test/phone", "m4", "node='form'", NULL);
        HAS(a, "<resource-constraint");
        a = cmd("bob@example.test/r", "m5", "node='form'", NULL);
        HAS(a, "status=\"executing\"");
}

static void test_offline_result_kept(void)
{
        size_t n = strv_length(lb.sent);

        /* The connection drops while an action runs: its outcome waits in the outbox. */
        cmd("bob@example.test/r", "o1", "node='slow'", NULL);
        CHECK_INT(xconn_set_loopback(lb.agent->xc, NULL, NULL, NULL), 0);
        for (int i = 0; i < 100 && lb.agent->n_outbox == 0; i++)
                (void)sd_event_run(lb.event, 100 * USEC_PER_MSEC);
        CHECK_INT(strv_length(lb.sent), n);
        CHECK_INT(lb.agent->n_outbox, 1);
        if (lb.agent->n_outbox == 1) {
                CHECK_STREQ(lb.agent->outbox[0].to, "bob@example.test");
                HAS(lb.agent->outbox[0].body, "'slow' finished while adhocd was offline");
                HAS(lb.agent->outbox[0].body, "slow done");
        }
}

int main(void)
{
        CHECK_INT(loopback_start(&lb, policy_yaml, roster_xml), 0);
        if (!lb.agent)
                return TESTS_RESULT();
        test_permissions();
        test_form_stage();
        test_confirm_and_cancel();
        test_other_iqs();
        test_caps();
        test_lang_and_slow();
        test_resend_runs_once();
        lb.agent->redelivery_until = 0;
        test_repeat_outside_redelivery_runs();
        test_session_limit();
        test_offline_result_kept();
        loopback_stop(&lb);
        return TESTS_RESULT();
}
