/* SPDX-License-Identifier: MIT */
/*
 * The exec: backend end to end on an sd-event loop, with a hand-built action_call. The test
 * binary doubles as the program it runs ("--exec-helper MODE ..."), so what the child sees is
 * checked from inside the child. Tests assert outcomes, never timings.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "exec/exec-test.h"

static char self[4096]; /* this binary, absolute */

/* --- The helper, run as the child --- */

static void helper_argv(int argc, char **argv)
{
        for (int i = 3; i < argc; i++) {
                printf("A:");
                for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
                        printf("%02x", *p);
                printf("\n");
        }
}

static void helper_fds(void)
{
        long max = sysconf(_SC_OPEN_MAX);

        for (int fd = 0; fd < (max > 0 && max < 1 << 20 ? max : 1 << 20); fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        printf("%s%d", fd ? " " : "", fd);
        printf("\n");
}

static void helper_sigs(void)
{
        int blocked = 0, ignored = 0;
        sigset_t m;

        sigprocmask(SIG_SETMASK, NULL, &m);
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                struct sigaction sa;

                blocked += sigismember(&m, sig) == 1;
                if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
                        ignored++;
        }
        printf("blocked=%d ignored=%d\n", blocked, ignored);
}

static void helper_ids(void)
{
        gid_t groups[64];
        int n = getgroups(64, groups);

        printf("uid=%u euid=%u gid=%u egid=%u groups=", (unsigned)getuid(), (unsigned)geteuid(),
               (unsigned)getgid(), (unsigned)getegid());
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", (unsigned)groups[i]);
        printf("\n");
}

static void write_all(int fd, const char *buf, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, buf, n);
                if (k <= 0)
                        _exit(2);
                buf += k;
                n -= (size_t)k;
        }
}

static void helper_spew(size_t n, bool both)
{
        static char xs[65536];

        memset(xs, 'x', sizeof(xs));
        for (size_t done = 0; done < n;) {
                size_t k = n - done < sizeof(xs) ? n - done : sizeof(xs);

                write_all(1, xs, k);
                if (both)
                        write_all(2, xs, k);
                done += k;
        }
}

/* Forks a grandchild, publishes its pid in file, and both sleep (or the child exits). */
static void helper_family(const char *file, bool ignore_term, bool orphan)
{
        char tmp[4200];
        FILE *f;
        pid_t pid;

        if (ignore_term)
                signal(SIGTERM, SIG_IGN);
        pid = fork();
        if (pid < 0)
                _exit(2);
        if (pid == 0)
                for (;;)
                        pause();
        snprintf(tmp, sizeof(tmp), "%s.tmp", file);
        f = fopen(tmp, "we");
        if (!f)
                _exit(2);
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
        rename(tmp, file);
        if (orphan)
                _exit(0);
        for (;;)
                pause();
}

static int helper_main(int argc, char **argv)
{
        const char *mode = argv[2];
        char buf[65536];
        ssize_t n;

        if (streq(mode, "argv"))
                helper_argv(argc, argv);
        else if (streq(mode, "fds"))
                helper_fds();
        else if (streq(mode, "sigs"))
                helper_sigs();
        else if (streq(mode, "ids"))
                helper_ids();
        else if (streq(mode, "cwd"))
                printf("%s\n", getcwd(buf, sizeof(buf)));
        else if (streq(mode, "cat"))
                while ((n = read(0, buf, sizeof(buf))) > 0)
                        write_all(1, buf, (size_t)n);
        else if (streq(mode, "spew"))
                helper_spew(strtoul(argv[3], NULL, 10), argc > 4 && streq(argv[4], "both"));
        else if (streq(mode, "exit")) {
                fprintf(stderr, "something went wrong\n");
                return atoi(argv[3]);
        } else if (streq(mode, "raise"))
                raise(SIGUSR1);
        else if (streq(mode, "family"))
                helper_family(argv[3], argc > 4 && streq(argv[4], "ignore-term"),
                              argc > 4 && streq(argv[4], "orphan"));
        else
                return 100;
        fflush(stdout);
        return 0;
}

/* --- Harness --- */

static sd_event *event;

/* Runs one call to completion. */
static void run_to_end(struct run *r)
{
        CHECK_INT(run_start(r), 0);
        loop_until(event, &r->done);
        CHECK_INT(r->n_complete, 1);
}

static char *hex(const char *s)
{
        char *h = malloc(strlen(s) * 2 + 3), *p = h;

        if (!h)
                return NULL;
        p += sprintf(p, "A:");
        for (const unsigned char *c = (const unsigned char *)s; *c; c++)
                p += sprintf(p, "%02x", *c);
        return h;
}

static char *const *output_lines(const struct run *r)
{
        if (!r->res || !r->res->form || r->res->form->n_fields != 1)
                return NULL;
        return r->res->form->fields[0].values;
}

/* --- Tests --- */

static const char *const nasty[] = {
    ";",        "|",
    "&",        "$(id)",
    "`id`",     "'",
    "\"",       "a\nb",
    "*",        "?",
    "~",        "-rf",
    "-",        "--help",
    "$HOME",    "a b",
    "",         "{x}",
    "\\",       "%s%n",
    "\xc3\xa9", "*.c ~/x; rm -rf / | cat &",
};

static void test_argv_verbatim(void)
{
        _cleanup_free_ char *yaml = NULL;
        _cleanup_strv_free_ char **expected = NULL;
        size_t n = ELEMENTSOF(nasty), joined_len = 0;
        _cleanup_free_ char *joined = NULL;
        FILE *y;
        size_t len = 0;
        struct fixture f;
        struct run r;
        char *const *lines;

        /* form: v0..vN single values, m the same values as a list. */
        y = open_memstream(&yaml, &len);
        fprintf(y, "form:\n  fields:\n    - {var: m, type: text-multi}\n");
        for (size_t i = 0; i < n; i++)
                fprintf(y, "    - {var: v%zu}\n", i);
        fprintf(y, "exec:\n  output: text\n  max_output: 1MiB\n  argv: [%s, --exec-helper, argv",
                self);
        for (size_t i = 0; i < n; i++)
                fprintf(y, ", \"{v%zu}\"", i);
        fprintf(y, ", \"{m...}\", \"{m}\", \"x{v0}y\"]\n");
        fclose(y);
        CHECK_INT(fixture_load(&f, "%s", yaml), 0);

        run_init(&r, event, &f, "test/argv", "alice@example.test", "alice@example.test/phone");
        for (size_t i = 0; i < n; i++) {
                char var[16];

                snprintf(var, sizeof(var), "v%zu", i);
                set_value(&r, var, nasty[i], false);
                CHECK_INT(strv_extend(&expected, nasty[i]), 0);
                joined_len += strlen(nasty[i]) + 2;
        }
        {
                char *l[ELEMENTSOF(nasty) + 1] = {0};

                memcpy(l, nasty, sizeof(nasty));
                CHECK_INT(form_values_set(&r.values, "m", l, false), 0);
        }
        for (size_t i = 0; i < n; i++)
                CHECK_INT(strv_extend(&expected, nasty[i]), 0);
        joined = zalloc(joined_len + 1);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(joined, ", ");
                strcat(joined, nasty[i]);
        }
        CHECK_INT(strv_extend(&expected, joined), 0);
        CHECK_INT(strv_extend(&expected, "x;y"), 0);

        run_to_end(&r);
        CHECK(!action_result_failed(r.res));
        lines = output_lines(&r);
        CHECK_INT(strv_length(lines), strv_length(expected));
        for (size_t i = 0; lines && expected[i] && lines[i]; i++) {
                _cleanup_free_ char *h = hex(expected[i]);

                CHECK_STREQ(lines[i], h);
        }
        run_done(&r);
        fixture_done(&f);
}

/* Sorted comparison of the output lines with an expected set. */
static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_environment(void)
{
        static const char *const want[] = {
            ("PATH=" EXEC_DEFAULT_PATH),
            "LANG=C.UTF-8",
            "GREETING=hi alice@example.test",
            "ADHOCD_REQUESTER=alice@example.test",
            "ADHOCD_REQUESTER_FULL=alice@example.test/phone",
            "ADHOCD_NODE=test/env",
            "ADHOCD_LANG=en",
            "ADHOCD_FIELD_TARGET=home",
            "ADHOCD_FIELD_PW=s3cret",
            "ADHOCD_FIELD_PATHS_LIST=a", /* two values, one per line */
            "b",
        };
        _cleanup_strv_free_ char **got = NULL;
        char *paths[] = {"a", "b", NULL};
        struct fixture f;
        struct run r;

        CHECK_INT(fixture_load(&f, "form:\n  fields:\n    - {var: target}\n"
                                   "    - {var: pw, type: text-private}\n"
                                   "    - {var: paths.list, type: text-multi}\n"
                                   "exec:\n  argv: [/usr/bin/env]\n  output: text\n"
                                   "  env: {LANG: C.UTF-8, GREETING: \"hi {from_bare}\"}\n"),
                  0);
        setenv("LEAKED_FROM_AGENT", "1", 1);
        run_init(&r, event, &f, "test/env", "alice@example.test", "alice@example.test/phone");
        set_value(&r, "target", "home", false);
        set_value(&r, "pw", "s3cret", true);
        CHECK_INT(form_values_set(&r.values, "paths.list", paths, false), 0);
        run_to_end(&r);
        got = strv_copy(output_lines(&r));
        CHECK_INT(strv_length(got), ELEMENTSOF(want));
        if (strv_length(got) == ELEMENTSOF(want)) {
                const char *sorted[ELEMENTSOF(want)];

                memcpy(sorted, want, sizeof(want));
                qsort(sorted, ELEMENTSOF(sorted), sizeof(char *), cmp_str);
                qsort(got, strv_length(got), sizeof(char *), cmp_str);
                for (size_t i = 0; i < ELEMENTSOF(sorted); i++)
                        CHECK_STREQ(got[i], sorted[i]);
        }
        unsetenv("LEAKED_FROM_AGENT");
        run_done(&r);
        fixture_done(&f);
}

/* Runs the helper in mode and returns its stdout note (owned by the run). */
static void run_helper(struct run *r, struct fixture *f, const char *mode, const char *extra)
{
        CHECK_INT(fixture_load(f, "exec:\n  argv: [%s, --exec-helper, %s]\n%s", self, mode,
                               strempty(extra)),
                  0);
        run_init(r, event, f, "test/helper", "alice@example.test", "alice@example.test/phone");
        if (f->cfg)
                run_to_end(r);
}

static void test_no_fds_no_signals(void)
{
        struct fixture f;
        struct run r;
        int p[2], extra, high;

        /* Descriptors the agent could hold, without CLOEXEC. */
        CHECK_INT(pipe(p), 0);
        extra = open("/dev/null", O_RDONLY);
        high = dup2(extra, 77);
        CHECK(extra >= 0 && high == 77);
        run_helper(&r, &f, "fds", NULL);
        CHECK(note_is(&r, 0, NOTE_INFO));
        CHECK_STREQ(note_text(&r, 0), "0 1 2");
        run_done(&r);
        fixture_done(&f);
        close(p[0]);
        close(p[1]);
        close(extra);
        close(high);

        /* main() blocks and ignores signals the way the agent does. */
        run_helper(&r, &f, "sigs", NULL);
        CHECK_STREQ(note_text(&r, 0), "blocked=0 ignored=0");
        run_done(&r);
        fixture_done(&f);
}

static void test_cwd_stdin(void)
{
        _cleanup_free_ char *big = NULL;
        struct fixture f;
        struct run r;

        run_helper(&r, &f, "cwd", "  cwd: /tmp\n");
        CHECK_STREQ(note_text(&r, 0), "/tmp");
        run_done(&r);
        fixture_done(&f);

        /* Without stdin:, the program reads /dev/null. */
        run_helper(&r, &f, "cat", NULL);
        CHECK_STREQ(note_text(&r, 0), "Done (exit 0).");
        run_done(&r);
        fixture_done(&f);

        /* More than a pipe holds: the rest is written from the loop. */
        big = malloc(300 * 1024 + 1);
        memset(big, 'y', 300 * 1024);
        big[300 * 1024] = 0;
        CHECK_INT(fixture_load(&f,
                               "form:\n  fields: [{var: notes, type: text-multi}]\n"
                               "exec:\n  argv: [%s, --exec-helper, cat]\n  stdin: \"{notes}\"\n"
                               "  max_output: 1MiB\n",
                               self),
                  0);
        run_init(&r, event, &f, "test/stdin", "alice@example.test", "alice@example.test/phone");
        set_value(&r, "notes", big, false);
        run_to_end(&r);
        CHECK_STREQ(note_text(&r, 0), big);
        run_done(&r);
        fixture_done(&f);

        /* Too big for the environment: left out of it, the program still runs. */
        CHECK_INT(fixture_load(&f, "form:\n  fields: [{var: notes, type: text-multi}]\n"
                                   "exec:\n  argv: [/usr/bin/env]\n  output: text\n"),
                  0);
        run_init(&r, event, &f, "test/stdin", "alice@example.test", "alice@example.test/phone");
        set_value(&r, "notes", big, false);
        run_to_end(&r);
        CHECK(output_lines(&r) && strv_length(output_lines(&r)) >= 4);
        STRV_FOREACH (l, (char **)output_lines(&r))
                CHECK(!starts_with(*l, "ADHOCD_FIELD_NOTES="));
        run_done(&r);
        fixture_done(&f);
}

static void test_failures(void)
{
        char path[] = "/tmp/test-exec-prog-XXXXXX";
        struct fixture f;
        struct run r;
        int fd;

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [%s, --exec-helper, exit, \"3\"]\n", self), 0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(note_is(&r, 0, NOTE_ERROR));
        CHECK_STREQ(note_text(&r, 0), "exit status 3\nsomething went wrong");
        CHECK_INT(r.res->error, 0);
        run_done(&r);
        fixture_done(&f);

        run_helper(&r, &f, "raise", NULL);
        CHECK_STREQ(note_text(&r, 0), "killed by signal SIGUSR1");
        run_done(&r);
        fixture_done(&f);

        /* Executable when the policy was loaded, not any more when it runs. */
        fd = mkstemp(path);
        CHECK(fd >= 0);
        close(fd);
        CHECK_INT(chmod(path, 0755), 0);
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [%s]\n", path), 0);
        CHECK_INT(chmod(path, 0644), 0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        {
                _cleanup_free_ char *want = NULL;

                CHECK(asprintf(&want, "cannot execute %s: Permission denied", path) > 0);
                CHECK_STREQ(note_text(&r, 0), want);
        }
        run_done(&r);
        fixture_done(&f);
        unlink(path);

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/true]\n  cwd: /nonexistent/dir\n"), 0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK_STREQ(note_text(&r, 0),
                    "cannot change directory to /nonexistent/dir: No such file or directory");
        run_done(&r);
        fixture_done(&f);
}

static void test_output_modes(void)
{
        struct fixture f;
        struct run r;

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/usr/bin/printf, \"name\\tsize\\nhome\\t12G\\n"
                                   "www\\t3G\\n\"]\n  output: table\n"),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(r.res->form && r.res->form->n_columns == 2 && r.res->form->n_rows == 2);
        if (r.res->form && r.res->form->n_rows == 2)
                CHECK_STREQ(r.res->form->rows[1][1], "3G");
        run_done(&r);
        fixture_done(&f);

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/usr/bin/printf, \"a\\tb\\nc\\n\"]\n"
                                   "  output: table\n"),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(note_is(&r, 0, NOTE_ERROR));
        CHECK(r.res->form == NULL);
        run_done(&r);
        fixture_done(&f);

        /* Bytes XML cannot carry become '?'. */
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/usr/bin/printf, \"\\\\377ok\\\\001\\\\n\"]\n"),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK_STREQ(note_text(&r, 0), "?ok?");
        run_done(&r);
        fixture_done(&f);
}

static long vm_hwm_kib(void)
{
        char line[256];
        long kib = -1;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                        break;
        if (f)
                fclose(f);
        return kib;
}

static void test_truncation(void)
{
        const size_t marker = strlen("\n" EXEC_TRUNCATED_MARKER);
        long hwm_before, hwm_after;
        struct fixture f;
        struct run r;

        hwm_before = vm_hwm_kib();
        /* 10 MiB on stdout, 10 MiB on stderr: the child never blocks, we keep 64 KiB. */
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [%s, --exec-helper, spew, \"10485760\", both]\n",
                               self),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(note_is(&r, 0, NOTE_INFO));
        CHECK(note_text(&r, 0) && strlen(note_text(&r, 0)) <= 64 * 1024 + marker);
        CHECK(note_text(&r, 0) && strlen(note_text(&r, 0)) == 64 * 1024 + marker);
        CHECK(note_text(&r, 0) && strstr(note_text(&r, 0), "\n" EXEC_TRUNCATED_MARKER));
        run_done(&r);
        fixture_done(&f);
        hwm_after = vm_hwm_kib();
        /* Had the output been kept, the peak would have grown by 20 MiB. */
        CHECK(hwm_before > 0 && hwm_after - hwm_before < 6 * 1024);

        /* Failing with a flood on stderr: only its tail is shown. */
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/sh, -c, 'head -c 3000000 /dev/zero | tr "
                                   "\"\\\\0\" e >&2; echo >&2; echo last line >&2; exit 4']\n"),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(note_is(&r, 0, NOTE_ERROR));
        /* The cut line is dropped: the tail starts at a line. */
        CHECK_STREQ(note_text(&r, 0), "exit status 4\n\xe2\x80\xa6last line");
        run_done(&r);
        fixture_done(&f);
}

static pid_t read_pid_file(const char *path)
{
        FILE *f = fopen(path, "re");
        int pid = 0;

        if (!f)
                return 0;
        if (fscanf(f, "%d", &pid) != 1)
                pid = 0;
        fclose(f);
        return pid;
}

/* The grandchild is killed with its group, whatever the child did. */
static void timeout_case(const char *how, const char *timeout)
{
        char dir[] = "/tmp/test-exec-XXXXXX", file[64];
        struct fixture f;
        struct run r;
        pid_t grandchild;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(file, sizeof(file), "%s/pid", dir);
        CHECK_INT(fixture_load(&f,
                               "exec:\n  argv: [%s, --exec-helper, family, %s, %s]\n"
                               "  timeout: %s\n  kill_grace: 200ms\n",
                               self, file, how, timeout),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(note_is(&r, 0, NOTE_ERROR));
        CHECK(starts_with(note_text(&r, 0), "timed out after "));
        CHECK(note_text(&r, 0) && strstr(note_text(&r, 0), "; the process group was killed"));
        grandchild = read_pid_file(file);
        CHECK(grandchild > 0);
        if (grandchild > 0)
                CHECK(wait_process_gone(grandchild));
        CHECK_INT(count_children(), 0);
        run_done(&r);
        fixture_done(&f);
        unlink(file);
        rmdir(dir);
}

static void test_timeout(void)
{
        /* Generous timeouts: the helper must have published its grandchild by then. */
        timeout_case("sleep", "1s");
        /* Both ignore SIGTERM: SIGKILL after kill_grace. */
        timeout_case("ignore-term", "1s");
        /* The child exits at once; the grandchild keeps the pipes and is killed after the
         * child was reaped. */
        timeout_case("orphan", "500ms");
}

static void test_many_runs(void)
{
        const char *env = getenv("EXEC_TEST_RUNS");
        unsigned n = env ? (unsigned)atoi(env) : 1000, fds;
        int saved, devnull;
        struct fixture f;
        struct run r;

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/true]\n"), 0);
        /* One run first, so that the loop's own lazily created fds are counted. */
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        run_done(&r);
        fds = count_fds();
        /* Each run logs an audit line: keep them out of the test log. */
        fflush(stderr);
        saved = dup(2);
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(devnull, 2);
        close(devnull);
        for (unsigned i = 0; i < n; i++) {
                run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
                run_to_end(&r);
                if (!starts_with(note_text(&r, 0), "Done (exit 0).")) {
                        CHECK_STREQ(note_text(&r, 0), "Done (exit 0).");
                        run_done(&r);
                        break;
                }
                run_done(&r);
        }
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        CHECK_INT(count_fds(), fds);
        CHECK_INT(count_children(), 0);
        CHECK_INT(exec_jobs_count(), 0);
        fixture_done(&f);
}

static void start_sleeper(struct run *r, const struct fixture *f, const char *node,
                          const char *bare)
{
        _cleanup_free_ char *full = NULL;

        CHECK(asprintf(&full, "%s/res", bare) > 0);
        run_init(r, event, f, node, bare, "unused");
        r->call.requester = full ? strdup(full) : NULL; /* freed by stop_sleeper */
        CHECK_INT(run_start(r), 0);
}

static void stop_sleeper(struct run *r)
{
        if (!r->done)
                exec_action.cancel(&r->call);
        free((char *)r->call.requester);
        run_done(r);
}

static void test_max_concurrent(void)
{
        struct fixture slow, quick;
        struct run a1, a2, b;

        CHECK_INT(fixture_load(&slow, "exec:\n  argv: [/bin/sleep, \"60\"]\n"), 0);
        CHECK_INT(fixture_load(&quick, "exec:\n  argv: [/bin/true]\n"), 0);
        start_sleeper(&a1, &slow, "test/slow", "alice@example.test");
        CHECK(!a1.done);
        /* Same command while it runs: refused at once with -EBUSY and a note. */
        start_sleeper(&a2, &slow, "test/slow", "bob@example.test");
        CHECK(a2.done);
        CHECK_INT(a2.res ? a2.res->error : 0, -EBUSY);
        CHECK(starts_with(note_text(&a2, 0), "This command is already running"));
        /* Other commands still answer. */
        run_init(&b, event, &quick, "test/quick", "bob@example.test", "bob@example.test/r");
        run_to_end(&b);
        CHECK_STREQ(note_text(&b, 0), "Done (exit 0).");
        CHECK(!a1.done);
        run_done(&b);
        /* A canceled call never completes, and its child is reaped. */
        stop_sleeper(&a1);
        loop_until_no_jobs(event);
        CHECK_INT(a1.n_complete, 0);
        stop_sleeper(&a2);
        CHECK_INT(count_children(), 0);
        fixture_done(&slow);
        fixture_done(&quick);
}

static void loop_until_jobs_at_most(unsigned n)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        while (exec_jobs_count() > n && now_usec(CLOCK_MONOTONIC) < deadline)
                (void)sd_event_run(event, 100 * USEC_PER_MSEC);
        CHECK(exec_jobs_count() <= n);
}

static void test_global_cap_fairness(void)
{
        struct fixture f;
        struct run alice[3], bob[2], carol[2];

        exec_set_global_max(4);
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/sleep, \"60\"]\n  max_concurrent: 100\n"),
                  0);
        /* A requester gets at most half of the slots. */
        start_sleeper(&alice[0], &f, "test/s", "alice@example.test");
        start_sleeper(&alice[1], &f, "test/s", "alice@example.test");
        start_sleeper(&alice[2], &f, "test/s", "alice@example.test");
        CHECK(!alice[0].done && !alice[1].done);
        CHECK(alice[2].done);
        CHECK_INT(alice[2].res ? alice[2].res->error : 0, -EBUSY);
        CHECK(starts_with(note_text(&alice[2], 0), "You already run 2 programs, your share"));
        /* The other half is left to others... */
        start_sleeper(&bob[0], &f, "test/s", "bob@example.test");
        start_sleeper(&bob[1], &f, "test/s", "bob@example.test");
        CHECK(!bob[0].done && !bob[1].done);
        /* ...until the global cap. */
        start_sleeper(&carol[0], &f, "test/s", "carol@example.test");
        CHECK(carol[0].done);
        CHECK_INT(carol[0].res ? carol[0].res->error : 0, -EBUSY);
        CHECK(starts_with(note_text(&carol[0], 0), "Too many programs are running (4 at most)"));
        /* A slot freed (and reaped) is available again. */
        stop_sleeper(&alice[0]);
        loop_until_jobs_at_most(3);
        start_sleeper(&carol[1], &f, "test/s", "carol@example.test");
        CHECK(!carol[1].done);

        stop_sleeper(&alice[1]);
        stop_sleeper(&alice[2]);
        stop_sleeper(&bob[0]);
        stop_sleeper(&bob[1]);
        stop_sleeper(&carol[0]);
        stop_sleeper(&carol[1]);
        loop_until_no_jobs(event);
        CHECK_INT(count_children(), 0);
        exec_set_global_max(0);
        fixture_done(&f);
}

static void test_detach(void)
{
        struct fixture f;
        struct run r;
        usec_t deadline;

        sent_reset();
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/usr/bin/printf, \"all good\\n\"]\n"
                                   "  detach: true\n"),
                  0);
        run_init(&r, event, &f, "test/detach", "alice@example.test", "alice@example.test/phone");
        r.call.lang = "fr";
        CHECK_INT(run_start(&r), 0);
        /* Answered at once... */
        CHECK(r.done);
        CHECK(note_is(&r, 0, NOTE_INFO));
        /* In the call's language, as the message that follows. */
        CHECK_STREQ(note_text(&r, 0), "Lancé ; le résultat vous sera envoyé par message.");
        run_done(&r); /* the call is gone, as with the engine */
        /* ...and the outcome comes as a message. */
        deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;
        while (sent.n == 0 && now_usec(CLOCK_MONOTONIC) < deadline)
                sd_event_run(event, 100 * USEC_PER_MSEC);
        CHECK_INT(sent.n, 1);
        CHECK_STREQ(sent.to, "alice@example.test/phone");
        CHECK_STREQ(sent.lang, "fr");
        CHECK_STREQ(sent.body, "[test/detach] all good");
        CHECK_INT(exec_jobs_count(), 0);
        fixture_done(&f);

        sent_reset();
        CHECK_INT(fixture_load(&f,
                               "exec:\n  argv: [%s, --exec-helper, exit, \"2\"]\n"
                               "  detach: true\n",
                               self),
                  0);
        run_init(&r, event, &f, "test/detach", "alice@example.test", "alice@example.test/phone");
        CHECK_INT(run_start(&r), 0);
        run_done(&r);
        deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;
        while (sent.n == 0 && now_usec(CLOCK_MONOTONIC) < deadline)
                sd_event_run(event, 100 * USEC_PER_MSEC);
        CHECK_STREQ(sent.body, "[test/detach] exit status 2\nsomething went wrong");
        fixture_done(&f);
        sent_reset();
}

static void test_cancel(void)
{
        char dir[] = "/tmp/test-exec-XXXXXX", file[64];
        struct fixture f;
        struct run r;
        pid_t grandchild = 0;
        usec_t deadline;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(file, sizeof(file), "%s/pid", dir);
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [%s, --exec-helper, family, %s, ignore-term]\n",
                               self, file),
                  0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        CHECK_INT(run_start(&r), 0);
        /* Until the family exists (the loop keeps running meanwhile). */
        deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;
        while ((grandchild = read_pid_file(file)) <= 0 && now_usec(CLOCK_MONOTONIC) < deadline)
                sd_event_run(event, 10 * USEC_PER_MSEC);
        CHECK(grandchild > 0);
        CHECK(!r.done);
        exec_action.cancel(&r.call);
        CHECK(r.call.userdata == NULL);
        loop_until_no_jobs(event);
        CHECK_INT(r.n_complete, 0);
        if (grandchild > 0)
                CHECK(wait_process_gone(grandchild));
        CHECK_INT(count_children(), 0);
        run_done(&r);
        fixture_done(&f);
        unlink(file);
        rmdir(dir);
}

static void test_shutdown(void)
{
        struct fixture attached, detached;
        struct run a, d;

        sent_reset();
        CHECK_INT(fixture_load(&attached, "exec:\n  argv: [/bin/sleep, \"60\"]\n"), 0);
        CHECK_INT(fixture_load(&detached, "exec:\n  argv: [/bin/sleep, \"60\"]\n  detach: true\n"),
                  0);
        run_init(&a, event, &attached, "test/a", "a@example.test", "a@example.test/r");
        CHECK_INT(run_start(&a), 0);
        run_init(&d, event, &detached, "test/d", "d@example.test", "d@example.test/r");
        CHECK_INT(run_start(&d), 0);
        CHECK(d.done);
        CHECK_INT(exec_jobs_count(), 2);
        exec_action.shutdown();
        CHECK_INT(exec_jobs_count(), 0);
        CHECK_INT(count_children(), 0);
        CHECK(!a.done);
        CHECK_INT(sent.n, 1);
        CHECK_STREQ(sent.body, "[test/d] Interrupted: the agent is stopping.");
        run_done(&a);
        run_done(&d);
        fixture_done(&attached);
        fixture_done(&detached);
        sent_reset();
}

static void test_privileges(void)
{
        struct passwd *pw = getpwnam("nobody");
        _cleanup_free_ char *want = NULL;
        struct fixture f;
        struct run r;

        if (geteuid() != 0 || !pw) {
                fprintf(stderr, "test_privileges: skipped (not root or no user nobody)\n");
                return;
        }
        CHECK_INT(
            fixture_load(&f, "exec:\n  argv: [%s, --exec-helper, ids]\n  user: nobody\n", self), 0);
        run_init(&r, event, &f, "t", "a@example.test", "a@example.test/r");
        run_to_end(&r);
        CHECK(asprintf(&want, "uid=%u euid=%u gid=%u egid=%u groups=", (unsigned)pw->pw_uid,
                       (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid) > 0);
        CHECK(starts_with(note_text(&r, 0), want));
        /* No supplementary group of root's is kept. */
        CHECK(note_text(&r, 0) && !strstr(note_text(&r, 0) + strlen(want), "0,") &&
              !streq(note_text(&r, 0) + strlen(want), "0"));
        run_done(&r);
        fixture_done(&f);
}

/* The audit line names the argv with secrets masked, and never a secret. */
static void test_audit(void)
{
        char path[] = "/tmp/test-exec-log-XXXXXX", buf[8192];
        _cleanup_strv_free_ char **argv = NULL, **masked = NULL;
        _cleanup_free_ char *quoted = NULL;
        struct fixture f;
        struct run r;
        int fd, saved;
        ssize_t n;
        char *m[] = {"m1", "m2", NULL};

        CHECK_INT(fixture_load(&f, "form:\n  fields:\n    - {var: pw, type: text-private}\n"
                                   "    - {var: m, type: text-multi}\n    - {var: x}\n"
                                   "exec:\n  argv: [/bin/true, \"--pw={pw}\", \"{pw}\", \"{m...}\","
                                   " \"{x}\"]\n"),
                  0);
        run_init(&r, event, &f, "test/audit", "a@example.test", "a@example.test/r");
        set_value(&r, "pw", "s3cret", true);
        set_value(&r, "x", "a \"b\"", false);
        CHECK_INT(form_values_set(&r.values, "m", m, false), 0);

        {
                const struct template_vars vars = {.values = &r.values, .from = "a@example.test/r"};

                CHECK_INT(exec_expand_argv(f.cfg, &vars, false, &argv), 0);
                CHECK_INT(exec_expand_argv(f.cfg, &vars, true, &masked), 0);
        }
        CHECK_INT(strv_length(argv), 6);
        CHECK_STREQ(argv[1], "--pw=s3cret");
        CHECK_STREQ(masked[1], "--pw=***");
        CHECK_STREQ(masked[2], "***");
        quoted = exec_argv_quote(masked);
        CHECK_STREQ(quoted, "\"/bin/true\" \"--pw=***\" \"***\" \"m1\" \"m2\" \"a \\\"b\\\"\"");

        /* The log goes to stderr: catch one run's lines. */
        fd = mkstemp(path);
        CHECK(fd >= 0);
        fflush(stderr);
        saved = dup(2);
        dup2(fd, 2);
        run_to_end(&r);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = 0;
        close(fd);
        unlink(path);
        CHECK(strstr(buf, "audit:") && strstr(buf, "stage=exec") &&
              strstr(buf, "outcome=completed"));
        CHECK(strstr(buf, "exit 0; argv: "));
        CHECK(strstr(buf, "--pw=***"));
        CHECK(!strstr(buf, "s3cret"));
        run_done(&r);
        fixture_done(&f);
}

int main(int argc, char **argv)
{
        sigset_t mask;
        ssize_t n;

        if (argc > 2 && streq(argv[1], "--exec-helper"))
                return helper_main(argc, argv);

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return 1;
        self[n] = 0;
        /* As the agent's main(): signals for sd-event blocked, SIGPIPE ignored. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGUSR2, SIG_IGN);
        CHECK_INT(sd_event_new(&event), 0);

        test_argv_verbatim();
        test_environment();
        test_no_fds_no_signals();
        test_cwd_stdin();
        test_failures();
        test_output_modes();
        test_truncation();
        test_timeout();
        test_many_runs();
        test_max_concurrent();
        test_global_cap_fairness();
        test_detach();
        test_cancel();
        test_shutdown();
        test_privileges();
        test_audit();

        exec_action.shutdown();
        CHECK_INT(count_children(), 0);
        sd_event_unref(event);
        return TESTS_RESULT();
}
