/* SPDX-License-Identifier: MIT */
/*
 * The presence feature on a real sd-event loop, through its feature_ops and public API: probes
 * on a fake /proc tree, a real probe script, failed_units without a system bus, publication,
 * reconnection, manual status with and without expiry, and a clean stop.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "presence-host.h"

static char root[] = "/tmp/test-presence-feature-XXXXXX";

/* Runs the loop until something is published (bounded by the probe interval). */
static void run_until_published(sd_event *e, unsigned count)
{
        for (int i = 0; i < 10000 && fake.n_published < count; i++)
                CHECK(sd_event_run(e, UINT64_MAX) >= 0);
        CHECK_INT(fake.n_published, count);
}

int main(void)
{
        static const char *const files[] = {"proc/loadavg", "proc/meminfo", "proc/uptime",
                                            "script.out"};
        const struct feature_ops *ops = feature_ops_lookup("presence");
        struct feature_host host = fake_host();
        char yaml[2048], proc[600], *s = NULL;
        struct ynode *doc = NULL;
        struct diags d = {0};
        void *cfg = NULL, *state = NULL;
        sd_event *e = NULL;

        CHECK(ops != NULL);
        CHECK(feature_ops_lookup("nope") == NULL);
        if (!ops || !mkdtemp(root))
                return 1;
        snprintf(proc, sizeof(proc), "%s/proc", root);
        mkdir(proc, 0755);
        write_file_in(root, "proc/loadavg", "0.52 0.40 0.30 1/100 42\n");
        write_file_in(root, "proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 250 kB\n");
        write_file_in(root, "proc/uptime", "7200.5 10.0\n");
        /* No system bus here: failed_units must degrade to '?'. */
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket", 1);

        snprintf(yaml, sizeof(yaml),
                 "presence:\n"
                 "  interval: 1s\n"
                 "  min_update: 0s\n"
                 "  root: %s\n"
                 "  status: \"load {load1} · mem {mem_used_pct}%% · up {uptime} · temp {TEMP}"
                 " · failed {failed_units}\"\n"
                 "  probes:\n"
                 "    builtin: [load, memory, uptime, failed_units]\n"
                 "    script: {argv: [/bin/cat, %s/script.out], timeout: 5s}\n"
                 "  show:\n"
                 "    - {when: \"TEMP > 80\", show: dnd}\n"
                 "    - {when: \"load1 >= 4\", show: away}\n",
                 root, root);
        write_file_in(root, "script.out", "TEMP=40\n");
        CHECK_INT(ynode_parse(yaml, strlen(yaml), "feature.yaml", &doc, &d), 0);
        CHECK_INT(ops->parse(ynode_get(doc, "presence"), &cfg, &d), 0);
        /* A generous timeout for loaded test machines; the config says it is unusual. */
        CHECK_INT(d.n, 1);
        CHECK(d.n == 1 && strstr(d.v[0].msg, "timeout should be shorter than the interval"));
        if (!cfg)
                return 1;

        /* start() blocks SIGCHLD itself when the program did not (the script needs it). */
        CHECK_INT(sd_event_new(&e), 0);
        host.event = e;
        host.agent = &fake;
        CHECK_INT(ops->start(&host, cfg, &state), 0);
        {
                sigset_t cur;
                sigprocmask(SIG_BLOCK, NULL, &cur);
                CHECK(sigismember(&cur, SIGCHLD));
        }

        /* The first run publishes with every probe in, the failed one as '?'. */
        run_until_published(e, 1);
        CHECK(fake.show == NULL);
        CHECK_STREQ(fake.text, "load 0.52 · mem 75% · up 2h 0m · temp 40 · failed ?");

        /* Reconnected: the same state again, at once. */
        ops->online(state);
        CHECK_INT(fake.n_published, 2);

        /* Values change: the next run publishes them and applies the rules. */
        write_file_in(root, "script.out", "TEMP=85\n");
        run_until_published(e, 3);
        CHECK_STREQ(fake.show, "dnd");
        CHECK_STREQ(fake.text, "load 0.52 · mem 75% · up 2h 0m · temp 85 · failed ?");

        /* A broken script: its values become '?', the rest goes on. */
        write_file_in(root, "script.out", "temperature is 85\n");
        run_until_published(e, 4);
        CHECK(fake.show == NULL);
        CHECK_STREQ(fake.text, "load 0.52 · mem 75% · up 2h 0m · temp ? · failed ?");

        /* Manual status until cleared. */
        CHECK_INT(presence_set_manual(state, "bogus", NULL, 0), -EINVAL);
        CHECK_INT(presence_set_manual(state, "away", "back soon", 0), 0);
        CHECK_INT(fake.n_published, 5);
        CHECK_STREQ(fake.show, "away");
        CHECK_STREQ(fake.text, "back soon");
        CHECK_INT(presence_describe(state, NULL, &s), 0);
        CHECK_STREQ(s, "away: back soon (manual, until cleared)");
        free(s);
        presence_clear_manual(state);
        CHECK_INT(fake.n_published, 6);
        CHECK(fake.show == NULL);

        /* With a duration: its timer brings the computed state back. */
        CHECK_INT(presence_set_manual(state, "xa", "", 1 * USEC_PER_MSEC), 0);
        CHECK_INT(fake.n_published, 7);
        CHECK_STREQ(fake.show, "xa");
        CHECK(fake.text == NULL);
        run_until_published(e, 8);
        CHECK(fake.show == NULL);

        CHECK(presence_uptime(state) > 0);
        CHECK(presence_control_access(cfg) == NULL);

        /* Stop, possibly with the script running: nothing left behind. */
        ops->stop(state);
        errno = 0;
        CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
        CHECK_INT(errno, ECHILD);

        ops->free_cfg(cfg);
        ynode_free(doc);
        diags_done(&d);
        sd_event_unref(e);
        fake_host_done();
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(yaml, sizeof(yaml), "%s/%s", root, files[i]);
                CHECK_INT(unlink(yaml), 0);
        }
        CHECK_INT(rmdir(proc), 0);
        CHECK_INT(rmdir(root), 0);
        return TESTS_RESULT();
}
