/* SPDX-License-Identifier: MIT */
/*
 * The presence section inside a whole policy: link() resolves alerts.to and control (an
 * access-list name, a list of names or a map, as a command's allow:, from any file), reports
 * problems at their nodes, and adds presence/set-status for control, like a written command.
 */
#include <stdio.h>

#include "presence/presence-internal.h"
#include "policy-helpers.h"

static struct diags d;

static bool has_diag(enum diag_level level, const char *file, unsigned line, unsigned col,
                     const char *msg)
{
        return tests_has_diag(&d, level, file, line, col, msg);
}
#define ERROR_AT(line, col, msg)   CHECK(has_diag(DIAG_ERROR, "main.yaml", line, col, msg))
#define WARNING_AT(line, col, msg) CHECK(has_diag(DIAG_WARNING, "main.yaml", line, col, msg))

static struct policy *ok(const char *main_yaml, const char *inc_yaml)
{
        struct policy *p = NULL;

        CHECK_INT(tests_policy_from_yaml(main_yaml, inc_yaml, &p, &d), 0);
        if (!p)
                diags_print(&d, stderr);
        return p;
}

static void fails(const char *main_yaml)
{
        struct policy *p = NULL;

        CHECK_INT(tests_policy_from_yaml(main_yaml, NULL, &p, &d), -EINVAL);
        CHECK(p == NULL);
        policy_free(p);
}

static const struct presence_config *presence_of(const struct policy *p)
{
        CHECK_INT(p->n_features, 1);
        CHECK(p->n_features == 1 && p->features[0].ops == &presence_feature);
        return p->n_features == 1 ? p->features[0].cfg : NULL;
}

#define ACCOUNT "account: {jid: agent@example.org, password_file: pw}\n"
#define RULE    "  show: [{when: \"load1 >= 4\", show: dnd}]\n"

static void test_named_lists(void)
{
        struct policy *p = ok(ACCOUNT "access:\n"
                                      "  admins: {groups: [Admins], jids: [root@example.org]}\n"
                                      "  ops: {jids: [\"*@example.org\"]}\n"
                                      "presence:\n" RULE "  alerts: {to: admins}\n"
                                      "  control: [admins, ops]\n",
                              NULL);
        const struct presence_config *c;
        const struct command *cmd;

        if (!p)
                return;
        CHECK_INT(d.n, 0);
        c = presence_of(p);
        if (c) {
                CHECK_INT(strv_length(c->alerts_to.groups), 1);
                CHECK_STREQ(c->alerts_to.groups[0], "Admins");
                CHECK_INT(strv_length(c->alerts_to.jids), 1);
                CHECK_STREQ(c->alerts_to.jids[0], "root@example.org");
                CHECK(presence_control_access(c) == &c->control);
                CHECK_INT(strv_length(c->control.jids), 2);
                CHECK(strv_contains(c->control.jids, "*@example.org"));
        }

        /* The generated command: the control access, the generated action, no written form. */
        CHECK_INT(p->n_commands, 1);
        cmd = policy_find_command(p, PRESENCE_CONTROL_NODE);
        CHECK(cmd != NULL);
        if (cmd) {
                struct requester root = {.bare = "root@example.org"};
                struct requester anyone = {.bare = "eve@example.org"};
                struct requester remote = {.bare = "eve@elsewhere.org"};

                CHECK(cmd->action == &presence_control_action);
                CHECK(cmd->form == NULL && cmd->action->build_form != NULL);
                CHECK(cmd->has_allow);
                CHECK_STREQ(i18n_pick(&cmd->name, "en"), "Set status");
                CHECK_STREQ(i18n_pick(&cmd->name, "fr"), "Changer le statut");
                CHECK(policy_allows(p, cmd, &root));
                CHECK(policy_allows(p, cmd, &anyone)); /* ops: *@example.org */
                CHECK(!policy_allows(p, cmd, &remote));
                /* Errors about the command point at presence.control. */
                CHECK_INT(cmd->line, 8);
                CHECK_INT(cmd->col, 12);
        }
        policy_free(p);
}

static void test_maps_and_includes(void)
{
        /* A map may mix names (access:) and members; lists may come from an included file. */
        struct policy *p =
            ok(ACCOUNT "presence:\n" RULE "  alerts: {to: {groups: [Oncall], access: [ops]}}\n"
                       "  control: {jids: [carol@example.org]}\n",
               "access:\n  ops: {jids: [dave@example.org]}\n");
        const struct presence_config *c;
        const struct command *cmd;

        if (!p)
                return;
        CHECK_INT(d.n, 0);
        c = presence_of(p);
        if (c) {
                CHECK_STREQ(c->alerts_to.groups[0], "Oncall");
                CHECK_STREQ(c->alerts_to.jids[0], "dave@example.org");
                CHECK_STREQ(c->control.jids[0], "carol@example.org");
                CHECK(c->control.groups == NULL);
        }
        cmd = policy_find_command(p, PRESENCE_CONTROL_NODE);
        CHECK(cmd != NULL);
        if (cmd) {
                struct requester carol = {.bare = "carol@example.org"};
                struct requester dave = {.bare = "dave@example.org"};

                CHECK(policy_allows(p, cmd, &carol));
                CHECK(!policy_allows(p, cmd, &dave));
        }
        policy_free(p);

        /* Without control: no command, and alerts alone resolve. */
        p = ok(ACCOUNT "presence:\n" RULE "  alerts: {to: {jids: [root@example.org]}}\n", NULL);
        if (p) {
                CHECK_INT(p->n_commands, 0);
                CHECK(policy_find_command(p, PRESENCE_CONTROL_NODE) == NULL);
                c = presence_of(p);
                CHECK(c && c->alerts_to.jids && streq(c->alerts_to.jids[0], "root@example.org"));
                CHECK(c && presence_control_access(c) == NULL);
        }
        policy_free(p);

        /* A JID the account cannot serve: a warning at the JID, as in a command's allow:. */
        p = ok(ACCOUNT "presence:\n  control: {jids: [eve@elsewhere.org]}\n", NULL);
        WARNING_AT(3, 20, "outside the account's domain");
        policy_free(p);
}

static void test_errors(void)
{
        /* Every problem of the section at once, each at its node. */
        fails(ACCOUNT "access:\n  admins: {groups: [Admins]}\n"
                      "presence:\n" RULE "  alerts: {to: nope}\n"
                      "  control: [admins, nobody]\n");
        ERROR_AT(6, 16, "unknown access list 'nope'");
        ERROR_AT(7, 21, "unknown access list 'nobody'");

        fails(ACCOUNT "presence:\n  control: {users: [a@example.org]}\n");
        ERROR_AT(3, 13, "unknown key 'users'");
        fails(ACCOUNT "presence:\n  control: {jids: [example.org]}\n");
        ERROR_AT(3, 20, "is a domain");
        fails(ACCOUNT "presence:\n  control: {jids: [\"a@@b\"]}\n");
        ERROR_AT(3, 20, "invalid JID pattern");
        fails(ACCOUNT "presence:\n" RULE "  alerts: {to: {access: [x]}}\n");
        ERROR_AT(4, 26, "unknown access list 'x'");

        /* The node is taken: the written command keeps it, the error points at control. */
        fails(ACCOUNT "commands:\n"
                      "  - {node: presence/set-status, name: Mine, allow: {jids: [a@example.org]},"
                      " reply: ok}\n"
                      "presence:\n  control: {jids: [a@example.org]}\n");
        ERROR_AT(5, 12, "duplicate node 'presence/set-status' (first defined at main.yaml:3:12)");

        /* The action is generated only: it cannot be written. */
        fails(ACCOUNT "commands:\n"
                      "  - {node: x, name: X, allow: {jids: [a@example.org]},"
                      " presence_control: {}}\n");
        ERROR_AT(3, 56, "unknown key 'presence_control'");
        CHECK(action_ops_lookup("presence_control") == NULL);
}

static void test_parse_refuses(void)
{
        struct ynode *n = NULL;
        void *cfg = NULL;

        diags_done(&d);
        CHECK_INT(ynode_parse("{}", 2, "main.yaml", &n, &d), 0);
        if (!n)
                return;
        CHECK_INT(presence_control_action.parse(n, NULL, &cfg, &d), -EINVAL);
        CHECK(cfg == NULL);
        ERROR_AT(1, 1, "only generated by presence.control");
        ynode_free(n);
}

int main(void)
{
        test_named_lists();
        test_maps_and_includes();
        test_errors();
        test_parse_refuses();
        diags_done(&d);
        return TESTS_RESULT();
}
