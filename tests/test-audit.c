/* SPDX-License-Identifier: MIT */
#include "audit.h"
#include "tests.h"

int main(void)
{
        char *s;

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
        return TESTS_RESULT();
}
