/* SPDX-License-Identifier: MIT */
#include "audit.h"
#include "tests.h"

int main(void)
{
        char big[2000], *s;
        size_t n;
        FILE *f;

        s = audit_format(&(struct audit_event){
            .requester = "alice@example.test/phone",
            .node = "music/play",
            .stage = "action",
            .outcome = "completed",
            .duration = 1234567,
        });
        CHECK_STREQ(s, "audit: from=alice@example.test/phone node=music/play stage=action "
                       "outcome=completed duration=1234.567ms");
        free(s);

        /* A resource with spaces, quotes and a newline cannot forge a second log line. */
        s = audit_format(&(struct audit_event){
            .requester = "mallory@example.test/x\naudit: from=admin",
            .node = "a b",
            .stage = "execute",
            .outcome = "denied",
            .duration = 5,
            .detail = "say \"hi\"",
        });
        CHECK_STREQ(s, "audit: from=\"mallory@example.test/x\\x0aaudit: from=admin\" node=\"a b\" "
                       "stage=execute outcome=denied duration=0.005ms detail=\"say \\\"hi\\\"\"");
        CHECK(strchr(s, '\n') == NULL);
        free(s);

        s = audit_format(&(struct audit_event){.stage = "x", .outcome = "y"});
        CHECK_STREQ(s, "audit: from=\"\" node=\"\" stage=x outcome=y duration=0.000ms");
        free(s);

        /* Longer than the line buffer on the stack: the whole line, escapes included. */
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        big[100] = '\x7f';
        big[900] = '"';
        s = audit_format(&(struct audit_event){
            .requester = "a@b/c", .node = "n", .stage = "s", .outcome = "o", .detail = big});
        CHECK(s && strlen(s) == strlen("audit: from=a@b/c node=n stage=s outcome=o "
                                       "duration=0.000ms detail=\"\"") +
                                    sizeof(big) - 1 + 3 + 1);
        CHECK(s && strstr(s, "aa\\x7faa") && strstr(s, "aa\\\"aa") && s[strlen(s) - 1] == '"');
        free(s);

        /* The argv quoting of exec's audit detail: the same escapes, streamed. */
        f = open_memstream(&s, &n);
        audit_quote(f, "x \"y\"\\\t\xc3\xa9");
        fclose(f);
        CHECK_STREQ(s, "\"x \\\"y\\\"\\\\\\x09\xc3\xa9\"");
        free(s);
        return TESTS_RESULT();
}
