/* SPDX-License-Identifier: MIT */
/* What the requester sees of a finished program: pure formatting, no process involved. */
#include <signal.h>

#include "exec.h"
#include "tests.h"

static void test_sanitize(void)
{
        static const struct {
                const char *in;
                size_t len;
                const char *out;
        } cases[] = {
            {"plain\ttext\n", 11, "plain\ttext\n"},
            {"a\r\nb", 4, "a\nb"},
            {"x\001y\033z\177", 6, "x?y?z?"},
            {"nul\0byte", 8, "nul?byte"},
            {"caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80", 14,
             "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80"},
            {"\xff\xfe", 2, "??"},
            {"\xc0\x80", 2, "??"},           /* overlong NUL */
            {"\xed\xa0\x80", 3, "???"},      /* a surrogate */
            {"\xef\xbf\xbe", 3, "???"},      /* U+FFFE */
            {"\xf4\x90\x80\x80", 4, "????"}, /* above U+10FFFF */
            {"cut \xe2\x80", 6, "cut ??"},   /* cut at the end of the buffer */
            {"\xc3(", 2, "?("},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = exec_text_sanitize(cases[i].in, cases[i].len);

                CHECK_STREQ(s, cases[i].out);
                CHECK(s && strlen(s) <= cases[i].len);
        }
}

static struct exec_outcome ok(const char *out)
{
        return (struct exec_outcome){
            .path = "/usr/bin/prog",
            .out = out,
            .out_len = strlen(out),
            .err = "",
            .exited = true,
        };
}

static struct action_result *build(const struct exec_outcome *o, enum exec_output mode)
{
        struct action_result *res = NULL;

        CHECK_INT(exec_build_result(o, mode, "/srv", &res), 0);
        return res;
}

static void test_note(void)
{
        struct exec_outcome o = ok("");
        struct action_result *r;

        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_INT(r->n_notes, 1);
        CHECK_INT(r->notes[0].type, NOTE_INFO);
        CHECK_STREQ(r->notes[0].text, "Done (exit 0).");
        CHECK(r->form == NULL);
        CHECK(!action_result_failed(r));
        action_result_free(r);

        o = ok("Backup done.\n\n");
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "Backup done.");
        action_result_free(r);

        o = ok("abcdef");
        o.out_len = 3;
        o.out_truncated = true;
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "abc\n" EXEC_TRUNCATED_MARKER);
        action_result_free(r);
}

/* The notes in the requester's language; the program's own output as it is. */
static void test_notes_french(void)
{
        struct exec_outcome o = ok("");
        struct action_result *r;

        o.lang = "fr";
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "Terminé (code 0).");
        action_result_free(r);

        o = ok("Sauvegarde faite.\n");
        o.lang = "fr-CA";
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "Sauvegarde faite.");
        action_result_free(r);

        o = ok("");
        o.lang = "fr";
        o.err = "disk full\n";
        o.err_len = strlen(o.err);
        o.status = 3;
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        CHECK_STREQ(r->notes[0].text, "code de sortie 3\ndisk full");
        action_result_free(r);

        o.lang = "de";
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "exit status 3\ndisk full");
        action_result_free(r);
}

static void test_text(void)
{
        struct exec_outcome o = ok("one\n\nthree\n");
        struct action_result *r;

        r = build(&o, EXEC_OUTPUT_TEXT);
        CHECK_INT(r->n_notes, 0);
        CHECK(r->form && r->form->n_fields == 1);
        if (r->form && r->form->n_fields == 1) {
                const struct form_result_field *f = &r->form->fields[0];

                CHECK_STREQ(f->var, "output");
                CHECK_INT(f->type, FORM_FIELD_TEXT_MULTI);
                CHECK_INT(strv_length(f->values), 3);
                CHECK_STREQ(f->values[0], "one");
                CHECK_STREQ(f->values[1], "");
                CHECK_STREQ(f->values[2], "three");
        }
        action_result_free(r);

        o = ok("a\nbc");
        o.out_truncated = true;
        r = build(&o, EXEC_OUTPUT_TEXT);
        CHECK_INT(strv_length(r->form->fields[0].values), 3);
        CHECK_STREQ(r->form->fields[0].values[2], EXEC_TRUNCATED_MARKER);
        action_result_free(r);

        o = ok("");
        r = build(&o, EXEC_OUTPUT_TEXT);
        CHECK_INT(strv_length(r->form->fields[0].values), 0);
        CHECK_STREQ(r->notes[0].text, "Done (exit 0).");
        action_result_free(r);
}

static void test_table(void)
{
        struct exec_outcome o = ok("name\tsize\nhome\t12G\n\nwww\t3G\n");
        struct action_result *r;

        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->n_notes, 0);
        CHECK_INT(r->form->n_columns, 2);
        CHECK_STREQ(r->form->columns[0].var, "name");
        CHECK_STREQ(r->form->columns[1].label, "size");
        CHECK_INT(r->form->n_rows, 2);
        CHECK_STREQ(r->form->rows[1][0], "www");
        CHECK_STREQ(r->form->rows[1][1], "3G");
        action_result_free(r);

        o = ok("a\tb\n1\t2\n3\n");
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK(r->form == NULL);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        CHECK_STREQ(r->notes[0].text, "table output: line 3 has 1 cells, the header has 2");
        action_result_free(r);

        o = ok("a\ta\n1\t2\n");
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        CHECK(strstr(r->notes[0].text, "repeated column"));
        action_result_free(r);

        o = ok("a\t\n");
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        action_result_free(r);

        o = ok("");
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        CHECK(strstr(r->notes[0].text, "no header"));
        action_result_free(r);

        o = ok("k\tv\n");
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->form->n_rows, 0);
        CHECK_INT(r->notes[0].type, NOTE_INFO);
        action_result_free(r);

        /* A cut output loses its last (partial) line and says so. */
        o = ok("k\tv\n1\t2\n3\t");
        o.out_truncated = true;
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_INT(r->form->n_rows, 1);
        CHECK_INT(r->notes[0].type, NOTE_WARN);
        CHECK(strstr(r->notes[0].text, "truncated"));
        CHECK(!action_result_failed(r));
        action_result_free(r);
}

static void test_failures(void)
{
        struct exec_outcome o = ok("ignored");
        struct exec_child_error e = {.stage = EXEC_STAGE_EXEC, .error = ENOENT};
        struct action_result *r;
        char big[10000];

        o.status = 3;
        o.err = "warming up\nno space left\n";
        o.err_len = strlen(o.err);
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_INT(r->n_notes, 1);
        CHECK_INT(r->notes[0].type, NOTE_ERROR);
        CHECK_STREQ(r->notes[0].text, "exit status 3\nwarming up\nno space left");
        CHECK(action_result_failed(r));
        CHECK(r->error == 0); /* completed, with an error note */
        action_result_free(r);

        o = ok("");
        o.exited = false;
        o.status = SIGSEGV;
        r = build(&o, EXEC_OUTPUT_TABLE);
        CHECK_STREQ(r->notes[0].text, "killed by signal SIGSEGV");
        action_result_free(r);

        o = ok("");
        o.timed_out = true;
        o.timeout = 30 * USEC_PER_SEC;
        o.exited = false;
        o.status = SIGTERM;
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "timed out after 30 s; the process group was killed");
        action_result_free(r);

        o.timeout = 200 * USEC_PER_MSEC;
        o.exited = true;
        o.status = 0; /* exited cleanly on SIGTERM: still a timeout */
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "timed out after 200 ms; the process group was killed");
        action_result_free(r);

        o = ok("");
        o.start_error = &e;
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "cannot execute /usr/bin/prog: No such file or directory");
        action_result_free(r);
        e.stage = EXEC_STAGE_CHDIR;
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK_STREQ(r->notes[0].text, "cannot change directory to /srv: No such file or directory");
        action_result_free(r);

        /* Only the tail of stderr, from a line start. */
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = i % 100 == 99 ? '\n' : 'a' + (char)(i / 100 % 26);
        o = ok("");
        o.status = 1;
        o.err = big;
        o.err_len = sizeof(big);
        r = build(&o, EXEC_OUTPUT_NOTE);
        CHECK(strlen(r->notes[0].text) <= strlen("exit status 1\n") + 3 + EXEC_STDERR_TAIL);
        CHECK(strstr(r->notes[0].text, "exit status 1\n\xe2\x80\xa6") == r->notes[0].text);
        /* The kept part starts right after a newline: a whole line of one letter. */
        {
                const char *t = r->notes[0].text + strlen("exit status 1\n\xe2\x80\xa6");
                size_t k = 0;

                while (t[0] && t[k] == t[0])
                        k++;
                CHECK_INT(k, 99);
        }
        action_result_free(r);
}

static void test_texts(void)
{
        struct exec_outcome o = ok("k\tv\n1\t2\n");
        struct exec_child_error e = {.stage = EXEC_STAGE_EXEC, .error = EACCES};
        struct action_result *r;
        char *s;
        char *argv[] = {"/bin/x", "a b", "q\"uote", "back\\slash", "new\nline", "", NULL};

        r = build(&o, EXEC_OUTPUT_TABLE);
        s = exec_result_to_text("disk/usage", r);
        CHECK_STREQ(s, "[disk/usage]\nk\tv\n1\t2");
        free(s);
        action_result_free(r);
        o = ok("l1\nl2\n");
        r = build(&o, EXEC_OUTPUT_TEXT);
        s = exec_result_to_text("n", r);
        CHECK_STREQ(s, "[n]\nl1\nl2");
        free(s);
        action_result_free(r);
        o = ok("hi\n");
        r = build(&o, EXEC_OUTPUT_NOTE);
        s = exec_result_to_text("n", r);
        CHECK_STREQ(s, "[n] hi");
        free(s);
        action_result_free(r);

        o = ok("");
        s = exec_status_string(&o);
        CHECK_STREQ(s, "exit 0");
        free(s);
        o.exited = false;
        o.status = SIGKILL;
        s = exec_status_string(&o);
        CHECK_STREQ(s, "signal SIGKILL");
        free(s);
        o.start_error = &e;
        s = exec_status_string(&o);
        CHECK_STREQ(s, "not started (EACCES)");
        free(s);

        s = exec_argv_quote(argv);
        CHECK_STREQ(s, "\"/bin/x\" \"a b\" \"q\\\"uote\" \"back\\\\slash\" \"new\\x0aline\" \"\"");
        free(s);

        s = exec_format_duration(3 * USEC_PER_SEC);
        CHECK_STREQ(s, "3 s");
        free(s);
        s = exec_format_duration(1500 * USEC_PER_MSEC);
        CHECK_STREQ(s, "1500 ms");
        free(s);
}

int main(void)
{
        test_sanitize();
        test_note();
        test_notes_french();
        test_text();
        test_table();
        test_failures();
        test_texts();
        return TESTS_RESULT();
}
