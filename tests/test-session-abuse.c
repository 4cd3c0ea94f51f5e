/* SPDX-License-Identifier: MIT */
/*
 * 100,000 sessions opened and abandoned (issue 8 #6), through the whole engine on a loopback
 * agent: past the limits every request gets resource-constraint, sessions expire, and the
 * agent's memory stays flat (RSS after 100,000 is within a margin of RSS after the first
 * 10,000, once the table is full).
 */
#include <stdio.h>

#include "log.h"

/* AddressSanitizer keeps freed memory in quarantine: RSS then says nothing about leaks, which
 * LeakSanitizer checks in that build instead. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif
#include "loopback-agent.h"
#include "tests.h"

static const char policy_yaml[] =
    "account: {jid: agent@example.test, password: x}\n"
    "sessions: {idle_timeout: 200ms, max_per_requester: 5, max_total: 200, "
    "rate_per_minute: 1000000}\n"
    "commands:\n"
    "  - node: form\n"
    "    name: Form\n"
    "    allow: {jids: ['*@example.test']}\n"
    "    form: {fields: [{var: n, validate: {datatype: 'xs:integer'}}]}\n"
    "    reply: done\n";

static long rss_kib(void)
{
        long rss = -1;
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &rss) == 1)
                        break;
        fclose(f);
        return rss;
}

/* Valgrind makes each request ~50 times slower: fewer of them still prove the point. */
static unsigned total_requests(void)
{
        const char *p = getenv("LD_PRELOAD");
        return p && strstr(p, "vgpreload") ? 12000 : 100000;
}

int main(void)
{
        struct loopback lb;
        unsigned n = total_requests(), executing = 0, refused = 0, other = 0;
        long rss_early = 0, rss_end;

        log_set_max_level(LOG_WARNING); /* 100,000 audit lines would say nothing */
        CHECK_INT(loopback_start(&lb, policy_yaml, NULL), 0);
        if (!lb.agent)
                return TESTS_RESULT();
        for (unsigned i = 0; i < n; i++) {
                char xml[400];
                const char *a;

                /* 1,000 different users, each from a fresh resource, never finishing. */
                snprintf(xml, sizeof(xml),
                         "<iq type='set' id='q%u' from='u%u@example.test/r%u' "
                         "to='" LOOPBACK_JID "'><command "
                         "xmlns='http://jabber.org/protocol/commands' node='form'/></iq>",
                         i, i % 1000, i);
                CHECK_INT(loopback_feed(&lb, xml), 0);
                a = lb.sent[strv_length(lb.sent) - 1];
                if (strstr(a, "status=\"executing\""))
                        executing++;
                else if (strstr(a, "<resource-constraint"))
                        refused++;
                else
                        other++;
                lb.sent = strv_free(lb.sent);
                /* Let idle sessions expire now and then, as time passes on a real agent. */
                if (i % 5000 == 4999)
                        for (int k = 0; k < 4; k++)
                                (void)sd_event_run(lb.event, 100 * USEC_PER_MSEC);
                if (i == 9999)
                        rss_early = rss_kib();
        }
        rss_end = rss_kib();
        CHECK_INT(other, 0);
        CHECK(executing >= 200); /* the table filled, then refilled after expiry */
        CHECK(refused > n / 2);  /* past the limit: resource-constraint */
        CHECK(session_table_count(lb.agent->sessions) <= 200);
        fprintf(stderr, "%u requests: %u sessions opened, %u refused; RSS %ld -> %ld KiB\n", n,
                executing, refused, rss_early, rss_end);
        CHECK(rss_early > 0 && rss_end > 0);
        if (!UNDER_ASAN)
                CHECK(rss_end - rss_early <
                      2 * 1024); /* flat: a few bytes per request would show */
        loopback_stop(&lb);
        return TESTS_RESULT();
}
