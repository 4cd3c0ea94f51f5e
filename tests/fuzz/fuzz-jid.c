/* SPDX-License-Identifier: MIT */
/* JID parsing, with properties that must hold for every valid JID. */
#include "jid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_valid(const char *s)
{
        struct jid j = {};
        char *bare, *norm, *norm2, *domain;

        if (jid_parse(s, &j) < 0)
                abort();
        bare = jid_bare(s);
        norm = jid_normalize(s);
        domain = jid_domain(s);
        if (!bare || !norm || !domain || !streq(domain, j.domain))
                abort();
        /* The normal form is valid, stable and means the same JID. */
        norm2 = jid_normalize(norm);
        if (!norm2 || !streq(norm, norm2) || !jid_bare_equal(s, norm))
                abort();
        if (!jid_bare_equal(s, s) || !jid_bare_equal(bare, s) || !jid_match(bare, s) ||
            !jid_pattern_is_valid(bare))
                abort();
        if (strchr(bare, '/'))
                abort();
        free(bare);
        free(norm);
        free(norm2);
        free(domain);
        jid_done(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct jid j = {};
        char *s;

        if (size > 8192)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        if (jid_is_valid(s))
                check_valid(s);
        else if (jid_parse(s, &j) != -EINVAL || jid_bare(s) || jid_normalize(s))
                abort();
        /* Patterns and matching must not crash on anything. */
        (void)jid_pattern_is_valid(s);
        (void)jid_match(s, "user@example.com");
        (void)jid_match("*@example.com", s);
        (void)jid_bare_equal(s, "user@example.com");
        free(s);
        return 0;
}
