/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading YAML in the unit tests (a feature's section, a whole policy) and finding what it said. */
#include "feature.h"
#include "policy.h"
#include "tests.h"

/* Whether d holds a diagnostic of that level whose message contains msg, at file:line:col
 * (file NULL: in any file; line 0: anywhere). If not, says so and prints d. */
static inline bool tests_has_diag(const struct diags *d, enum diag_level level, const char *file,
                                  unsigned line, unsigned col, const char *msg)
{
        for (size_t i = 0; i < d->n; i++) {
                const struct diag *g = &d->v[i];

                if (g->level == level && (!file || streq_ptr(g->file, file)) &&
                    (!line || (g->line == line && g->col == col)) && strstr(g->msg, msg))
                        return true;
        }
        fprintf(stderr, "expected %s %s:%u:%u '%s', got:\n",
                level == DIAG_ERROR ? "error" : "warning", file ? file : "*", line, col, msg);
        diags_print(d, stderr);
        return false;
}

/* Hands the document yaml ("t.yaml") to f->parse(); the config, or NULL. d is emptied first. */
static inline void *tests_parse_section(const struct feature_ops *f, const char *yaml,
                                        struct diags *d)
{
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        void *cfg = NULL;

        diags_done(d);
        CHECK(ynode_parse(yaml, strlen(yaml), "t.yaml", &n, d) >= 0);
        if (f->parse(n, &cfg, d) < 0)
                return NULL;
        return cfg;
}

/* Builds a policy from a main document ("main.yaml") and optionally one included document
 * ("inc.yaml"). d is emptied first. */
static inline int tests_policy_from_yaml(const char *main_yaml, const char *inc_yaml,
                                         struct policy **ret, struct diags *d)
{
        struct ynode *docs[2] = {0};
        size_t n = 0;
        int r;

        diags_done(d);
        r = ynode_parse(main_yaml, strlen(main_yaml), "main.yaml", &docs[n], d);
        if (r >= 0)
                n++;
        if (r >= 0 && inc_yaml) {
                r = ynode_parse(inc_yaml, strlen(inc_yaml), "inc.yaml", &docs[n], d);
                if (r >= 0)
                        n++;
        }
        if (r >= 0)
                r = policy_from_ynodes((const struct ynode *const *)docs, n, ret, d);
        for (size_t i = 0; i < n; i++)
                ynode_free(docs[i]);
        return r;
}
