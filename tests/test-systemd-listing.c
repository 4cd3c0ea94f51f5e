/* SPDX-License-Identifier: MIT */
/* The merge of the loaded units and the unit files (pure), and which units the forms offer. */
#include <stdlib.h>

#include "systemd/systemd-internal.h"
#include "tests.h"

static struct sysd_config *config(void)
{
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        struct diags d = {0};
        struct sysd_config *c = NULL;
        const char *yaml = "{allow: admins, units: [nginx.service, 'app-*.service']}";

        CHECK(ynode_parse(yaml, strlen(yaml), "t.yaml", &n, &d) >= 0);
        CHECK(sysd_config_parse(n, &c, &d) >= 0);
        diags_done(&d);
        return c;
}

static struct sysd_unit loaded(const char *name, const char *load, const char *active)
{
        return (struct sysd_unit){
            .name = strdup(name),
            .description = strdup(""),
            .load = strdup(load),
            .active = strdup(active),
            .sub = strdup("running"),
            .path = strdup("/org/freedesktop/systemd1/unit/x"),
        };
}

static void test_merge(void)
{
        _cleanup_(sysd_config_freep) struct sysd_config *c = config();
        struct sysd_unit *v = NULL, *u;
        size_t n = 0;

        if (!c)
                return;
        u = array_grow((void **)&v, &n, sizeof(*u));
        CHECK(u != NULL);
        *u = loaded("nginx.service", "loaded", "active");

        /* A loaded unit's file gives it its state and adds nothing. */
        CHECK_INT(
            sysd_units_add_file(c, &v, &n, "/usr/lib/systemd/system/nginx.service", "enabled"), 0);
        CHECK_INT(n, 1);
        CHECK_STREQ(v[0].file_state, "enabled");
        /* An allowed file of a unit that is not loaded: a not-loaded, inactive unit. */
        CHECK_INT(
            sysd_units_add_file(c, &v, &n, "/etc/systemd/system/app-idle.service", "disabled"), 1);
        CHECK_INT(n, 2);
        CHECK_STREQ(v[1].name, "app-idle.service");
        CHECK_STREQ(v[1].load, "not-loaded");
        CHECK_STREQ(v[1].active, "inactive");
        CHECK_STREQ(v[1].sub, "dead");
        CHECK_STREQ(v[1].file_state, "disabled");
        CHECK(v[1].path == NULL);
        /* Never: outside the allow-list, a template, an alias, an invalid name. */
        CHECK_INT(sysd_units_add_file(c, &v, &n, "/usr/lib/systemd/system/sshd.service", "enabled"),
                  0);
        CHECK_INT(
            sysd_units_add_file(c, &v, &n, "/etc/systemd/system/app-tmpl@.service", "disabled"), 0);
        CHECK_INT(sysd_units_add_file(c, &v, &n, "/etc/systemd/system/app-link.service", "alias"),
                  0);
        CHECK_INT(sysd_units_add_file(c, &v, &n, "/etc/app-x;y.service", "enabled"), 0);
        CHECK_INT(n, 2);
        /* An instance's own file is a unit like another. */
        CHECK_INT(
            sysd_units_add_file(c, &v, &n, "/etc/systemd/system/app-t@one.service", "enabled"), 1);
        CHECK_INT(
            sysd_units_add_file(c, &v, &n, "/etc/systemd/system/app-masked.service", "masked"), 1);
        CHECK_INT(n, 4);
        sysd_units_sort(v, n);
        CHECK_STREQ(v[0].name, "app-idle.service");
        CHECK_STREQ(v[1].name, "app-masked.service");
        CHECK_STREQ(v[2].name, "app-t@one.service");
        CHECK_STREQ(v[3].name, "nginx.service");
        sysd_units_free(v, n);
}

static void test_bounded(void)
{
        _cleanup_(sysd_config_freep) struct sysd_config *c = config();
        struct sysd_unit *v = NULL;
        size_t n = 0;
        char path[64];

        if (!c)
                return;
        for (unsigned i = 0; i < SYSD_UNITS_MAX + 10; i++) {
                snprintf(path, sizeof(path), "/etc/systemd/system/app-%u.service", i);
                CHECK(sysd_units_add_file(c, &v, &n, path, "disabled") >= 0);
        }
        CHECK_INT(n, SYSD_UNITS_MAX);
        sysd_units_free(v, n);
}

static void test_offered(void)
{
        struct sysd_unit plain = loaded("a.service", "loaded", "inactive");
        struct sysd_unit masked_file = loaded("b.service", "not-loaded", "inactive");
        struct sysd_unit masked_running = loaded("c.service", "masked", "active");

        masked_file.file_state = strdup("masked-runtime");
        for (enum sysd_verb v = 0; v < _SYSD_VERB_MAX; v++)
                CHECK(sysd_unit_offered(&plain, v));
        CHECK(sysd_unit_is_masked(&masked_file));
        CHECK(sysd_unit_is_masked(&masked_running));
        CHECK(!sysd_unit_is_masked(&plain));
        /* A masked unit: always in status; never to start; stopped only while it runs. */
        CHECK(sysd_unit_offered(&masked_file, SYSD_VERB_STATUS));
        CHECK(!sysd_unit_offered(&masked_file, SYSD_VERB_START));
        CHECK(!sysd_unit_offered(&masked_file, SYSD_VERB_RESTART));
        CHECK(!sysd_unit_offered(&masked_file, SYSD_VERB_STOP));
        CHECK(!sysd_unit_offered(&masked_running, SYSD_VERB_START));
        CHECK(!sysd_unit_offered(&masked_running, SYSD_VERB_RESTART));
        CHECK(sysd_unit_offered(&masked_running, SYSD_VERB_STOP));
        CHECK(sysd_unit_offered(&masked_running, SYSD_VERB_RELOAD));
        sysd_unit_done(&plain);
        sysd_unit_done(&masked_file);
        sysd_unit_done(&masked_running);
}

int main(void)
{
        test_merge();
        test_bounded();
        test_offered();
        return TESTS_RESULT();
}
