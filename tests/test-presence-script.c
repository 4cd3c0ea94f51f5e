/* SPDX-License-Identifier: MIT */
/*
 * The probe script, with real child processes: good KEY=VALUE output, a non-zero exit,
 * garbage, a timeout (its whole process group killed), a signal, too much output; what the
 * child inherits (environment, fds, process group); no zombie is left behind.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "presence/presence-internal.h"
#include "tests.h"

struct run {
        struct presence_script *script;
        struct presence_values values;
        char *error;
        bool done;
};

static sd_event *event;

static void on_done(struct presence_script *s, const struct presence_values *v, const char *error,
                    void *userdata)
{
        struct run *run = userdata;

        CHECK(s == run->script);
        /* Freeing the script from its own callback is allowed. */
        run->script = presence_script_free(run->script);
        CHECK_INT(presence_values_merge(&run->values, v), 0);
        run->error = error ? strdup(error) : NULL;
        run->done = true;
}

static void run_done(struct run *run)
{
        presence_values_done(&run->values);
        free(run->error);
}

/* Runs argv to completion; returns the start result. */
static int run_script(char *const *argv, usec_t timeout, struct run *run)
{
        int r;

        *run = (struct run){0};
        r = presence_script_start(event, argv, timeout, on_done, run, &run->script);
        if (r < 0)
                return r;
        /* Bounded by the script's own timeout: each iteration dispatches something. */
        while (!run->done)
                CHECK(sd_event_run(event, UINT64_MAX) >= 0);
        return 0;
}

static int sh(const char *code, usec_t timeout, struct run *run)
{
        char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)code, NULL};

        return run_script(argv, timeout, run);
}

static const char *text(const struct run *run, const char *name)
{
        const struct presence_value *e = presence_values_get(&run->values, name);

        return e ? (e->text ? e->text : "?") : "(absent)";
}

static void check_no_children(void)
{
        /* Every child was reaped: no zombie left. */
        errno = 0;
        CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
        CHECK_INT(errno, ECHILD);
}

static void check_error(const struct run *run, const char *part)
{
        CHECK(run->error && strstr(run->error, part));
        if (!run->error || !strstr(run->error, part))
                fprintf(stderr, "error '%s' lacks '%s'\n", strempty(run->error), part);
        /* A failed run yields no values: everything from the script shows as '?'. */
        CHECK_INT(run->values.n, 0);
}

static void test_good(void)
{
        struct run run;

        CHECK_INT(sh("echo TEMP=41.5; echo; echo 'STATE=all good'; printf 'RAID=ok\\r\\n'",
                     5 * USEC_PER_SEC, &run),
                  0);
        CHECK(!run.error);
        CHECK_STREQ(text(&run, "TEMP"), "41.5");
        CHECK_STREQ(text(&run, "STATE"), "all good");
        CHECK_STREQ(text(&run, "RAID"), "ok");
        CHECK_INT(run.values.n, 3);
        {
                double t = 0;
                CHECK(presence_values_lookup("TEMP", &t, &run.values) && t == 41.5);
                CHECK(!presence_values_lookup("STATE", &t, &run.values));
        }
        run_done(&run);
        /* Empty output is fine: no values. */
        CHECK_INT(sh("true", 5 * USEC_PER_SEC, &run), 0);
        CHECK(!run.error);
        CHECK_INT(run.values.n, 0);
        run_done(&run);
        check_no_children();
}

static void test_failures(void)
{
        struct run run;

        CHECK_INT(
            sh("echo A=1; echo 'disk on fire' >&2; echo more >&2; exit 3", 5 * USEC_PER_SEC, &run),
            0);
        check_error(&run, "exited with status 3: disk on fire");
        run_done(&run);

        CHECK_INT(sh("echo A=1; echo this is garbage; echo B=2", 5 * USEC_PER_SEC, &run), 0);
        check_error(&run, "output line 2 is not KEY=VALUE");
        run_done(&run);

        CHECK_INT(sh("echo '1A=x'", 5 * USEC_PER_SEC, &run), 0);
        check_error(&run, "line 1 is not KEY=VALUE");
        run_done(&run);

        CHECK_INT(sh("printf 'A=1\\000\\n'", 5 * USEC_PER_SEC, &run), 0);
        check_error(&run, "NUL byte");
        run_done(&run);

        CHECK_INT(sh("kill -TERM $$", 5 * USEC_PER_SEC, &run), 0);
        check_error(&run, "killed by signal");
        run_done(&run);

        /* Endless output is cut short. */
        CHECK_INT(sh("while :; do echo A=0123456789012345678901234567890123456789; done",
                     5 * USEC_PER_SEC, &run),
                  0);
        check_error(&run, "printed more than");
        run_done(&run);

        /* Not startable: reported at once by posix_spawn(), or as exit status 127 where it
         * cannot tell (under valgrind, whose fork emulation hides the exec error). */
        {
                char *argv[] = {(char *)"/nonexistent/health", NULL};
                int r = run_script(argv, 5 * USEC_PER_SEC, &run);

                if (r == 0)
                        check_error(&run, "exited with status 127");
                else
                        CHECK_INT(r, -ENOENT);
                run_done(&run);
        }
        check_no_children();
}

static bool process_is_gone(pid_t pid)
{
        char path[64], buf[512];
        FILE *f;
        char *p;
        bool gone = true;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return true;
        /* A zombie waiting for its new parent (init) to reap it is gone too. */
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
                gone = p[2] == 'Z' || p[2] == 'X';
        fclose(f);
        return gone;
}

static void test_timeout(void)
{
        char tmp[] = "/tmp/test-presence-script-XXXXXX", code[1024], pidfile[600];
        struct run run;
        pid_t grandchild = 0;
        FILE *f;

        CHECK(mkdtemp(tmp) != NULL);
        snprintf(pidfile, sizeof(pidfile), "%s/pid", tmp);
        /* A child of its own in the background, then hang: both must die. */
        snprintf(code, sizeof(code), "sleep 300 & echo $! > %s; echo A=1; sleep 300", pidfile);
        CHECK_INT(sh(code, 200 * USEC_PER_MSEC, &run), 0);
        check_error(&run, "timed out after 0.2s");
        run_done(&run);

        f = fopen(pidfile, "re");
        CHECK(f != NULL);
        if (f) {
                int pid = 0;
                CHECK_INT(fscanf(f, "%d", &pid), 1);
                grandchild = pid;
                fclose(f);
        }
        if (grandchild > 0) {
                /* SIGKILL was sent before the report; wait for the kernel to finish it. */
                for (int i = 0; i < 500 && !process_is_gone(grandchild); i++)
                        usleep(10000);
                CHECK(process_is_gone(grandchild));
        }
        unlink(pidfile);
        rmdir(tmp);
        check_no_children();
}

static void test_isolation(void)
{
        struct run run;
        int fd;

        /* Neither our environment nor our fds reach the script. */
        setenv("PRESENCE_TEST_SECRET", "hunter2", 1);
        fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
        CHECK(fd >= 3);
        {
                char *argv[] = {(char *)"/usr/bin/env", NULL};
                CHECK_INT(run_script(argv, 5 * USEC_PER_SEC, &run), 0);
                CHECK(!run.error);
                CHECK_INT(run.values.n, 2);
                CHECK_STREQ(text(&run, "PATH"),
                            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
                CHECK_STREQ(text(&run, "LC_ALL"), "C");
                CHECK_STREQ(text(&run, "PRESENCE_TEST_SECRET"), "(absent)");
                run_done(&run);
        }
        CHECK_INT(sh("for i in 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do"
                     "  [ -e /proc/self/fd/$i ] && echo OPEN_$i=1; done;"
                     "echo STDIN=$(readlink /proc/self/fd/0);"
                     "echo CWD=$(pwd);"
                     "read a b c d pgrp rest < /proc/$$/stat; echo PGRP=$pgrp; echo PID=$$",
                     5 * USEC_PER_SEC, &run),
                  0);
        CHECK(!run.error);
        for (size_t i = 0; i < run.values.n; i++)
                CHECK(strncmp(run.values.v[i].name, "OPEN_", 5) != 0);
        CHECK_STREQ(text(&run, "STDIN"), "/dev/null");
        CHECK_STREQ(text(&run, "CWD"), "/");
        /* Its own process group. */
        CHECK_STREQ(text(&run, "PGRP"), text(&run, "PID"));
        run_done(&run);
        close(fd);
        unsetenv("PRESENCE_TEST_SECRET");
        check_no_children();
}

static void test_free_while_running(void)
{
        struct run run = {0};
        char *argv[] = {(char *)"/bin/sleep", (char *)"300", NULL};

        /* Stopping the feature mid-run kills and reaps the script; done is not called. */
        CHECK_INT(presence_script_start(event, argv, 60 * USEC_PER_SEC, on_done, &run, &run.script),
                  0);
        CHECK(sd_event_run(event, 0) >= 0);
        run.script = presence_script_free(run.script);
        CHECK(!run.done);
        check_no_children();
}

static void test_parse_output(void)
{
        struct presence_values v = {0};
        unsigned line = 0;
        char long_value[400];

        CHECK_INT(presence_script_parse_output("A=1\n\n  \nB=x=y\nC=\n", 17, &v, &line), 0);
        CHECK_INT(v.n, 3);
        CHECK_STREQ(presence_values_get(&v, "B")->text, "x=y");
        CHECK_STREQ(presence_values_get(&v, "C")->text, "");
        presence_values_done(&v);

        CHECK_INT(presence_script_parse_output("A=1\nB 2\n", 8, &v, &line), -EINVAL);
        CHECK_INT(line, 2);
        presence_values_done(&v);
        CHECK_INT(presence_script_parse_output(" A=1\n", 5, &v, &line), -EINVAL);
        CHECK_INT(line, 1);
        presence_values_done(&v);
        CHECK_INT(presence_script_parse_output("A-B=1\n", 6, &v, &line), -EINVAL);
        presence_values_done(&v);
        CHECK_INT(presence_script_parse_output("=1\n", 3, &v, &line), -EINVAL);
        presence_values_done(&v);
        CHECK_INT(presence_script_parse_output("A=\x1b[31mred\n", 11, &v, &line), -EINVAL);
        presence_values_done(&v);
        CHECK_INT(presence_script_parse_output("A=\xff\n", 4, &v, &line), -EINVAL);
        presence_values_done(&v);
        memset(long_value, 'x', sizeof(long_value));
        memcpy(long_value, "A=", 2);
        CHECK_INT(presence_script_parse_output(long_value, sizeof(long_value), &v, &line), -EINVAL);
        presence_values_done(&v);
}

int main(void)
{
        tests_block_sigchld();
        CHECK_INT(sd_event_new(&event), 0);

        test_parse_output();
        test_good();
        test_failures();
        test_timeout();
        test_isolation();
        test_free_while_running();

        sd_event_unref(event);
        return TESTS_RESULT();
}
