/* SPDX-License-Identifier: MIT */
/*
 * The ad-hoc request handler: any bytes as an <iq/> from an authorised contact (and again from
 * a stranger) to an agent without a server. Every answer must be well-formed XML that parses
 * back. Session state carries over between inputs, as it would on a long-running agent.
 */
#include "../loopback-agent.h"

static struct loopback lb;
static bool started;

static const char policy_yaml[] =
    "account: {jid: agent@example.test, password: x}\n"
    "sessions: {rate_per_minute: 1000000, max_total: 64}\n"
    "commands:\n"
    "  - node: hello\n"
    "    name: Hello\n"
    "    allow: {groups: [g]}\n"
    "    reply: {note: 'Hi {from}', echo: true}\n"
    "  - node: form\n"
    "    name: Form\n"
    "    allow: {groups: [g]}\n"
    "    form:\n"
    "      fields:\n"
    "        - {var: n, type: text-single, validate: {datatype: 'xs:integer', range: [1, 9]}}\n"
    "        - {var: l, type: list-multi, options: [a, b]}\n"
    "        - {var: j, type: jid-single}\n"
    "        - {var: p, type: text-private}\n"
    "        - {var: b, type: boolean}\n"
    "    confirm: 'Sure about {n}?'\n"
    "    reply: {note: done, echo: true}\n";

static void check_answers(void)
{
        STRV_FOREACH (s, lb.sent) {
                xmpp_stanza_t *st = xmpp_stanza_new_from_string(lb.ctx, *s);
                if (!st)
                        abort(); /* an answer that does not parse back */
                xmpp_stanza_release(st);
        }
        lb.sent = strv_free(lb.sent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *xml;

        if (!started) {
                if (loopback_start(&lb, policy_yaml,
                                   "<query xmlns='jabber:iq:roster'><item jid='u@example.test'>"
                                   "<group>g</group></item></query>") < 0)
                        abort();
                started = true;
        }
        if (size > 65536)
                return 0;
        xml = strndup((const char *)data, size);
        if (!xml)
                return 0;
        /* The server stamps 'from'; an input without one gets the contact's. */
        if (loopback_feed(&lb, xml) >= 0)
                check_answers();
        free(xml);
        return 0;
}
