/* SPDX-License-Identifier: MIT */
#pragma once

/* A feature host for the presence tests: it records what is published, sends nothing, resolves
 * no one, and is always online; and a writer for the fake /proc tree. */
#include <stdio.h>

#include "presence/presence-internal.h"
#include "tests.h"

static struct {
        unsigned n_published;
        char *show;
        char *text;
} fake;

static void fake_publish(void *agent, const char *show, const struct i18n *status)
{
        fake.n_published++;
        free(fake.show);
        free(fake.text);
        fake.show = strdup_or_null(show);
        fake.text = strdup_or_null(i18n_pick(status, NULL));
}

static void fake_send(void *agent, const char *to, const char *type, const char *lang,
                      const char *body)
{
}

static int fake_resolve(void *agent, const struct access *a, char ***ret)
{
        *ret = NULL;
        return 0;
}

static bool fake_is_online(void *agent)
{
        return true;
}

static inline struct feature_host fake_host(void)
{
        return (struct feature_host){
            .publish_presence = fake_publish,
            .send_message = fake_send,
            .resolve_access = fake_resolve,
            .is_online = fake_is_online,
        };
}

static inline void fake_host_done(void)
{
        free(fake.show);
        free(fake.text);
}

/* Writes content to root/rel. */
static inline void write_file_in(const char *root, const char *rel, const char *content)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(content, f);
                fclose(f);
        }
}
