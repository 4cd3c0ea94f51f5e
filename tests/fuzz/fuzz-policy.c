/* SPDX-License-Identifier: MIT */
/*
 * Policy loading from untrusted bytes: YAML parsing, then the whole policy build (forms,
 * templates, access lists, actions). A NUL byte splits the input into the main file and one
 * included file (NUL is never valid in YAML, so no input is lost by that convention).
 */
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct policy *p)
{
        static char *groups[] = {(char *)"Admins", (char *)"admins", NULL};
        static const char *const who[] = {"alice@example.org", "bob@partner.example", "x@y.z",
                                          "example.org", "not a jid"};

        for (size_t i = 0; i < p->n_commands; i++)
                for (size_t j = 0; j < sizeof(who) / sizeof(who[0]); j++) {
                        const struct requester r = {.bare = who[j], .groups = groups};
                        (void)policy_allows(p, &p->commands[i], &r);
                        (void)policy_find_command(p, p->commands[i].node);
                }
        for (size_t j = 0; j < sizeof(who) / sizeof(who[0]); j++)
                (void)policy_accepts_subscription(p, who[j]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        const uint8_t *nul = memchr(data, 0, size);
        size_t main_len = nul ? (size_t)(nul - data) : size;
        struct ynode *docs[2] = {0};
        struct policy *p = NULL;
        struct diags d = {0};
        size_t n = 0;

        if (ynode_parse(buf, main_len, "main.yaml", &docs[0], &d) >= 0)
                n = 1;
        if (n == 1 && nul &&
            ynode_parse(buf + main_len + 1, size - main_len - 1, "inc.yaml", &docs[1], &d) >= 0)
                n = 2;
        if (n > 0 && policy_from_ynodes((const struct ynode *const *)docs, n, &p, &d) >= 0)
                exercise(p);

        policy_free(p);
        ynode_free(docs[0]);
        ynode_free(docs[1]);
        diags_done(&d);
        return 0;
}
