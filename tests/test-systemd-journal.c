/* SPDX-License-Identifier: MIT */
/*
 * sysd_journal_tail() on real journal files: written by systemd-journal-remote from journal
 * export format (no journald needed). Skipped (77) without systemd-journal-remote.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "systemd/systemd-internal.h"
#include "tests.h"

static const char *journal_remote(void)
{
        static const char *const candidates[] = {"/usr/lib/systemd/systemd-journal-remote",
                                                 "/lib/systemd/systemd-journal-remote"};

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

static void entry(FILE *f, unsigned i, const char *unit_field, const char *unit, const char *msg)
{
        fprintf(f,
                "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n"
                "_BOOT_ID=5f3c0b1e2a4d4c6e8f90a1b2c3d4e5f6\n_HOSTNAME=test\nPRIORITY=6\n"
                "%s=%s\nMESSAGE=%s\n\n",
                1700000000000000ULL + i * 1000ULL, 1000000ULL + i * 1000ULL, unit_field, unit, msg);
}

/* Writes the entries to dir/remote.journal. */
static int write_journal(const char *binary, const char *dir)
{
        char in[256], out[256], line[32], big[2001];
        char *argv[] = {(char *)binary, "--split-mode=none", "-o", out, "-", NULL};
        posix_spawn_file_actions_t fa;
        unsigned n = 0;
        pid_t pid;
        int status = 0, r;
        FILE *f;

        snprintf(in, sizeof(in), "%s/in.export", dir);
        snprintf(out, sizeof(out), "%s/remote.journal", dir);
        f = fopen(in, "we");
        if (!f)
                return -errno;
        for (unsigned i = 1; i <= 4; i++) {
                snprintf(line, sizeof(line), "a %u", i);
                entry(f, n++, "_SYSTEMD_UNIT", "a.service", line);
                snprintf(line, sizeof(line), "b %u", i);
                entry(f, n++, "_SYSTEMD_UNIT", "b.service", line);
        }
        /* What systemd logs about a unit: UNIT=, from PID 1. */
        entry(f, n++, "UNIT", "a.service", "about a");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        entry(f, n++, "_SYSTEMD_UNIT", "c.service", big);
        fclose(f);

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        r = posix_spawn(&pid, binary, &fa, NULL, argv, NULL);
        posix_spawn_file_actions_destroy(&fa);
        unlink(in);
        if (r != 0)
                return -r;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void check_lines(char **lines, const char *const *want)
{
        size_t n = 0;

        for (; want[n]; n++) {
                CHECK(lines && lines[n]);
                if (!lines || !lines[n])
                        return;
                CHECK_STREQ(lines[n], want[n]);
        }
        CHECK(lines[n] == NULL);
}

static void test_tail(const char *dir)
{
        char **lines = NULL;

        /* The last n of that unit, oldest first: its own lines and systemd's about it. */
        CHECK_INT(sysd_journal_tail(dir, "a.service", 3, &lines), 0);
        check_lines(lines, (const char *const[]){"a 3", "a 4", "about a", NULL});
        lines = strv_free(lines);
        /* Fewer than n: all of them. */
        CHECK_INT(sysd_journal_tail(dir, "a.service", 200, &lines), 0);
        check_lines(lines, (const char *const[]){"a 1", "a 2", "a 3", "a 4", "about a", NULL});
        lines = strv_free(lines);
        CHECK_INT(sysd_journal_tail(dir, "b.service", 1, &lines), 0);
        check_lines(lines, (const char *const[]){"b 4", NULL});
        lines = strv_free(lines);
        /* A 2000-byte line is cut to SYSD_LINE_MAX bytes. */
        CHECK_INT(sysd_journal_tail(dir, "c.service", 5, &lines), 0);
        CHECK(lines && lines[0] && !lines[1] && strlen(lines[0]) == SYSD_LINE_MAX);
        lines = strv_free(lines);
        CHECK_INT(sysd_journal_tail(dir, "missing.service", 5, &lines), 0);
        CHECK(lines == NULL);
        CHECK_INT(sysd_journal_tail(dir, "a.service", 0, &lines), 0);
        CHECK(lines == NULL);
}

int main(void)
{
        const char *binary = journal_remote();
        char dir[] = "/tmp/test-journal-XXXXXX", file[64];
        int r;

        if (!binary) {
                fprintf(stderr, "systemd-journal-remote is missing (tools/install-deps.sh): "
                                "skipped\n");
                return 77;
        }
        CHECK(mkdtemp(dir) != NULL);
        r = write_journal(binary, dir);
        CHECK_INT(r, 0);
        if (r >= 0)
                test_tail(dir);
        snprintf(file, sizeof(file), "%s/remote.journal", dir);
        unlink(file);
        rmdir(dir);
        return TESTS_RESULT();
}
